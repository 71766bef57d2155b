package web

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

// storagePackages are the packages that reach a database: web reaches
// stores only through interfaces (ScenarioStore, the study's Source), so
// its non-test files import none of them.
var storagePackages = []string{"github.com/lifecircle/lifecircle/data/postgis", "github.com/jackc/pgx", "database/sql"}

// storageImport returns the storage package that path is or is within, or "".
func storageImport(path string) string {
	for _, s := range storagePackages {
		if path == s || strings.HasPrefix(path, s+"/") {
			return s
		}
	}
	return ""
}

// TestWebImportsNoStorage reads the imports of every non-test Go file of
// web and its subpackages and fails on one that imports a storage
// package, which the rule in web/doc.go forbids.
func TestWebImportsNoStorage(t *testing.T) {
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
				if s := storageImport(path); s != "" {
					t.Errorf("web/%s imports %s: web reaches storage only through interfaces (web/doc.go)", filepath.ToSlash(filepath.Join(dir, name)), path)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 5 {
		t.Errorf("only %d files checked: the walk missed the package", checked)
	}
}

// TestStorageImportCheck shows that the check catches what it must.
func TestStorageImportCheck(t *testing.T) {
	for path, bad := range map[string]bool{
		"github.com/lifecircle/lifecircle/data/postgis":  true,
		"github.com/jackc/pgx/v5/pgxpool":                true,
		"database/sql":                                   true,
		"github.com/lifecircle/lifecircle/data":          false,
		"github.com/lifecircle/lifecircle/data/study":    false,
		"github.com/lifecircle/lifecircle/data/postgisx": false,
		"net/http": false,
	} {
		if got := storageImport(path) != ""; got != bad {
			t.Errorf("%s: storage = %v, want %v", path, got, bad)
		}
	}
}
