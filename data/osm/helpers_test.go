package osm

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"os/exec"
	"testing"
)

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bzip2CLI compresses data with the bzip2 command when it is on PATH.
func bzip2CLI(t testing.TB, data []byte) ([]byte, bool) {
	t.Helper()
	if _, err := exec.LookPath("bzip2"); err != nil {
		return nil, false
	}
	cmd := exec.Command("bzip2", "-c")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bzip2: %v", err)
	}
	return out, true
}

// indexBlobField returns the file offset of the zlib_data field key in the
// k-th block (0 = header block), or -1.
func indexBlobField(data []byte, k int) int {
	off := 0
	for i := 0; off+4 <= len(data); i++ {
		hs := int(binary.BigEndian.Uint32(data[off:]))
		_, ds, ok := parseBlobHeader(data[off+4 : off+4+hs])
		if !ok {
			return -1
		}
		blob := off + 4 + hs
		if i == k {
			p := pb{b: data[blob : blob+ds]}
			for p.more() {
				start := p.i
				num, wt := p.key()
				if num == 3 {
					return blob + start
				}
				p.skip(wt)
			}
			return -1
		}
		off = blob + ds
	}
	return -1
}
