package data

import (
	"runtime"
	"sync"
)

// parFeatureWindow is how many features the cores scan before they are
// handed, in order, to the reader; a window's features are all that is
// held at once. parFeatureMin is the size in bytes under which a file's
// features are scanned on one core: splitting costs more than it saves.
// (Variables so that tests take the parallel path with small files.)
var parFeatureWindow, parFeatureMin = 4096, 1 << 20

// featureList scans the elements of a features array, the cursor just
// after its '[', through its ']', and hands each feature to add in order,
// stopping at the first add that returns false. It returns false when the
// array is malformed or add returned false. On several cores, windows of
// features are cut at their top-level commas (a pass that follows only
// strings and brackets) and scanned in parallel, each by its own cursor
// that must consume exactly its element: the features and the first
// failure are the same as one cursor's, feature by feature.
func (s *gjScan) featureList(add func(i int, f *gjFeature) bool) bool {
	w := runtime.GOMAXPROCS(0)
	if w < 2 || len(s.b)-s.i < parFeatureMin {
		for i := 0; !s.lit(']'); i++ {
			if i > 0 && !s.lit(',') {
				return false
			}
			f, ok := s.feature()
			if !ok || !add(i, f) {
				return false
			}
		}
		return true
	}
	if s.lit(']') {
		return true
	}
	scans := make([]gjScan, w)
	spans := make([][2]int, 0, parFeatureWindow)
	got := make([]*gjFeature, parFeatureWindow)
	for i := 0; ; {
		// Cut the next window; the last element ends at the array's ']'.
		spans = spans[:0]
		last := false
		for len(spans) < parFeatureWindow && !last {
			end := elementEnd(s.b, s.i)
			if end < 0 {
				return false
			}
			spans = append(spans, [2]int{s.i, end})
			last = s.b[end] == ']'
			s.i = end + 1
		}
		var wg sync.WaitGroup
		per := (len(spans) + w - 1) / w
		for k := 0; k*per < len(spans); k++ {
			wg.Add(1)
			go func(sc *gjScan, lo, hi int) {
				defer wg.Done()
				for j := lo; j < hi; j++ {
					sc.b, sc.i = s.b[:spans[j][1]], spans[j][0]
					f, ok := sc.feature()
					if sc.ws(); !ok || sc.i != len(sc.b) {
						f = nil // not exactly one feature: malformed
					}
					got[j] = f
				}
			}(&scans[k], k*per, min((k+1)*per, len(spans)))
		}
		wg.Wait()
		for j := range spans {
			if got[j] == nil || !add(i, got[j]) {
				return false
			}
			got[j] = nil
			i++
		}
		if last {
			return true
		}
	}
}

// elementEnd returns the index of the ',' or ']' that ends the array
// element starting at p (after any white space), or -1 when the bytes end
// first or a bracket closes what it did not open. It follows only strings
// and brackets: the element itself is checked when it is scanned.
func elementEnd(b []byte, p int) int {
	var stack []byte
	for ; p < len(b); p++ {
		switch c := b[p]; c {
		case '"':
			for p++; p < len(b) && b[p] != '"'; p++ {
				if b[p] == '\\' {
					p++
				}
			}
		case '{', '[':
			stack = append(stack, c)
		case '}', ']':
			if len(stack) == 0 {
				if c == ']' {
					return p
				}
				return -1
			}
			if open := stack[len(stack)-1]; open == '{' && c != '}' || open == '[' && c != ']' {
				return -1
			}
			stack = stack[:len(stack)-1]
		case ',':
			if len(stack) == 0 {
				return p
			}
		}
	}
	return -1
}
