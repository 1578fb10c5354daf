package cache

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

func TestGzipBody(t *testing.T) {
	t.Run("small bodies stay plain", func(t *testing.T) {
		if gz := gzipBody([]byte(`{"data":{"sections":[]}}`)); gz != nil {
			t.Fatalf("compressed %d bytes", len(gz))
		}
	})
	t.Run("incompressible bodies stay plain", func(t *testing.T) {
		b := make([]byte, 4096)
		for i := range b {
			b[i] = byte(i*7919 + i>>3*31)
		}
		zb := gzipBody(b)
		if zb != nil && len(zb) >= len(b)*9/10 {
			t.Fatalf("kept a gzip body of %d bytes for %d", len(zb), len(b))
		}
	})
	t.Run("round trip", func(t *testing.T) {
		body := []byte(`{"data":{"articles":[` + strings.Repeat(`{"title":"Copper output rises at Oyu Tolgoi"},`, 60) + `{}]}}`)
		gz := gzipBody(body)
		if gz == nil || len(gz) > len(body)/3 {
			t.Fatalf("gzip of %d bytes is %d", len(body), len(gz))
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("round trip differs (%v)", err)
		}
	})
}
