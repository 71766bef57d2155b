package osm

// The protocol buffer wire format, read by hand for speed.

// pb reads protocol buffer wire format; any malformed input sets bad.
type pb struct {
	b   []byte
	i   int
	bad bool
}

func (p *pb) more() bool { return !p.bad && p.i < len(p.b) }

func (p *pb) uvarint() uint64 {
	if p.i < len(p.b) {
		if c := p.b[p.i]; c < 0x80 {
			p.i++
			return uint64(c)
		}
	}
	return p.uvarintSlow()
}

func (p *pb) uvarintSlow() uint64 {
	var x uint64
	var s uint
	for j := 0; j < 10; j++ {
		if p.i >= len(p.b) {
			p.bad = true
			return 0
		}
		c := p.b[p.i]
		p.i++
		if c < 0x80 {
			return x | uint64(c)<<s
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	p.bad = true
	return 0
}

func (p *pb) key() (num, wt int) {
	k := p.uvarint()
	if k>>3 == 0 || k>>3 > 1<<29 {
		p.bad = true
	}
	return int(k >> 3), int(k & 7)
}

func (p *pb) bytes() []byte {
	n := p.uvarint()
	if p.bad || n > uint64(len(p.b)-p.i) {
		p.bad = true
		return nil
	}
	s := p.b[p.i : p.i+int(n)]
	p.i += int(n)
	return s
}

func (p *pb) advance(n int) {
	if len(p.b)-p.i < n {
		p.bad = true
		return
	}
	p.i += n
}

func (p *pb) skip(wt int) {
	switch wt {
	case 0:
		p.uvarint()
	case 1:
		p.advance(8)
	case 2:
		p.bytes()
	case 5:
		p.advance(4)
	default:
		p.bad = true
	}
}

func zigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// countVarints counts the varints in packed data (bytes without the
// continuation bit).
func countVarints(b []byte) int {
	n := 0
	for _, c := range b {
		if c < 0x80 {
			n++
		}
	}
	return n
}
