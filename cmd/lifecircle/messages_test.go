package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// msgCase is one row of the message table: arguments, the exit code and
// phrases the error must hold (the input and the fix); none of absent
// may appear.
type msgCase struct {
	name   string
	args   []string
	code   int
	want   []string
	absent []string
}

// TestMessages is the message table of issue 16: bad numbers and inputs
// are refused with an error naming the input and the fix, never a
// crash, a raw library error, an echo of the file or silence.
func TestMessages(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	prof, _, code := runCLI(t, "profiles", "gb50180")
	if code != 0 || !strings.Contains(prof, "    weight: 1\n") {
		t.Fatalf("profiles gb50180: exit %d", code)
	}
	heavy := file("heavy.yaml", strings.Replace(prof, "    weight: 1\n", "    weight: 1e308\n", 1))
	pop := file("pop.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"population":1e308},"geometry":{"type":"Point","coordinates":[24.94,60.17]}}]}`)
	shadow := file("shadow", "root:$6$secret:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n")
	doctype := file("doc.osm", "<?xml version=\"1.0\"?>\n<!DOCTYPE osm [\n<!ENTITY x \"y\">\n]>\n<osm version=\"0.6\"></osm>\n")
	square := func(id, parent string, x0 float64) string {
		return `{"type":"Feature","properties":{"id":"` + id + `","name":"` + id + `","parent":"` + parent + `"},"geometry":{"type":"Polygon","coordinates":[[[` +
			ftoa(x0) + `,60.16],[` + ftoa(x0+0.01) + `,60.16],[` + ftoa(x0+0.01) + `,60.17],[` + ftoa(x0) + `,60.17],[` + ftoa(x0) + `,60.16]]]}}`
	}
	cycle := file("cycle.geojson", `{"type":"FeatureCollection","features":[`+square("A", "B", 24.93)+`,`+square("B", "A", 24.94)+`]}`)
	self := file("self.geojson", `{"type":"FeatureCollection","features":[`+square("A", "A", 24.93)+`]}`)
	audit := func(args ...string) []string {
		return append([]string{"audit", "--sample", "--out", out}, args...)
	}
	propose := func(args ...string) []string {
		return append([]string{"propose", "--sample", "--type", "clinic", "--out", out}, args...)
	}
	cases := []msgCase{
		{"total population 1e308", audit("--total-population", "1e308"), exitUsage, []string{"--total-population 1e+308 is more than", "census total"}, []string{"+Inf"}},
		{"population 1e308", audit("--population", pop), 1, []string{pop, "population 1e+308 is more than", "check the population column"}, []string{"+Inf", "unsupported value"}},
		{"floor area 1e-300", audit("--floor-area", "1e-300"), exitUsage, []string{"--floor-area 1e-300", "between 1 and 1000"}, nil},
		{"profile weight 1e308", audit("--profile", heavy), 1, []string{heavy, "weight must be at most"}, nil},
		{"k 0", propose("--k", "0"), exitUsage, []string{"--k 0", "at least 1"}, nil},
		{"target 0", propose("--target", "0"), exitUsage, []string{"--target 0", "above 0 and at most 1"}, nil},
		{"target NaN", propose("--target", "NaN"), exitUsage, []string{"--target NaN", "above 0 and at most 1"}, nil},
		{"spacing 0.001", []string{"propose", "--sample", "--type", "elderly", "--k", "5", "--spacing", "0.001", "--out", out}, exitUsage,
			[]string{"--spacing 0.001 is too small", "at least 1"}, nil},
		{"export run 999999999999", []string{"export", "--project", "p", "--run", "999999999999", "--out", out}, exitUsage,
			[]string{"--run 999999999999 is not a run id", "--list"}, []string{"encode"}},
		{"osm with a DOCTYPE", []string{"audit", "--osm", doctype, "--out", out}, 1, []string{doctype, "DOCTYPE declaration defining entities", "remove the <!DOCTYPE"}, []string{`"]>`}},
		{"unit parents A↔B", audit("--units", cycle), 1, []string{cycle + ": units", "unit parents form a cycle", `"A" → "B" → "A"`, "fix the parent column"}, nil},
		{"unit parent A→A", audit("--units", self), 1, []string{"unit parents form a cycle", `"A" → "A"`}, nil},
		{"profile that is not one", audit("--profile", shadow), -1, []string{shadow, "not a lifecircle profile"}, []string{"root", "secret", "daemon"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, append(c.args, "--quiet")...)
			if c.code >= 0 && code != c.code || code == 0 {
				t.Errorf("exit %d, want %d: %s", code, c.code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for _, a := range c.absent {
				if strings.Contains(stderr, a) {
					t.Errorf("stderr holds %q:\n%s", a, stderr)
				}
			}
			if strings.Count(stderr, "\n") > 3 {
				t.Errorf("more than a short message:\n%s", stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
}

func ftoa(x float64) string { return strings.TrimRight(strings.TrimRight(strconvF(x), "0"), ".") }

// TestDiffHelpOnce: diff -h prints its usage once (it printed it twice).
func TestDiffHelpOnce(t *testing.T) {
	_, stderr, code := runCLI(t, "diff", "-h")
	if code != 0 || strings.Count(stderr, "Usage:") != 1 {
		t.Errorf("exit %d, %d usages:\n%s", code, strings.Count(stderr, "Usage:"), stderr)
	}
	_, stderr, code = runCLI(t, "diff", "--bogus")
	if code != exitUsage || strings.Count(stderr, "Usage:") != 1 {
		t.Errorf("bad flag: exit %d, %d usages", code, strings.Count(stderr, "Usage:"))
	}
}

func strconvF(x float64) string { return strconv.FormatFloat(x, 'f', 6, 64) }
