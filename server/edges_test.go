package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/bylinehq/byline/content"
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

// TestEdgeRequireJSON: a POST is GraphQL only when it says
// application/json (a charset, if any, UTF-8). Any other type, and no type
// at all, which a cross-site page may send with no CORS preflight, is 415
// in GraphQL's error shape and never reaches GraphQL, before the response
// cache (RequireJSONType) as behind it (RequireJSON). GET is not a body.
func TestEdgeRequireJSON(t *testing.T) {
	for _, c := range []struct {
		name, method, ctype string
		body                string
		want                int // 0: reaches next
	}{
		{"json", "POST", "application/json", `{"query":"{ sections { slug } }"}`, 0},
		{"json, utf-8", "POST", "application/json; charset=utf-8", `{"query":"{ sections { slug } }"}`, 0},
		{"json, UTF-8, upper case", "POST", "Application/JSON;charset=UTF-8", `{"query":"{ sections { slug } }"}`, 0},
		{"no content type", "POST", "", `{"query":"{ sections { slug } }"}`, 415},
		{"no content type, no body", "POST", "", ``, 415},
		{"text/plain", "POST", "text/plain", `{"query":"{ sections { slug } }"}`, 415},
		{"text/plain, utf-8", "POST", "text/plain;charset=UTF-8", `{"query":"{ sections { slug } }"}`, 415},
		{"form", "POST", "application/x-www-form-urlencoded", `query=%7B+sections+%7B+slug+%7D+%7D`, 415},
		{"multipart", "POST", "multipart/form-data; boundary=x", "--x--", 415},
		{"graphql", "POST", "application/graphql", `{ sections { slug } }`, 415},
		{"graphql-response", "POST", "application/graphql-response+json", `{"query":"{ sections { slug } }"}`, 415},
		{"json prefix", "POST", "application/jsonp", `{"query":"{ sections { slug } }"}`, 415},
		{"json, latin-1", "POST", "application/json; charset=iso-8859-1", `{"query":"{ sections { slug } }"}`, 415},
		{"malformed type", "POST", "application/json; charset", `{"query":"{ sections { slug } }"}`, 415},
		{"GET", "GET", "", ``, 0},
	} {
		for _, mw := range []struct {
			name string
			wrap func(http.Handler) http.Handler
		}{{"RequireJSONType", RequireJSONType}, {"RequireJSON", RequireJSON}} {
			t.Run(mw.name+"/"+c.name, func(t *testing.T) {
				reached := false
				h := mw.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
				req := httptest.NewRequest(c.method, "/graphql", strings.NewReader(c.body))
				if c.ctype != "" {
					req.Header.Set("Content-Type", c.ctype)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if c.want == 0 {
					if !reached {
						t.Fatalf("refused with %d: %s", w.Code, w.Body)
					}
					return
				}
				if reached {
					t.Fatal("reached GraphQL")
				}
				var out struct {
					Errors []struct {
						Message    string
						Extensions struct{ Code string }
					}
				}
				if w.Code != c.want || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") ||
					json.Unmarshal(w.Body.Bytes(), &out) != nil || len(out.Errors) != 1 || out.Errors[0].Extensions.Code != "BAD_USER_INPUT" || out.Errors[0].Message == "" {
					t.Fatalf("%d %q %s, want %d with a BAD_USER_INPUT error", w.Code, w.Header().Get("Content-Type"), w.Body, c.want)
				}
			})
		}
	}
}

// TestEdgeNoJSBackLink: the no-JS form's answer page links back only to a
// page on one of that partner's allowed origins (or the gateway's own);
// any other URL the form or the Referer names, which a hostile page
// controls, gets no link on the gateway's origin.
func TestEdgeNoJSBackLink(t *testing.T) {
	f := newDemoFixture(t)
	ctx := context.Background()
	for _, p := range []content.Partner{
		{ID: "news", Name: "News", Origins: []string{"https://partner.example", "http://localhost:8081"}},
		{ID: "other", Name: "Other", Origins: []string{"https://other.example"}},
	} {
		if err := f.svc.SavePartner(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name, partner, page, referer string
		want                         string // the link's href, "" for none
	}{
		{"allowed page", "news", "https://partner.example/story?id=1", "", "https://partner.example/story?id=1"},
		{"allowed page, another case and the default port", "news", "https://Partner.Example:443/story", "", "https://Partner.Example:443/story"},
		{"allowed page with a port", "news", "http://localhost:8081/a", "", "http://localhost:8081/a"},
		{"the gateway's own page", "news", "https://news.example.com/news", "", "https://news.example.com/news"},
		{"allowed Referer", "news", "", "https://partner.example/from-referer", "https://partner.example/from-referer"},
		{"foreign page", "news", "https://evil.example/phish", "", ""},
		{"foreign Referer", "news", "", "https://evil.example/phish", ""},
		{"look-alike host", "news", "https://partner.example.evil.example/phish", "", ""},
		{"userinfo", "news", "https://partner.example@evil.example/phish", "", ""},
		{"the allowed host as userinfo", "news", "https://evil.example:x@partner.example/story", "", "https://partner.example/story"},
		{"another scheme", "news", "http://partner.example/story", "", ""},
		{"another port", "news", "https://partner.example:8443/story", "", ""},
		{"another partner's origin", "news", "https://other.example/story", "", ""},
		{"unknown partner", "nobody", "https://partner.example/story", "", ""},
		{"javascript", "news", "javascript:alert(1)", "", ""},
		{"relative", "news", "//evil.example/phish", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			form := url.Values{"email": {"reader@example.com"}, "partner": {c.partner}} // no consent: refused
			if c.page != "" {
				form.Set("page", c.page)
			}
			req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/widget/subscribe", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if c.referer != "" {
				req.Header.Set("Referer", c.referer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if resp.StatusCode == http.StatusOK || resp.StatusCode >= 500 {
				t.Fatalf("%d, want a refusal: %s", resp.StatusCode, body)
			}
			var hrefs []string
			for _, l := range links(body) {
				if !strings.HasPrefix(l, "/static/") {
					hrefs = append(hrefs, l)
				}
			}
			switch {
			case c.want == "" && len(hrefs) > 0:
				t.Errorf("links to %q, want no link", hrefs)
			case c.want != "" && (len(hrefs) != 1 || hrefs[0] != c.want):
				t.Errorf("links to %q, want %q", hrefs, c.want)
			}
			if strings.Contains(body, "evil.example") {
				t.Errorf("the page names evil.example: %s", body)
			}
		})
	}
}
