package data

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// OutputKind names what a lifecircle output folder holds. It is written
// into the folder's OutputMarker, and a verb replaces only a folder of its
// own kind, so that `propose --out runA` cannot delete the audit in runA
// nor `audit --out WS/scenarios/NAME` a saved scenario.
type OutputKind string

// The kinds of output folder.
const (
	KindAudit     OutputKind = "audit"
	KindProposals OutputKind = "proposals"
	KindDiff      OutputKind = "diff"
	KindExport    OutputKind = "export"
	KindScenario  OutputKind = "scenario"
)

// markerKindKey starts the line of the marker naming the folder's kind.
const markerKindKey = "kind: "

// markerText is the content of the marker of a folder of kind k.
func markerText(k OutputKind) string {
	s := "written by lifecircle; the whole directory is replaced on each run\n"
	if k != "" {
		s += markerKindKey + string(k) + "\n"
	}
	return s
}

// FolderKind returns the kind of the lifecircle output folder dir, read
// from its marker; for a folder written before markers named their kind,
// the kind is told by the files it holds ("" when it cannot be told).
// ok is false when dir holds no marker.
func FolderKind(dir string) (kind OutputKind, ok bool) {
	f, err := os.Open(filepath.Join(dir, OutputMarker))
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 0; sc.Scan() && n < 8; n++ {
		if k, found := strings.CutPrefix(strings.TrimSpace(sc.Text()), markerKindKey); found {
			return OutputKind(strings.TrimSpace(k)), true
		}
	}
	has := func(name string) bool {
		_, err := os.Lstat(filepath.Join(dir, name))
		return err == nil
	}
	switch {
	case has("scenario.json"):
		return KindScenario, true
	case has("proposals.geojson"), has("before_after.json"):
		return KindProposals, true
	case has("diff.json"):
		return KindDiff, true
	case has("summary.json"), has("cells.geojson"), has("units.geojson"):
		return KindAudit, true
	}
	return "", true
}

// replaceable reports whether a verb writing kind may replace a folder
// of kind have: the same kind, a folder whose kind is unknown, and, for
// an export, a folder written before kinds were marked (an earlier export
// looks like the audit or proposal it holds).
func replaceable(kind, have OutputKind, legacy bool) bool {
	switch {
	case have == "" || kind == "" || have == kind:
		return true
	case kind == KindExport && legacy && (have == KindAudit || have == KindProposals):
		return true
	}
	return false
}

// OutputDir is an output folder checked before any work starts
// (CheckOutputDir): Path is where the output is written, after
// following a symbolic link.
type OutputDir struct {
	Given string     // as the user gave it
	Path  string     // the folder written: Given with symbolic links followed
	Kind  OutputKind // what it will hold
}

// CheckOutputDir checks, cheaply and before any work, that the folder
// dir may receive an output of kind: it is new, empty, or an earlier
// lifecircle output of the same kind; it holds none of inputs (files or
// folders the verb reads); it is not a mount point; a symbolic link is
// followed to an existing folder (a dangling link is refused). The same
// checks run again when the output is written (WriteOutputDir).
func CheckOutputDir(dir string, kind OutputKind, inputs ...string) (OutputDir, error) {
	od := OutputDir{Given: dir, Path: filepath.Clean(dir), Kind: kind}
	if dir == "" {
		return od, errors.New("no output folder given: use --out DIR")
	}
	p, err := resolveOutputLink(od.Path)
	if err != nil {
		return od, err
	}
	od.Path = p
	_, base := filepath.Split(od.Path)
	if base == "" || base == "." || base == ".." || base == string(filepath.Separator) {
		return od, fmt.Errorf("output directory %q: give a named directory, e.g. --out results", dir)
	}
	if _, err := checkOutputDir(od.Path, kind); err != nil {
		return od, err
	}
	if err := checkNotInput(od.Path, dir, inputs); err != nil {
		return od, err
	}
	return od, nil
}

// resolveOutputLink follows a symbolic link at dir (the output is
// written in the folder it points to), refusing a dangling link and a
// link to something other than a folder.
func resolveOutputLink(dir string) (string, error) {
	st, err := os.Lstat(dir)
	if err != nil || st.Mode()&fs.ModeSymlink == 0 {
		return dir, nil
	}
	target, _ := os.Readlink(dir)
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("output folder %s is a symbolic link to %s, which does not exist — create that folder, remove the link, or choose another --out", dir, target)
	}
	rst, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("output folder %s (a symbolic link to %s): %w", dir, target, err)
	}
	if !rst.IsDir() {
		return "", fmt.Errorf("output folder %s is a symbolic link to the file %s, not a folder — choose another --out", dir, real)
	}
	return real, nil
}

// checkNotInput refuses an output folder that is, or holds, one of the
// inputs: replacing it would delete what the verb reads.
func checkNotInput(dir, given string, inputs []string) error {
	out, err := canonical(dir)
	if err != nil {
		return nil // the folder does not exist yet: it holds nothing
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		p, err := canonical(in)
		if err != nil {
			continue
		}
		if p == out || strings.HasPrefix(p, out+string(filepath.Separator)) {
			return fmt.Errorf("output folder %s holds the input %s; writing the output replaces the whole folder and would delete it — choose another --out", given, in)
		}
	}
	return nil
}

// canonical is p absolute with symbolic links followed.
func canonical(p string) (string, error) {
	a, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(a)
}

// WriteOutputDir writes the output folder of kind at dir atomically as
// WriteDirAtomic does, after the checks of CheckOutputDir (without
// inputs: give them to CheckOutputDir before the work starts).
func WriteOutputDir(dir string, kind OutputKind, build func(tmp string) error) error {
	p, err := resolveOutputLink(filepath.Clean(dir))
	if err != nil {
		return err
	}
	return writeDirAtomic(p, kind, build)
}
