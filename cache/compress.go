package cache

import (
	"bytes"
	"compress/gzip"
	"sync"
)

// minGzip is the smallest body worth compressing: below it the gzip frame
// and the extra headers cost about what they save.
const minGzip = 1024

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return w
}}

// gzipBody compresses a cached body once, when it is stored, so that every
// hit can answer a client that accepts gzip without compressing again. An
// article page shrinks about 3×, which is also what lets the answer leave in
// one write. nil when compressing would not pay.
func gzipBody(body []byte) []byte {
	if len(body) < minGzip {
		return nil
	}
	var buf bytes.Buffer
	buf.Grow(len(body) / 2)
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(body); err != nil {
		return nil
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	if buf.Len() >= len(body)*9/10 {
		return nil
	}
	return buf.Bytes()
}
