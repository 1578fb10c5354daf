package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bylinehq/byline/graph"
	"github.com/bylinehq/byline/internal/testenv"
	"github.com/bylinehq/byline/widget/assets"
)

// demoGateway is the whole gateway on 127.0.0.1, its public URL its own
// origin, as `byline serve` runs it by default: the demo pages load the
// widget from the gateway that serves them.
func demoGateway(t *testing.T) string {
	t.Helper()
	l, gw := listen(t, "127.0.0.1")
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := openApp(ctx, &Config{DB: filepath.Join(t.TempDir(), "demo.db"), PublicURL: gw, Now: testenv.Clock()}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if err := seedIfEmpty(ctx, a.svc, log); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(newHandler(a, log, graph.Options{}, true))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return gw
}

// TestEdgeDemoWidgetUnderCSP: the demo's front page carries its
// Content-Security-Policy (framed only by the gateway's own pages), and
// under it, in real Chromium, the page keeps its stylesheet and the widget
// still starts as WebAssembly, not through the iframe fallback, styled,
// with its email input, while an inline script injected into the page is
// refused. The explorer still runs its query under its own.
func TestEdgeDemoWidgetUnderCSP(t *testing.T) {
	if _, _, ok := assets.Built(); !ok {
		if testenv.Required("chromium") {
			t.Fatal("the widget is not built: run make widget (make test does)")
		}
		t.Skip("the widget is not built: run make widget")
	}
	gw := demoGateway(t)
	resp, err := http.Get(gw + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(csp, "frame-ancestors 'self'") || !strings.Contains(csp, "'wasm-unsafe-eval'") {
		t.Fatalf("GET /: %d, Content-Security-Policy %q", resp.StatusCode, csp)
	}

	browser := testenv.Chromium(t)
	ctx, cancel := chromedp.NewContext(browser)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(gw+"/")); err != nil {
		t.Fatal(err)
	}
	// The loader starts the module when the box nears the viewport: listen
	// for violations first, then bring the box into view.
	eval[bool](t, ctx, `(function () {
		window.__violations = [];
		document.addEventListener("securitypolicyviolation", function (e) {
			window.__violations.push(e.violatedDirective + " " + e.blockedURI);
		});
		document.querySelector("[data-byline-widget]").scrollIntoView();
		return true;
	})()`)
	waitJS(t, ctx, "the widget's email input", shadow+` && !!`+shadow+`.querySelector("input[type=email]")`, 20*time.Second)
	if eval[bool](t, ctx, `!!`+shadow+`.querySelector("iframe")`) {
		t.Fatal("the widget fell back to its iframe: the page's CSP refused its WebAssembly")
	}
	if b := eval[string](t, ctx, `getComputedStyle(`+shadow+`.querySelector(".box")).borderTopWidth`); b != "4px" {
		t.Errorf("the widget's box has border-top %q, want 4px: its stylesheet was refused", b)
	}
	if d := eval[string](t, ctx, `getComputedStyle(document.querySelector("header.site")).display`); d != "flex" {
		t.Errorf("the site's header has display %q, want flex: site.css was refused", d)
	}
	if v := eval[string](t, ctx, `window.__violations.join("; ")`); v != "" {
		t.Errorf("CSP violations: %s", v)
	}
	inline := eval[bool](t, ctx, `(function () {
		var s = document.createElement("script");
		s.textContent = "window.__inlineRan = true";
		document.head.appendChild(s);
		return window.__inlineRan === true;
	})()`)
	if inline {
		t.Error("an inline script ran: the CSP is not in force")
	}

	// The explorer, under its own policy, still runs its query.
	if err := chromedp.Do(ctx, chromedp.Navigate(gw+"/explorer")); err != nil {
		t.Fatal(err)
	}
	if g := eval[string](t, ctx, `getComputedStyle(document.querySelector(".grid")).display`); g != "grid" {
		t.Errorf("the explorer's grid has display %q: explorer.css was refused", g)
	}
	eval[bool](t, ctx, `(document.getElementById("run").click(), true)`)
	waitJS(t, ctx, "the explorer's answer", `document.querySelector("#result pre").textContent.indexOf("HTTP 200") === 0`, 10*time.Second)
}

// TestEdgePostNeedsJSON: through the whole gateway, response cache
// included, a POST to /graphql runs only as application/json. The same
// bytes as text/plain or with no Content-Type (what a cross-site page may
// send without a CORS preflight) are 415, even when the JSON request is
// cached, and a mutation sent so never runs. GET is unaffected.
func TestEdgePostNeedsJSON(t *testing.T) {
	a := newApp(t)
	post := func(ctype string, body []byte) (int, http.Header, *gqlResponse) {
		t.Helper()
		r, h := a.do(http.MethodPost, "/graphql", body, "Content-Type", ctype)
		return r.Status, h, r
	}
	query := gql(`{ sections { slug } }`)
	post("application/json", query)
	if st, h, r := post("application/json; charset=utf-8", query); st != 200 || h.Get("X-Cache") != "HIT" || len(r.Errors) > 0 {
		t.Fatalf("the JSON query: %d, X-Cache %q: %s", st, h.Get("X-Cache"), trim(r.Raw))
	}
	for _, ctype := range []string{"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"} {
		if st, h, r := post(ctype, query); st != 415 || r.code() != "BAD_USER_INPUT" || r.Data != nil || h.Get("X-Cache") == "HIT" {
			t.Errorf("the cached query as %q: %d, X-Cache %q: %s, want 415 BAD_USER_INPUT", ctype, st, h.Get("X-Cache"), trim(r.Raw))
		}
	}
	sub, _ := json.Marshal(map[string]any{
		"query":     `mutation($in: SubscribeInput!) { subscribe(input: $in) { status } }`,
		"variables": map[string]any{"in": map[string]any{"email": "simple@example.com", "partner": "demo", "consent": true}},
	})
	if st, _, r := post("", sub); st != 415 || r.code() != "BAD_USER_INPUT" {
		t.Errorf("a subscribe with no Content-Type: %d: %s, want 415", st, trim(r.Raw))
	}
	if subs, err := a.svc.Subscribers(context.Background(), ""); err != nil || len(subs) != 0 {
		t.Errorf("the refused subscribe stored %d subscribers (%v)", len(subs), err)
	}
	resp, err := http.Get(a.srv.URL + "/graphql?query=" + url.QueryEscape(`{ sections { slug } }`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /graphql: %d", resp.StatusCode)
	}
}

// freeAddr is a 127.0.0.1 address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// getBody is GET url's status and body.
func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestEdgeMetricsAddr runs the real serve wiring in processes of their
// own: by default /metrics is on the main address; with --metrics-addr it
// is only on that one, which serves nothing else, while counting the main
// address's traffic.
func TestEdgeMetricsAddr(t *testing.T) {
	const series = "byline_http_requests_total"
	t.Run("default: on the main address", func(t *testing.T) {
		base := startProcess(t, "--db", filepath.Join(t.TempDir(), "m.db"))
		if st, body := getBody(t, base+"/metrics"); st != 200 || !strings.Contains(body, series) {
			t.Fatalf("GET /metrics: %d %.300s", st, body)
		}
	})
	t.Run("--metrics-addr: only there", func(t *testing.T) {
		metrics := "http://" + freeAddr(t)
		base := startProcess(t, "--db", filepath.Join(t.TempDir(), "m.db"), "--metrics-addr", strings.TrimPrefix(metrics, "http://"))
		if st, body := getBody(t, base+"/metrics"); st != 404 || strings.Contains(body, series) || strings.Contains(body, "go_goroutines") {
			t.Errorf("GET /metrics on the main address: %d %.300s, want the 404 page", st, body)
		}
		if st, _ := getBody(t, base+"/healthz"); st != 200 {
			t.Errorf("GET /healthz on the main address: %d", st)
		}
		st, body := getBody(t, metrics+"/metrics")
		if st != 200 || !strings.Contains(body, series+`{route="healthz",status="200"}`) || !strings.Contains(body, "go_goroutines") {
			t.Errorf("GET /metrics on --metrics-addr: %d %.3000s", st, body)
		}
		for _, p := range []string{"/", "/graphql", "/healthz", "/explorer"} {
			if st, _ := getBody(t, metrics+p); st != 404 {
				t.Errorf("GET %s on --metrics-addr: %d, want 404", p, st)
			}
		}
	})
}

// TestEdgeMetricsAddrConfig: BYLINE_METRICS_ADDR is the flag's fallback,
// and an address the main listener already takes is refused up front.
func TestEdgeMetricsAddrConfig(t *testing.T) {
	for _, c := range []struct {
		name, env string
		args      []string
		want      string
	}{
		{"default", "", nil, ""},
		{"environment", "127.0.0.1:9100", nil, "127.0.0.1:9100"},
		{"flag wins over environment", "127.0.0.1:9100", []string{"--metrics-addr", "127.0.0.1:9200"}, "127.0.0.1:9200"},
	} {
		t.Run(c.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "BYLINE_METRICS_ADDR" {
					return c.env
				}
				return ""
			}
			var cfg Config
			fs := flagSet("serve", "serve", &cfg, getenv, io.Discard)
			serveFlags(fs, &cfg, getenv)
			if err := parse(fs, c.args, &cfg); err != nil || cfg.MetricsAddr != c.want {
				t.Fatalf("metrics address %q, %v; want %q", cfg.MetricsAddr, err, c.want)
			}
		})
	}
	addr := freeAddr(t)
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // were it to serve after all
	defer cancel()
	err := run(ctx, []string{"serve", "--db", filepath.Join(t.TempDir(), "m.db"), "--addr", addr, "--metrics-addr", addr},
		func(string) string { return "" }, io.Discard, &stderr)
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--metrics-addr") {
		t.Fatalf("the same address twice: %v, want a usage error naming --metrics-addr", err)
	}
}
