package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
)

// TestOutRefusedBeforeWork: each verb refuses, before reading anything,
// an --out folder of another kind or holding one of its inputs, and the
// folder is left as it was (issue 16, item 1).
func TestOutRefusedBeforeWork(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, kind data.OutputKind, file string) string {
		p := filepath.Join(dir, name)
		if err := data.WriteOutputDir(p, kind, func(tmp string) error {
			return os.WriteFile(filepath.Join(tmp, file), []byte("precious"), 0o644)
		}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	runA := mk("runA", data.KindAudit, "summary.json")
	runB := mk("runB", data.KindAudit, "summary.json")
	diffOut := mk("change", data.KindDiff, "diff.json")
	scen := mk(filepath.Join("ws", "scenarios", "plan"), data.KindScenario, "scenario.json")
	cases := []struct {
		args    []string
		folder  string
		wantErr string
	}{
		{[]string{"diff", runA, runB, "--out", runB}, runB, "holds a lifecircle audit output"},
		{[]string{"diff", runA, diffOut, "--out", diffOut}, diffOut, "holds the input"},
		{[]string{"propose", "--sample", "--type", "clinic", "--k", "1", "--out", runA}, runA, "holds a lifecircle audit output; this run writes a proposals output"},
		{[]string{"audit", "--sample", "--out", scen}, scen, "holds a lifecircle scenario output"},
		{[]string{"audit", "--sample", "--scenario", scen, "--out", filepath.Dir(scen)}, scen, "was not written by lifecircle"},
		{[]string{"audit", "--sample", "--out", diffOut}, diffOut, "holds a lifecircle diff output"},
	}
	for _, c := range cases {
		args := c.args
		if args[0] != "diff" {
			args = append(args, "--quiet")
		}
		_, stderr, code := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(stderr, c.wantErr) || !strings.Contains(stderr, "choose a") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.wantErr)
		}
		if strings.Contains(stderr, "read ") || strings.Contains(stderr, "network") {
			t.Errorf("%v: work started before the check: %s", c.args, stderr)
		}
		ents, _ := os.ReadDir(c.folder)
		found := false
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(c.folder, e.Name())); err == nil && string(b) == "precious" {
				found = true
			}
		}
		if !found {
			t.Errorf("%v: %s lost its file", c.args, c.folder)
		}
	}
}
