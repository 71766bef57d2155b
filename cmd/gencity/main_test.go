package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseCenter(t *testing.T) {
	cases := []struct {
		in   string
		want orb.Point
		ok   bool
	}{
		{"116.40,39.90", orb.Point{116.40, 39.90}, true},
		{" -73.98 , 40.75 ", orb.Point{-73.98, 40.75}, true},
		{"116.40", orb.Point{}, false},
		{"116.40;39.90", orb.Point{}, false},
		{"east,north", orb.Point{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseCenter(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("parseCenter(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "city")
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"help", []string{"-h"}, 0, "Usage: gencity"},
		{"no out", []string{"-nodes", "100"}, 2, "-out DIR is required"},
		{"bad center", []string{"-out", out, "-center", "116.4"}, 2, "-center"},
		{"stray argument", []string{"-out", out, "extra"}, 2, "unexpected argument"},
		{"bad nodes", []string{"-out", out, "-nodes", "2"}, 1, "at least 4"},
		{"ok", []string{"-out", out, "-nodes", "400", "-points", "50", "-candidates", "5", "-facilities", "3", "-types", "clinic, market"}, 0, "done"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(tc.args, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr.String(), tc.code, tc.stderr)
			}
		})
	}
	fc, err := os.ReadFile(filepath.Join(out, "facilities.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(fc), `"type":"Feature"`); n != 6 || !strings.Contains(string(fc), `"type":"market"`) {
		t.Errorf("facilities.geojson has %d features, want 3 each of clinic and market", n)
	}
}
