package data

import (
	"go/build"
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const postgisPkg = "github.com/lifecircle/lifecircle/data/postgis"

// postgisImportProblem returns why the non-test file of package dir (data-
// relative, "." for data itself) may not import path, or "": of the data
// packages only data/study (the pipeline's database Source) and
// data/postgis itself reach PostgreSQL, and only data/postgis uses pgx.
func postgisImportProblem(dir, path string) string {
	switch {
	case path == postgisPkg && dir != "study":
		return "imports data/postgis: only data/study (and cmd) may"
	case (path == "github.com/jackc/pgx" || strings.HasPrefix(path, "github.com/jackc/pgx/")) && dir != "postgis":
		return "imports " + path + ": only data/postgis talks to PostgreSQL"
	}
	return ""
}

// TestPostgisImportRule reads the imports of every non-test Go file under
// data and fails on one that breaks the rule written in data/doc.go.
func TestPostgisImportRule(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(dir string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if n := d.Name(); dir != "." && (n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			if _, none := err.(*build.NoGoError); none {
				return nil
			}
			return err
		}
		for _, name := range append(pkg.GoFiles, pkg.IgnoredGoFiles...) {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := goparser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, goparser.ImportsOnly)
			if err != nil {
				return err
			}
			checked++
			for _, im := range f.Imports {
				path, _ := strconv.Unquote(im.Path.Value)
				if p := postgisImportProblem(filepath.ToSlash(dir), path); p != "" {
					t.Errorf("data/%s %s (data/doc.go)", filepath.ToSlash(filepath.Join(dir, name)), p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 40 {
		t.Errorf("only %d files checked: the walk missed the packages", checked)
	}
}

// TestPostgisImportCheck shows that the check catches what it must.
func TestPostgisImportCheck(t *testing.T) {
	for _, tc := range []struct {
		dir, path string
		bad       bool
	}{
		{"study", postgisPkg, false},
		{".", postgisPkg, true},
		{"osm", postgisPkg, true},
		{"gpkg", postgisPkg, true},
		{"postgis", "github.com/jackc/pgx/v5", false},
		{"study", "github.com/jackc/pgx/v5/pgxpool", true},
		{".", "github.com/lifecircle/lifecircle/data/osm", false},
	} {
		if got := postgisImportProblem(tc.dir, tc.path) != ""; got != tc.bad {
			t.Errorf("data/%s importing %s: forbidden = %v, want %v", tc.dir, tc.path, got, tc.bad)
		}
	}
}
