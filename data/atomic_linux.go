package data

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing f's bytes [off, off+n)
// to disk without waiting for them (sync_file_range); errors are left to
// the fsync that follows.
func startWriteback(f *os.File, off, n int64) {
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) {
			_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
		})
	}
}

// renameat2 system call numbers (the syscall package lacks some).
var renameat2Nr = map[string]uintptr{
	"386": 353, "amd64": 316, "arm": 382, "arm64": 276, "loong64": 276,
	"mips": 4351, "mipsle": 4351, "mips64": 5311, "mips64le": 5311,
	"ppc64": 357, "ppc64le": 357, "riscv64": 276, "s390x": 347,
}

// errNoExchange means the system or file system cannot exchange two
// paths atomically; the caller falls back to two renames.
var errNoExchange = errors.New("atomic exchange not supported")

// exchange swaps the directory entries a and b in one atomic step
// (renameat2 with RENAME_EXCHANGE, Linux 3.15+; most local file systems).
func exchange(a, b string) error {
	nr, ok := renameat2Nr[runtime.GOARCH]
	if !ok {
		return errNoExchange
	}
	pa, err := syscall.BytePtrFromString(a)
	if err != nil {
		return err
	}
	pb, err := syscall.BytePtrFromString(b)
	if err != nil {
		return err
	}
	const renameExchange = 1 << 1
	atFDCWD := -100
	_, _, e := syscall.Syscall6(nr, uintptr(atFDCWD), uintptr(unsafe.Pointer(pa)), uintptr(atFDCWD), uintptr(unsafe.Pointer(pb)), renameExchange, 0)
	switch e {
	case 0:
		return nil
	case syscall.ENOSYS, syscall.EINVAL, syscall.EOPNOTSUPP:
		return errNoExchange
	}
	return &os.LinkError{Op: "exchange", Old: a, New: b, Err: e}
}

// processAlive reports whether process pid exists; known is false when
// that cannot be told.
func processAlive(pid int) (alive, known bool) {
	switch err := syscall.Kill(pid, 0); {
	case err == nil, errors.Is(err, syscall.EPERM):
		return true, true
	case errors.Is(err, syscall.ESRCH):
		return false, true
	}
	return false, false
}

// isMountPoint reports whether dir is on another device than its parent
// (a mount point, which cannot be renamed or replaced).
func isMountPoint(dir string) bool {
	st, err := os.Lstat(dir)
	if err != nil || !st.IsDir() {
		return false
	}
	pst, err := os.Stat(filepath.Join(dir, ".."))
	if err != nil {
		return false
	}
	a, ok1 := st.Sys().(*syscall.Stat_t)
	b, ok2 := pst.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return false
	}
	return a.Dev != b.Dev || (a.Ino == b.Ino && a.Dev == b.Dev)
}
