package cache

import (
	"bytes"
	"compress/gzip"
	"strings"
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

// acceptsGzip reads Accept-Encoding (RFC 9110 §12.5.3): gzip (or x-gzip, or
// *) listed without q=0. It does not allocate: it runs on every hit.
func acceptsGzip(ae string) bool {
	for ae != "" {
		var item string
		item, ae, _ = strings.Cut(ae, ",")
		name, params, _ := strings.Cut(item, ";")
		name = strings.TrimSpace(name)
		if !strings.EqualFold(name, "gzip") && !strings.EqualFold(name, "x-gzip") && name != "*" {
			continue
		}
		if !qZero(params) {
			return true
		}
		if name != "*" {
			return false // gzip refused outright, whatever * says
		}
	}
	return false
}

// qZero reports whether parameters such as " q=0.000" give a weight of zero.
func qZero(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		v = strings.TrimSpace(v)
		if v == "" || v[0] != '0' {
			return false
		}
		return strings.Trim(v[1:], ".0") == ""
	}
	return false
}
