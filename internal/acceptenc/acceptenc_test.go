package acceptenc

import "testing"

func TestAccepts(t *testing.T) {
	for _, c := range []struct {
		header, coding string
		want           bool
	}{
		{"", "gzip", false},
		{"gzip", "gzip", true},
		{"gzip, deflate, br, zstd", "gzip", true},
		{"gzip, deflate, br, zstd", "br", true},
		{"br, GZIP", "gzip", true},
		{"x-gzip", "gzip", true},
		{"x-gzip", "br", false},
		{"*", "gzip", true},
		{"*", "br", true},
		{"identity", "gzip", false},
		{"br", "gzip", false},
		{"gzip;q=0", "gzip", false},
		{"gzip; q=0.000", "gzip", false},
		{"gzip;q=0.5", "gzip", true},
		{"gzip;q=1.0", "gzip", true},
		{"gzip;q=0, *", "gzip", false},
		{"*, gzip;q=0", "gzip", false},
		{"*;q=0", "gzip", false},
		{"br;q=0, gzip", "br", false},
		{"br;q=0, gzip", "gzip", true},
		{"br;q=1, gzip;q=0.001", "gzip", true},
		{"gzipx", "gzip", false},
		{"brotli", "br", false},
		{",,, ;q=1", "gzip", false},
	} {
		t.Run(c.header+"/"+c.coding, func(t *testing.T) {
			if got := Accepts(c.header, c.coding); got != c.want {
				t.Errorf("Accepts(%q, %q) = %v, want %v", c.header, c.coding, got, c.want)
			}
		})
	}
}

func BenchmarkAccepts(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Accepts("gzip, deflate, br, zstd", "gzip")
	}
}
