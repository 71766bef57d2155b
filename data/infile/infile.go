package infile

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
)

// NotRegularError is the error for a path that exists but is not a
// regular file.
type NotRegularError struct {
	Path string
	What string // "a directory", "a named pipe (FIFO)", ...
	Want string // what to give instead, e.g. "a .geojson or .csv file"
}

func (e *NotRegularError) Error() string {
	if e.What == "a directory" {
		return fmt.Sprintf("%s: is a directory, not a file — give the path of %s inside it", e.Path, e.Want)
	}
	return fmt.Sprintf("%s: is %s, not a regular file — lifecircle reads only regular files; give the path of %s", e.Path, e.What, e.Want)
}

// kind names what a non-regular file mode is.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device (such as /dev/zero)"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a regular file"
}

// Stat returns the file information of path (symbolic links followed);
// a path that exists but is not a regular file is a *NotRegularError
// naming want, what to give instead. Other errors are os.Stat's (test
// them with errors.Is(err, fs.ErrNotExist) and the like).
func Stat(path, want string) (fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, What: kind(st.Mode()), Want: want}
	}
	return st, nil
}

// Open opens path for reading when it is a regular file (Stat), and
// checks the opened file again (the path may have changed in between).
func Open(path, want string) (*os.File, error) {
	if _, err := Stat(path, want); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: path, What: kind(st.Mode()), Want: want}
	}
	return f, nil
}

// ReadFile reads the whole of path when it is a regular file.
func ReadFile(path, want string) ([]byte, error) {
	f, err := Open(path, want)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	b := bytes.NewBuffer(make([]byte, 0, size+512))
	_, err = b.ReadFrom(f)
	return b.Bytes(), err
}
