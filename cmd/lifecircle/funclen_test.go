package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxFuncLines is the longest a function of cmd/lifecircle may be: the
// binary holds flags, printing and exit codes; longer logic belongs in
// data/study or the package that owns it.
const maxFuncLines = 80

// TestNoLongFunctions fails when a non-test function of this package,
// from its func line to its closing brace, is longer than maxFuncLines.
func TestNoLongFunctions(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			checked++
			lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if lines > maxFuncLines {
				t.Errorf("%s: func %s is %d lines, more than %d: move its logic out of cmd or split it", fset.Position(fn.Pos()), fn.Name.Name, lines, maxFuncLines)
			}
		}
	}
	if checked == 0 {
		t.Fatal("found no functions to check")
	}
}

// maxCmdLines bounds the package's non-test code (issue 18): the binary
// keeps flags, printing and exit codes; a verb that grows logic moves it
// to data/study or the package that owns it.
const maxCmdLines = 2500

// TestCmdSize fails when the non-test Go files of this package hold
// maxCmdLines lines or more.
func TestCmdSize(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		total += strings.Count(string(src), "\n")
	}
	t.Logf("%d lines of non-test code in cmd/lifecircle", total)
	if total >= maxCmdLines {
		t.Errorf("cmd/lifecircle holds %d lines of non-test code, %d allowed: move logic to data/study", total, maxCmdLines)
	}
}

// maxFileLines bounds every non-test Go file of the module (issue 18): a
// file past it holds more than one concern and is split.
const maxFileLines = 900

// TestNoLongFiles fails when a non-test Go file of the module has more
// than maxFileLines lines.
func TestNoLongFiles(t *testing.T) {
	checked := 0
	err := filepath.WalkDir("../..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && p != "../..") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		checked++
		if n := strings.Count(string(src), "\n"); n > maxFileLines {
			t.Errorf("%s has %d lines, more than %d: split it by concern", p, n, maxFileLines)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked %d Go files, want the whole module", checked)
	}
}
