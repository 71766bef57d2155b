package planner

import (
	"errors"
	"strings"
	"testing"
)

func TestProfileLookup(t *testing.T) {
	p, err := Builtin(DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, want string }{
		{"clinic", "clinic"},
		{"market", "market"},
		{"菜市场", "market"},
		{"生鲜超市", "market"},
		{"托老站", "elderly"},
		{" 托老站 ", "elderly"},
		{"儿童游乐场", "playground"},
		{"fresh-food market", "market"},
		{"Children's playground", "playground"},
	} {
		got, err := p.Lookup(tc.name)
		if err != nil {
			t.Errorf("Lookup(%q): %v", tc.name, err)
			continue
		}
		if got.ID != tc.want {
			t.Errorf("Lookup(%q) = %s, want %s", tc.name, got.ID, tc.want)
		}
	}
	for _, bad := range []string{"", "school", "托老", "菜"} {
		_, err := p.Lookup(bad)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "clinic (") {
			t.Errorf("Lookup(%q) = %v, want an error listing the types", bad, err)
		}
	}
}

func TestProfileLookupAmbiguous(t *testing.T) {
	p := &Profile{ID: "x", Types: []AmenityType{
		{ID: "a", Names: Names{Zh: "社区站/服务站"}},
		{ID: "b", Names: Names{Zh: "服务站/活动站"}},
	}}
	_, err := p.Lookup("服务站")
	if err == nil || !strings.Contains(err.Error(), "several types") || !strings.Contains(err.Error(), "a, b") {
		t.Fatalf("ambiguous name: %v", err)
	}
	got, err := p.Lookup("活动站")
	if err != nil || got.ID != "b" {
		t.Fatalf("Lookup(活动站) = %v, %v", got, err)
	}
}

func TestEnableByChineseName(t *testing.T) {
	p, err := Builtin(DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Off) == 0 {
		t.Fatal("the default profile should have off-by-default types (hospital, nursing home, sports pitch)")
	}
	off := p.Off[0]
	if err := p.Enable(off.Names.Zh, "托老站"); err != nil {
		t.Fatalf("Enable(%q): %v", off.Names.Zh, err)
	}
	if _, on := p.Type(off.ID); !on {
		t.Fatalf("%s (%s) not enabled", off.ID, off.Names.Zh)
	}
}
