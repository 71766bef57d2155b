package data

import (
	"errors"
	"fmt"
	"github.com/lifecircle/lifecircle/data/infile"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/lifecircle/lifecircle/planner"
)

// LoadProfile returns a built-in profile by id (planner.DefaultProfile
// when nameOrPath is ""), or reads and parses the YAML file at nameOrPath.
// Each call returns a fresh copy the caller may modify. A name that is
// neither a built-in nor a file wraps planner.ErrNotFound; a malformed file
// wraps planner.ErrInvalid, with the file and line of each problem.
func LoadProfile(nameOrPath string) (*planner.Profile, error) {
	builtins := planner.BuiltinProfiles()
	if nameOrPath == "" || slices.Contains(builtins, nameOrPath) {
		return planner.Builtin(nameOrPath)
	}
	f, err := infile.Open(nameOrPath, "a profile .yaml file (or a built-in id: "+strings.Join(builtins, ", ")+")")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("profile %q is neither a built-in (%s) nor an existing file: %w",
				nameOrPath, strings.Join(builtins, ", "), planner.ErrNotFound)
		}
		if errors.Is(err, syscall.ENAMETOOLONG) {
			return nil, fmt.Errorf("profile %s: file name too long (%d characters) — check the path", nameOrPath, len(nameOrPath))
		}
		return nil, fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("profile %s: is a directory — give the path of a profile .yaml file (or a built-in id: %s)",
			nameOrPath, strings.Join(builtins, ", "))
	}
	// One byte over the limit is enough for ParseProfile to refuse it.
	text, err := io.ReadAll(io.LimitReader(f, planner.MaxProfileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("profile: read %s: %w", nameOrPath, err)
	}
	return planner.ParseProfile(nameOrPath, text)
}
