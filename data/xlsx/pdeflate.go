package xlsx

// A worksheet of a large audit is about a hundred megabytes of XML, and
// compressing it was most of the time to write summary.xlsx (2 s of one
// core with compress/flate). It is now cut into pieces compressed at once
// on all cores by klauspost/compress's deflate (several times faster than
// the standard library's at a ratio within a few per cent), each piece
// ending in a sync flush (an empty stored block, which ends on a byte) and
// the last in the final block: their concatenation is one valid deflate
// stream, as pigz makes it. The pieces are cut at fixed offsets of the
// stream, never where Write calls happen to end, so the same sheet always
// gives the same bytes.

import (
	"bytes"
	"hash/crc32"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/flate"
)

// pieceSize is the uncompressed size of a piece: large enough that
// restarting the 32 KB window costs nothing measurable (0.03 % of the 1M
// audit's sheet), small enough to share out a sheet of tens of MB.
const pieceSize = 4 << 20

// deflateLevel is klauspost/compress's level for the sheets. On the 1M
// audit's 111 MB sheet (one core, best of 3): level 1 349 ms, 19.8 MB;
// level 2 412 ms, 19.4 MB; level 5 606 ms, 16.5 MB; level 6 582 ms,
// 16.2 MB. The fastest level saves 40 % of the time for a file a fifth
// larger, which mail and disks take without trouble.
const deflateLevel = 1

// flateWriters reuses compressors (about a megabyte of tables each) and
// pieceBufs the pieces' buffers.
var (
	flateWriters sync.Pool
	pieceBufs    = sync.Pool{New: func() any { return new([]byte) }}
)

// A piece is one piece of the stream, compressed by its own goroutine.
type piece struct {
	out  bytes.Buffer
	err  error
	done chan struct{}
}

// parallelDeflate is an io.Writer compressing what is written to it into
// w as one deflate stream (see above), with the CRC-32 and length of the
// uncompressed bytes for the zip entry.
type parallelDeflate struct {
	w       io.Writer
	buf     []byte   // the piece being filled
	pending []*piece // compressing, oldest first
	max     int      // pieces compressing at once at most
	crc     uint32
	n       uint64
	err     error
}

func newParallelDeflate(w io.Writer) *parallelDeflate {
	return &parallelDeflate{w: w, max: max(2, runtime.GOMAXPROCS(0))}
}

func (z *parallelDeflate) Write(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	z.crc = crc32.Update(z.crc, crc32.IEEETable, p)
	z.n += uint64(len(p))
	written := len(p)
	for len(p) > 0 {
		if z.buf == nil {
			z.buf = newPieceBuf()
		}
		k := min(len(p), pieceSize-len(z.buf))
		z.buf = append(z.buf, p[:k]...)
		p = p[k:]
		if len(z.buf) == pieceSize {
			if err := z.start(z.buf, false); err != nil {
				return 0, err
			}
			z.buf = nil
		}
	}
	return written, nil
}

// Close compresses the last piece (possibly empty) as the final block and
// writes out every piece.
func (z *parallelDeflate) Close() error {
	if z.err != nil {
		return z.err
	}
	if err := z.start(z.buf, true); err != nil {
		return err
	}
	z.buf = nil
	for len(z.pending) > 0 {
		if err := z.writeOldest(); err != nil {
			return err
		}
	}
	return nil
}

// start compresses b on a goroutine of its own, first writing out the
// oldest piece when as many as the cores are compressing already.
func (z *parallelDeflate) start(b []byte, final bool) error {
	for len(z.pending) >= z.max {
		if err := z.writeOldest(); err != nil {
			return err
		}
	}
	pc := &piece{done: make(chan struct{})}
	pc.out.Grow(len(b)/4 + 64)
	z.pending = append(z.pending, pc)
	go func() {
		defer close(pc.done)
		pc.err = deflatePiece(&pc.out, b, final)
		b = b[:0]
		pieceBufs.Put(&b)
	}()
	return nil
}

func newPieceBuf() []byte {
	b := *pieceBufs.Get().(*[]byte)
	if cap(b) < pieceSize {
		b = make([]byte, 0, pieceSize)
	}
	return b[:0]
}

// deflatePiece compresses b into out, ending with a sync flush or, for
// the final piece, the final block.
func deflatePiece(out io.Writer, b []byte, final bool) error {
	fw, _ := flateWriters.Get().(*flate.Writer)
	if fw == nil {
		var err error
		if fw, err = flate.NewWriter(out, deflateLevel); err != nil {
			return err
		}
	} else {
		fw.Reset(out)
	}
	defer flateWriters.Put(fw)
	if _, err := fw.Write(b); err != nil {
		return err
	}
	if final {
		return fw.Close()
	}
	return fw.Flush()
}

// pieceList keeps what is written to it, the compressed pieces, as they
// are (a parallelDeflate hands over each piece's bytes and forgets them):
// no copy into one growing buffer before the entry's size is known.
type pieceList struct {
	bufs [][]byte
	n    int
}

func (l *pieceList) Write(p []byte) (int, error) {
	l.bufs = append(l.bufs, p)
	l.n += len(p)
	return len(p), nil
}

// writeOldest waits for the oldest piece and writes it to w (which may
// keep the bytes).
func (z *parallelDeflate) writeOldest() error {
	pc := z.pending[0]
	<-pc.done
	z.pending = z.pending[1:]
	if z.err = pc.err; z.err == nil {
		_, z.err = z.w.Write(pc.out.Bytes())
	}
	return z.err
}

// wait lets the pieces still compressing finish (after an error, so that
// none is left running).
func (z *parallelDeflate) wait() {
	for _, pc := range z.pending {
		<-pc.done
	}
	z.pending = nil
}
