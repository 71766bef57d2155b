package data

import (
	"fmt"
	"io"
	"runtime"
	"sync"
)

// featureChunk is how many features one core encodes at a time in
// writeFeatureChunks.
const featureChunk = 2048

// chunkBufs are the chunks' buffers, reused from chunk to chunk (and file
// to file): fresh ones would be cleared and collected a megabyte at a time.
var chunkBufs = sync.Pool{New: func() any { return []byte(nil) }}

// A featureEncoder appends feature i (as AppendFeature encodes it) to b.
// Each encoder is used by one goroutine at a time, so it may keep scratch
// space (a Props slice) between calls.
type featureEncoder func(b []byte, i int) ([]byte, error)

// writeFeatureChunks writes features 0..n-1 to w as one FeatureCollection,
// byte for byte as GeoJSONWriter writes them one by one, but encoded in
// chunks on all cores ahead of the writer and written in order. newEnc
// makes one encoder per chunk. The error is the first failing feature's,
// in feature order, as GeoJSONWriter's first Write error would be; nothing
// after it is written.
func writeFeatureChunks(w io.Writer, n int, newEnc func() featureEncoder) error {
	type result struct {
		b   []byte
		err error
	}
	workers := runtime.GOMAXPROCS(0)
	order := make(chan chan result, workers) // bounds the chunks in flight
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(order)
		sem := make(chan struct{}, workers)
		for lo := 0; lo < n; lo += featureChunk {
			c := make(chan result, 1)
			select {
			case order <- c:
			case <-stop:
				return
			}
			sem <- struct{}{}
			go func(lo, hi int) {
				defer func() { <-sem }()
				enc := newEnc()
				b := chunkBufs.Get().([]byte)[:0]
				var err error
				for i := lo; i < hi; i++ {
					if i == 0 {
						b = append(b, geojsonHeader+"\n"...)
					} else {
						b = append(b, ",\n"...)
					}
					if b, err = enc(b, i); err != nil {
						break
					}
				}
				c <- result{b, err}
			}(lo, min(lo+featureChunk, n))
		}
	}()
	if n == 0 {
		_, err := io.WriteString(w, geojsonHeader+geojsonFooter)
		return geojsonWriteErr(err)
	}
	for c := range order {
		r := <-c
		if r.err != nil {
			return r.err
		}
		_, err := w.Write(r.b)
		chunkBufs.Put(r.b)
		if err != nil {
			return geojsonWriteErr(err)
		}
	}
	_, err := io.WriteString(w, geojsonFooter)
	return geojsonWriteErr(err)
}

func geojsonWriteErr(err error) error {
	if err != nil {
		return fmt.Errorf("geojson: write: %w", err)
	}
	return nil
}
