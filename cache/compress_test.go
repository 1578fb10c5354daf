package cache

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for _, c := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"gzip, deflate, br, zstd", true},
		{"br, GZIP", true},
		{"x-gzip", true},
		{"*", true},
		{"identity", false},
		{"br", false},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"gzip;q=0.5", true},
		{"gzip;q=1.0", true},
		{"gzip;q=0, *", false},
		{"*;q=0", false},
		{"br;q=1, gzip;q=0.001", true},
		{"gzipx", false},
		{",,, ;q=1", false},
	} {
		t.Run(c.header, func(t *testing.T) {
			if got := acceptsGzip(c.header); got != c.want {
				t.Errorf("acceptsGzip(%q) = %v, want %v", c.header, got, c.want)
			}
		})
	}
}

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

func BenchmarkAcceptsGzip(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		acceptsGzip("gzip, deflate, br, zstd")
	}
}
