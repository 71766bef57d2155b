package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
)

// runProfilesCmd runs "lifecircle profiles args..." and returns the exit
// code, stdout and stderr.
func runProfilesCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"profiles"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestProfilesList(t *testing.T) {
	code, out, errOut := runProfilesCmd(t)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{
		"gb50180 (default)  15-minute community life circle (GB 50180-2018) / 15分钟社区生活圈（GB 50180-2018）\n",
		"  TYPE        TIER    THRESHOLD  NAME / 名称\n",
		"  clinic      15 min  1000 m     Community health station / 社区卫生服务站/中心\n",
		"  elderly     5 min   300 m      Elderly day-care station / 老年人日间照料中心/托老站\n",
		"  market      10 min  500 m      Fresh-food market / 菜市场/生鲜超市\n",
		"  playground  5 min   300 m      Children's playground / 儿童游乐场\n",
		"\n15min  15-minute city / 15分钟步行城市\n",
		"  fitness     15 min  1200 m     Outdoor fitness site / 健身路径/室外健身场地\n",
		"\ngb50180-full  Residential-area facilities, all walking tiers (GB 50180-2018) / 居住区配套设施（GB 50180-2018 全部步行层级）\n",
		"  middle_school      15 min  1000 m     Middle school / 初中\n",
		"  kindergarten       5 min   300 m      Kindergarten / 幼儿园\n",
		"\ntdt1062  Community life circle (TD/T 1062-2021) / 社区生活圈（TD/T 1062-2021）\n",
		"  primary_school     15 min  1000 m     Primary school / 小学\n",
		"  playground         10 min  500 m      Children's playground / 儿童游憩场地\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "lifecircle profiles <id>") {
		t.Errorf("stderr lacks the hint: %q", errOut)
	}
}

func TestProfilesPrint(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(mine, []byte("types:\n  - id: park\n    names: {en: Park}\n    tier: 10\n    threshold: 500\n    selectors: [leisure=park]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ arg, id string }{{"gb50180", "gb50180"}, {"15min", "15min"}, {"gb50180-full", "gb50180-full"}, {"tdt1062", "tdt1062"}, {mine, "mine"}} {
		t.Run(tc.id, func(t *testing.T) {
			code, out, errOut := runProfilesCmd(t, tc.arg)
			if code != exitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if !strings.HasPrefix(out, "# lifecircle amenity profile") {
				t.Errorf("output does not start with the explanatory comment:\n%s", out)
			}
			got, err := planner.ParseProfile("stdout", []byte(out))
			if err != nil {
				t.Fatalf("printed YAML does not parse: %v", err)
			}
			want, err := data.LoadProfile(tc.arg)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tc.id || !reflect.DeepEqual(got, want) {
				t.Errorf("printed profile differs from LoadProfile(%q):\n%+v\n%+v", tc.arg, got, want)
			}
			// Saved to a file, the printed YAML is what --profile FILE reads.
			saved := filepath.Join(t.TempDir(), "saved.yaml")
			if err := os.WriteFile(saved, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			fromFile, err := data.LoadProfile(saved)
			if err != nil {
				t.Fatalf("--profile FILE rejects the printed YAML: %v", err)
			}
			if !reflect.DeepEqual(fromFile, want) {
				t.Errorf("profile loaded from the printed file differs from LoadProfile(%q):\n%+v\n%+v", tc.arg, fromFile, want)
			}
		})
	}
}

func TestProfilesErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("id: bad\ntypes:\n  - id: clinic\n    names: {en: Clinic}\n    tier: 15\n    threshold: -3\n    selectors: [amenity=clinic]\n  - id: x\n    tier: 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stderr
	}{
		{"unknown name", []string{"gb5018"}, exitUsage, []string{`lifecircle profiles: "gb5018" is neither a built-in profile (gb50180, 15min, gb50180-full, tdt1062) nor a file`}},
		{"invalid file", []string{bad}, exitRuntime, []string{bad + `:6: type "clinic": threshold must be > 0 metres, got -3`, "\n" + bad + `:9: type "x": tier must be 5, 10 or 15`}},
		{"two names", []string{"gb50180", "15min"}, exitUsage, []string{"one profile at a time"}},
		{"empty name", []string{""}, exitUsage, []string{"empty profile name"}},
		{"unknown flag", []string{"--print", "gb50180"}, exitUsage, []string{"flag provided but not defined: -print"}},
		{"help", []string{"-h"}, exitOK, []string{"Usage: lifecircle profiles [ID | FILE]", "lifecircle profiles gb50180 > my-profile.yaml", "gb50180-full  every walking-tier facility", "tdt1062       the 15-minute and 5-10-minute levels", "Unconfirmed:"}},
		{"help after name", []string{"gb50180", "-h"}, exitOK, []string{"Usage: lifecircle profiles [ID | FILE]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runProfilesCmd(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, errOut)
			}
			if out != "" {
				t.Errorf("stdout not empty: %q", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestAuditSampleStandardProfile audits the bundled sample with
// gb50180-full and reads what each type counted: of the sample's (central
// Helsinki) schools the primary and the lower secondary one count, the
// upper secondary (Ressun lukio) does not; it has no kindergarten; its
// three leisure=sports_centre
// are a gym, a studio and a university gym (not large grounds), its
// arts centres a gallery and a concert hall (not culture centres), and its
// community centres the three places below.
func TestAuditSampleStandardProfile(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runCLI(t, "audit", "--sample", "--profile", "gb50180-full", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "gb50180-full") || !strings.Contains(stdout, "Middle school") {
		t.Errorf("terminal table does not show the profile's types:\n%s", stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, "facilities.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties struct {
				Type string `json:"type"`
				Name string `json:"name"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	byType := map[string][]string{}
	for _, f := range fc.Features {
		byType[f.Properties.Type] = append(byType[f.Properties.Type], f.Properties.Name)
	}
	for _, names := range byType {
		sort.Strings(names)
	}
	for _, none := range []string{"kindergarten", "nursery", "sports_large", "culture_centre", "community_centre", "community_station", "nursing_home", "elderly"} {
		if len(byType[none]) != 0 {
			t.Errorf("%s counted %q; the sample has none", none, byType[none])
		}
	}
	if got, want := byType["primary_school"], []string{"Kaisaniemen ala-aste"}; !reflect.DeepEqual(got, want) {
		t.Errorf("primary_school counted %q, want %q", got, want)
	}
	if got, want := byType["middle_school"], []string{"Kruununhaan yläasteen koulu"}; !reflect.DeepEqual(got, want) {
		t.Errorf("middle_school counted %q, want %q", got, want)
	}
	if got, want := byType["culture_station"], []string{"Avoin olohuone", "LillaLuckan", "Luckan"}; !reflect.DeepEqual(got, want) {
		t.Errorf("culture_station counted %q, want %q", got, want)
	}
	// Health centres and stations share selectors: the same four places.
	if got := byType["health_station"]; len(got) != 4 || !reflect.DeepEqual(got, byType["clinic"]) {
		t.Errorf("health_station %q, clinic %q: want the same four", got, byType["clinic"])
	}
}
