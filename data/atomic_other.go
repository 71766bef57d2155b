//go:build !linux

package data

import (
	"errors"
	"os"
)

// startWriteback does nothing here: the fsync writes the whole file.
func startWriteback(f *os.File, off, n int64) {}

// errNoExchange means the system cannot exchange two paths atomically;
// WriteDirAtomic falls back to two renames.
var errNoExchange = errors.New("atomic exchange not supported")

// exchange is not available here: WriteDirAtomic renames the old output
// aside first and repairs an interrupted swap on the next write.
func exchange(a, b string) error { return errNoExchange }

// processAlive cannot tell here; temporaries are judged by their age.
func processAlive(pid int) (alive, known bool) { return false, false }

// isMountPoint cannot tell here; a rename of a mount point fails with
// the system's error.
func isMountPoint(dir string) bool { return false }
