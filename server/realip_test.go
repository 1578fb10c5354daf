package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRealIP(t *testing.T) {
	trusted, err := ParsePrefixes("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, remote, xff, want string
	}{
		{"from the balancer", "10.1.2.3:5555", "203.0.113.9", "203.0.113.9"},
		{"through two proxies", "10.1.2.3:5555", "198.51.100.7, 203.0.113.9, 10.9.9.9", "203.0.113.9"},
		{"a client lying to the balancer", "10.1.2.3:5555", "1.2.3.4, 203.0.113.9", "203.0.113.9"},
		{"straight from a client", "203.0.113.50:4444", "1.2.3.4", "203.0.113.50"},
		{"garbage header", "192.0.2.1:1", "not-an-ip", "192.0.2.1"},
		{"no header", "10.1.2.3:5555", "", "10.1.2.3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got string
			h := realIP(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }))
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = c.remote
			if c.xff != "" {
				req.Header.Set("X-Forwarded-For", c.xff)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			host := got
			if i := len(host) - 1; i > 0 {
				for j := len(host) - 1; j >= 0; j-- {
					if host[j] == ':' {
						host = host[:j]
						break
					}
				}
			}
			if host != c.want {
				t.Fatalf("client %q, want %q", host, c.want)
			}
		})
	}
	if _, err := ParsePrefixes("10.0.0.0/33"); err == nil {
		t.Fatal("a bad prefix was accepted")
	}
}
