package planner

import (
	"go/build"
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/lifecircle/lifecircle"

// importRule is what the non-test files of a package tree may import: the
// standard library except I/O, the listed third-party modules and the
// listed packages of this module.
type importRule struct {
	dir        string   // package tree, relative to the module root
	project    []string // project packages (module-relative) it may import, with their subpackages
	thirdParty []string // module paths it may import, with their subpackages
}

// ioPackages are standard packages that reach files, the network, other
// processes or databases: adapters' business, not the domain's.
var ioPackages = []string{"os", "os/exec", "os/signal", "syscall", "path/filepath", "io/ioutil", "net", "database/sql", "plugin"}

// ioAllowed lists the files that may still import an I/O package, and why.
// None since profile files are read in data (data.LoadProfile).
var ioAllowed = map[string][]string{}

var importRules = []importRule{
	// planner is the domain: geo and its own subpackages, no adapter.
	{dir: "planner", project: []string{"geo", "planner"},
		thirdParty: []string{"github.com/paulmach/orb", "github.com/tidwall/rtree", "go.yaml.in/yaml/v3"}},
	// The covering solver knows nothing of graphs or geometry.
	{dir: "planner/cover"},
	// geo is the toolbox below everything: no project package.
	{dir: "geo", thirdParty: []string{"github.com/paulmach/orb", "github.com/tidwall/rtree"}},
}

// within reports whether path is prefix or one of its subpackages.
func within(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// ruleFor returns the most specific rule covering the module-relative
// package directory rel.
func ruleFor(rel string) (importRule, bool) {
	var best importRule
	found := false
	for _, r := range importRules {
		if within(rel, r.dir) && (!found || len(r.dir) > len(best.dir)) {
			best, found = r, true
		}
	}
	return best, found
}

// importProblem returns why file (module-relative) may not import path
// under rule r, or "".
func importProblem(r importRule, file, path string) string {
	first := strings.SplitN(path, "/", 2)[0]
	switch {
	case within(path, modulePath):
		rel := strings.TrimPrefix(strings.TrimPrefix(path, modulePath), "/")
		for _, p := range r.project {
			if within(rel, p) {
				return ""
			}
		}
		return "imports project package " + rel
	case strings.Contains(first, "."):
		for _, m := range r.thirdParty {
			if within(path, m) {
				return ""
			}
		}
		return "imports third-party package " + path
	default:
		for _, p := range ioPackages {
			if within(path, p) && !slices.Contains(ioAllowed[file], path) {
				return "imports I/O package " + path
			}
		}
		return ""
	}
}

// TestImportRules reads the imports of every non-test Go file of planner,
// planner/cover and geo (and their subpackages) and fails on one that
// breaks the rules written in their doc.go.
func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, top := range []string{"planner", "geo"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(dir string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				return nil
			}
			if n := d.Name(); n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
				return filepath.SkipDir
			}
			rel, _ := filepath.Rel(root, dir)
			rel = filepath.ToSlash(rel)
			rule, ok := ruleFor(rel)
			if !ok {
				t.Errorf("%s: no import rule", rel)
				return nil
			}
			pkg, err := build.ImportDir(dir, build.ImportComment)
			if err != nil {
				if _, none := err.(*build.NoGoError); none {
					return nil
				}
				return err
			}
			for _, name := range slices.Concat(pkg.GoFiles, pkg.CgoFiles, pkg.IgnoredGoFiles) {
				if strings.HasSuffix(name, "_test.go") {
					continue
				}
				f, err := goparser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, goparser.ImportsOnly)
				if err != nil {
					return err
				}
				file := rel + "/" + name
				checked++
				for _, im := range f.Imports {
					path, err := strconv.Unquote(im.Path.Value)
					if err != nil {
						return err
					}
					if p := importProblem(rule, file, path); p != "" {
						t.Errorf("%s %s, which the rules in %s/doc.go forbid", file, p, rule.dir)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 20 {
		t.Errorf("only %d files checked: the walk missed the packages", checked)
	}
}

// TestImportRuleCheck shows that the check catches what it must.
func TestImportRuleCheck(t *testing.T) {
	planner, _ := ruleFor("planner")
	cover, _ := ruleFor("planner/cover")
	geo, _ := ruleFor("geo")
	for _, tc := range []struct {
		rule importRule
		file string
		path string
		bad  bool
	}{
		{planner, "planner/audit.go", modulePath + "/geo", false},
		{planner, "planner/audit.go", modulePath + "/planner/cover", false},
		{planner, "planner/audit.go", modulePath + "/data", true},
		{planner, "planner/audit.go", modulePath + "/data/postgis", true},
		{planner, "planner/audit.go", modulePath + "/web", true},
		{planner, "planner/audit.go", modulePath + "/cmd/lifecircle", true},
		{planner, "planner/audit.go", "os", true},
		{planner, "planner/audit.go", "net/http", true},
		{planner, "planner/audit.go", "database/sql", true},
		{planner, "planner/audit.go", "github.com/jackc/pgx/v5", true},
		{planner, "planner/profile.go", "os", true},
		{planner, "planner/profile.go", "net/http", true},
		{planner, "planner/audit.go", "github.com/paulmach/orb/planar", false},
		{cover, "planner/cover/cover.go", modulePath + "/geo", true},
		{cover, "planner/cover/cover.go", modulePath + "/planner", true},
		{cover, "planner/cover/cover.go", "github.com/paulmach/orb", true},
		{cover, "planner/cover/cover.go", "sort", false},
		{geo, "geo/laea.go", modulePath + "/planner", true},
		{geo, "geo/laea.go", modulePath + "/data", true},
		{geo, "geo/laea.go", "github.com/tidwall/rtree", false},
		{geo, "geo/laea.go", "os", true},
	} {
		if got := importProblem(tc.rule, tc.file, tc.path) != ""; got != tc.bad {
			t.Errorf("%s importing %s: forbidden = %v, want %v", tc.file, tc.path, got, tc.bad)
		}
	}
}
