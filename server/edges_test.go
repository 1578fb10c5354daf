package server

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// directives splits a Content-Security-Policy into its directives.
func directives(csp string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(csp, ";") {
		if f := strings.Fields(d); len(f) > 0 {
			out[f[0]] = f[1:]
		}
	}
	return out
}

func has(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

var scriptTag = regexp.MustCompile(`<script\b[^>]*>`)

// TestEdgeSecurityHeaders: the demo site's pages (the front page, an
// article, a section, a tag, a 404) and the explorer may only be framed by
// the gateway's own pages, and load scripts, styles and connections only
// from the gateway (the widget's loader, module and API included, on
// --public-url's origin), with WebAssembly but no inline script, which
// none of them has. Every answer says nosniff.
func TestEdgeSecurityHeaders(t *testing.T) {
	f := newDemoFixture(t)
	const gw = "https://gateway.example.com" // the fixture's public URL
	for _, c := range []struct {
		name, path string
		status     int
		widget     bool // the page embeds the widget
	}{
		{"front page", "/", 200, true},
		{"article", "/news/" + SeedSlug, 200, true},
		{"section", "/news", 200, true},
		{"tag", "/tag/coal", 200, true},
		{"not found", "/no/such/page", 404, false},
		{"explorer", "/explorer", 200, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			pg := f.get(c.path)
			if pg.status != c.status {
				t.Fatalf("GET %s: %d, want %d", c.path, pg.status, c.status)
			}
			csp := pg.header.Get("Content-Security-Policy")
			d := directives(csp)
			if got := d["frame-ancestors"]; len(got) != 1 || got[0] != "'self'" {
				t.Errorf("frame-ancestors %q, want 'self' (CSP %q)", got, csp)
			}
			if got := d["default-src"]; len(got) != 1 || got[0] != "'none'" {
				t.Errorf("default-src %q, want 'none' (CSP %q)", got, csp)
			}
			if strings.Contains(csp, "'unsafe-inline'") || strings.Contains(csp, "'unsafe-eval'") || strings.Contains(csp, "*") {
				t.Errorf("CSP %q allows inline or evaluated code, or any host", csp)
			}
			for _, dir := range []string{"script-src", "style-src", "connect-src"} {
				if !has(d[dir], "'self'") {
					t.Errorf("%s %q lacks 'self' (CSP %q)", dir, d[dir], csp)
				}
			}
			if c.widget {
				for _, dir := range []string{"script-src", "connect-src", "frame-src", "form-action"} {
					if !has(d[dir], gw) {
						t.Errorf("%s %q lacks the gateway %s the widget comes from (CSP %q)", dir, d[dir], gw, csp)
					}
				}
				if !has(d["script-src"], "'wasm-unsafe-eval'") {
					t.Errorf("script-src %q: the widget's WebAssembly cannot run", d["script-src"])
				}
			}
			// No inline script: what the CSP leaves out must not be needed.
			for _, tag := range scriptTag.FindAllString(pg.body, -1) {
				if !strings.Contains(tag, " src=") && !strings.Contains(tag, `type="application/ld+json"`) {
					t.Errorf("inline script %s: the CSP blocks it", tag)
				}
			}
			if got := pg.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
		})
	}
	for _, p := range []string{
		"/graphql", "/healthz", "/readyz", "/metrics", "/static/site.css", "/static/explorer.js",
		"/widget/v1/loader.js", "/widget/frame?partner=demo", "/widget/confirm?token=x", "/widget/subscribe",
	} {
		if pg := f.get(p); pg.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s (%d): X-Content-Type-Options %q, want nosniff", p, pg.status, pg.header.Get("X-Content-Type-Options"))
		}
	}
	if pg := f.do(http.MethodPost, "/widget/subscribe"); pg.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("POST /widget/subscribe (%d): X-Content-Type-Options %q", pg.status, pg.header.Get("X-Content-Type-Options"))
	}
}
