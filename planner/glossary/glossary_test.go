package glossary

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGlossary(t *testing.T) {
	if len(All()) < 30 {
		t.Fatalf("%d terms", len(All()))
	}
	for key, want := range map[string]string{"completeness": "完整度", "fully_served": "全部可达", "cell": "方格", "grid": "网格", "subdistrict": "街道"} {
		if got := Zh(key); got != want {
			t.Errorf("Zh(%q) = %q, want %q", key, got, want)
		}
	}
	if Both("completeness") != "completeness 完整度" {
		t.Errorf("Both = %q", Both("completeness"))
	}
	for name, want := range map[string][2]string{
		"community": {"社区", "Community"}, "Subdistrict": {"街道", "Subdistrict"}, "street": {"街道", "Subdistrict"},
		"units": {"单元", "Unit"}, "cells": {"方格", "Cell"}, "admin8": {"行政级别 8", "Admin level 8"},
		"社区": {"社区", "社区"}, "wards": {"wards", "wards"},
	} {
		zh, en := Level(name)
		if zh != want[0] || en != want[1] {
			t.Errorf("Level(%q) = %q, %q, want %q, %q", name, zh, en, want[0], want[1])
		}
	}
	for _, k := range LevelKeys {
		if _, ok := Lookup(k); !ok {
			t.Errorf("level key %q is not in glossary.tsv", k)
		}
	}
}

func TestParseErrors(t *testing.T) {
	head := "key\tzh\ten\tnote\n"
	for name, tc := range map[string]struct{ in, want string }{
		"no header": {"a\tb\tc\td\n", "line 1 must be the header"},
		"fields":    {head + "a\t甲\tA\n", "line 2 has 3 fields"},
		"no zh":     {head + "a\t\tA\t\n", "line 2: want a key"},
		"bad key":   {head + "A b\t甲\tA\t\n", "line 2: want a key"},
		"dup key":   {head + "a\t甲\tA\t\na\t乙\tB\t\n", `line 3: key "a" is on line 2 too`},
		"two names": {head + "a\t完整度\tA\t\nb\t完整度\tB\t\n", `"完整度" names "a" and "b"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestOneTermPerConcept: the variants the glossary replaced appear in no
// user-facing file (map page, report, terminal, outputs).
func TestOneTermPerConcept(t *testing.T) {
	banned := []string{"完备度", "齐全度", "全部设施可达"}
	root := filepath.Join("..", "..")
	checked := 0
	for _, dir := range []string{"data", "cmd/lifecircle", "planner", "web"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != filepath.Join(root, dir) && (d.Name() == "vendor" || d.Name() == "testdata") {
					return filepath.SkipDir
				}
				return nil
			}
			ext := filepath.Ext(p)
			if strings.HasSuffix(p, "_test.go") || (ext != ".go" && ext != ".js" && ext != ".html" && ext != ".tmpl" && ext != ".css") {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			checked++
			for _, w := range banned {
				if strings.Contains(string(b), w) && !strings.HasSuffix(p, "glossary.go") {
					t.Errorf("%s says %q: use the glossary's term (planner/glossary/glossary.tsv)", p, w)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 50 {
		t.Errorf("only %d files checked", checked)
	}
}
