package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// msgCase is one row of the message table: arguments, the exit code and
// phrases the error must hold (the input and the fix).
type msgCase struct {
	name string
	args []string
	code int
	want []string
}

// TestMessages is the message table of issue 16: bad numbers and inputs
// are refused with an error naming the input and the fix, never a
// crash, a raw library error or silence.
func TestMessages(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	cases := []msgCase{
		{"spacing 0.001", []string{"propose", "--sample", "--type", "elderly", "--k", "5", "--spacing", "0.001", "--out", out}, exitUsage,
			[]string{"--spacing 0.001 is too small", "at least 1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, append(c.args, "--quiet")...)
			if code != c.code {
				t.Errorf("exit %d, want %d: %s", code, c.code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Count(stderr, "\n") > 3 {
				t.Errorf("more than a short message:\n%s", stderr)
			}
		})
	}
}
