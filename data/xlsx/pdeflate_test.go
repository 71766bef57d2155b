package xlsx

import (
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"math/rand"
	"testing"
)

// TestParallelDeflate: the pieces make one deflate stream that the
// standard library inflates to the bytes written, with their CRC-32 and
// length, for lengths around the piece boundaries; and the compressed
// bytes do not depend on how the input was cut into Write calls.
func TestParallelDeflate(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	src := make([]byte, 3*pieceSize+5)
	for i := range src { // compressible, not trivially
		src[i] = "<row r=\"12\"><c><v>0123456789</v></c></row>"[r.Intn(42)]
	}
	for _, n := range []int{0, 1, 1000, pieceSize - 1, pieceSize, pieceSize + 1, 2 * pieceSize, len(src)} {
		in := src[:n]
		var whole bytes.Buffer
		z := newParallelDeflate(&whole)
		if _, err := z.Write(in); err != nil {
			t.Fatal(err)
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(whole.Bytes())))
		if err != nil {
			t.Fatalf("%d bytes: inflate: %v", n, err)
		}
		if !bytes.Equal(got, in) {
			t.Fatalf("%d bytes: inflated %d different bytes", n, len(got))
		}
		if z.crc != crc32.ChecksumIEEE(in) || z.n != uint64(n) {
			t.Fatalf("%d bytes: CRC %08x, length %d", n, z.crc, z.n)
		}
		var cut bytes.Buffer
		z = newParallelDeflate(&cut)
		for rest := in; len(rest) > 0; {
			k := min(len(rest), 1+r.Intn(3*pieceSize/2))
			if _, err := z.Write(rest[:k]); err != nil {
				t.Fatal(err)
			}
			rest = rest[k:]
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(cut.Bytes(), whole.Bytes()) {
			t.Fatalf("%d bytes: written in other pieces, compressed differently", n)
		}
	}
}

// BenchmarkParallelDeflate compresses a sheet's XML of the kind an audit
// writes (BenchmarkWriteWorkbook's rows), MB/s of uncompressed bytes.
func BenchmarkParallelDeflate(b *testing.B) {
	var xml bytes.Buffer
	r := rand.New(rand.NewSource(1))
	s := randomSheet(r, "units", 60000, 35)
	if err := streamRows(&xml, s.Rows, 1); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(xml.Len()))
	for b.Loop() {
		z := newParallelDeflate(io.Discard)
		if _, err := z.Write(xml.Bytes()); err != nil {
			b.Fatal(err)
		}
		if err := z.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
