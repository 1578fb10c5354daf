package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/graph"
	"github.com/bylinehq/byline/internal/testenv"
	"github.com/bylinehq/byline/server"
	"github.com/bylinehq/byline/widget/assets"
)

// widgetWorld is a gateway on 127.0.0.1 and partner pages on localhost:
// two origins, as a partner site and the gateway are in production.
type widgetWorld struct {
	gw     string // the gateway's origin
	db     string
	svc    *content.Service
	allow  string // a partner page origin on the allow-list
	deny   string // one that is not
	pages  map[string]string
	closed []func()
}

func listen(t *testing.T, host string) (net.Listener, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return l, "http://" + host + ":" + port
}

func newWidgetWorld(t *testing.T) *widgetWorld {
	t.Helper()
	return newWidgetWorldFill(t, 300*time.Millisecond)
}

// newWidgetWorldFill is a widget world whose gateway refuses a sign-up
// whose form token is younger than minFill (0: the default, as in
// production).
func newWidgetWorldFill(t *testing.T, minFill time.Duration) *widgetWorld {
	t.Helper()
	return newWidgetWorldAt(t, minFill, nil)
}

// newWidgetWorldAt is a widget world whose domain runs on the clock now
// (the wall clock when nil).
func newWidgetWorldAt(t *testing.T, minFill time.Duration, now func() time.Time) *widgetWorld {
	t.Helper()
	if _, _, ok := assets.Built(); !ok {
		if testenv.Required("chromium") {
			t.Fatal("the widget is not built: run make widget (make test does)")
		}
		t.Skip("the widget is not built: run make widget")
	}
	w := &widgetWorld{db: filepath.Join(t.TempDir(), "w.db"), pages: map[string]string{}}
	gl, gw := listen(t, "127.0.0.1")
	w.gw = gw
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := openApp(ctx, &Config{DB: w.db, PublicURL: gw, MinFill: minFill, Now: now}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if err := seedIfEmpty(ctx, a.svc, log); err != nil {
		t.Fatal(err)
	}
	w.svc = a.svc
	srv := httptest.NewUnstartedServer(newHandler(a, log, graph.Options{}, true))
	srv.Listener = gl
	srv.Start()
	t.Cleanup(srv.Close)

	pl, allow := listen(t, "localhost")
	dl, deny := listen(t, "localhost")
	w.allow, w.deny = allow, deny
	if err := a.svc.SavePartner(ctx, content.Partner{ID: "news", Name: "Partner News", Origins: []string{allow}}); err != nil {
		t.Fatal(err)
	}
	pages := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/csp" {
			// A strict partner: scripts and frames from the gateway, and no
			// WebAssembly ('wasm-unsafe-eval' is missing).
			rw.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' "+gw+"; connect-src "+gw+"; frame-src "+gw+"; style-src 'self'")
		}
		switch r.URL.Path {
		case "/partner.css":
			rw.Header().Set("Content-Type", "text/css")
			fmt.Fprint(rw, "body{font:16px/1.5 sans-serif;max-width:40rem;margin:0 auto}[data-byline-widget]{height:300px}")
			return
		case "/observe.js":
			rw.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(rw, observeJS)
			return
		}
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		locale := r.URL.Query().Get("locale")
		if locale == "" {
			locale = "en"
		}
		fmt.Fprint(rw, partnerPage(gw, locale, r.URL.Path != "/csp"))
	})
	for _, l := range []net.Listener{pl, dl} {
		s := httptest.NewUnstartedServer(pages)
		s.Listener = l
		s.Start()
		t.Cleanup(s.Close)
	}
	return w
}

func partnerPage(gw, locale string, inlineScript bool) string {
	listener := ""
	if inlineScript {
		listener = `<script>document.addEventListener("byline:subscribed", function (e) { window.__subscribed = e.detail.partner; });</script>`
	}
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner story</title>
<link rel="stylesheet" href="/partner.css"><script src="/observe.js"></script></head><body>
<h1>A partner's story</h1><p>Text above the box.</p>
<div data-byline-widget data-partner="news" data-locale="` + locale + `">
  <form action="` + gw + `/widget/subscribe" method="post"><input type="hidden" name="partner" value="news">
  <label>Email <input type="email" name="email"></label><label><input type="checkbox" name="consent" value="yes"> I agree</label>
  <button type="submit">Subscribe</button></form>
</div><p id="below">Text below the box.</p>` + listener + `
<script async src="` + gw + `/widget/v1/loader.js"></script></body></html>`
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// waitJS polls a boolean expression.
func waitJS(t *testing.T, ctx context.Context, what, js string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			// What the page shows, so a failure here can be read later.
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () {
				var w = document.querySelector("[data-byline-widget]");
				var r = w && w.shadowRoot;
				return (location.href + " | " + (r ? r.innerHTML : (w ? w.outerHTML : "no widget"))).slice(0, 1500);
			})()`))
			t.Fatalf("timed out waiting for %s (%v); page: %s", what, err, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const shadow = `document.querySelector("[data-byline-widget]").shadowRoot`

func keys(t *testing.T, ctx context.Context, ks ...string) {
	t.Helper()
	for _, k := range ks {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
			t.Fatal(err)
		}
	}
}

func (w *widgetWorld) exported(t *testing.T) string {
	t.Helper()
	out, _, err := runCLI(t, map[string]string{"BYLINE_DATABASE_URL": w.db}, "subscribers", "export", "--partner", "news")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWidgetInBrowser: a reader on a partner's page subscribes with the
// keyboard alone; a page on an origin off the allow-list cannot; a page
// whose CSP forbids WebAssembly subscribes through the iframe.
func TestWidgetInBrowser(t *testing.T) {
	w := newWidgetWorld(t)
	browser := testenv.Chromium(t)

	t.Run("allowed origin, keyboard only", func(t *testing.T) {
		ctx, cancel := chromedp.NewContext(browser)
		defer cancel()
		page := w.allow + "/story"
		if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, "the form", shadow+` && !!`+shadow+`.querySelector("input[type=email]")`, 15*time.Second)
		if lbl := eval[string](t, ctx, shadow+`.querySelector("label[for="+JSON.stringify(`+shadow+`.querySelector("input[type=email]").id)+"]").textContent`); lbl != "Email address" {
			t.Fatalf("email label %q", lbl)
		}
		if h := eval[string](t, ctx, shadow+`.querySelector("h2").textContent`); h != "Stay connected with Mongolia Inc" {
			t.Fatalf("headline %q", h)
		}
		time.Sleep(400 * time.Millisecond) // a person takes longer than MinFill
		keys(t, ctx, kb.Tab, "reader@partner.example", kb.Tab)
		if f := eval[string](t, ctx, `(`+shadow+`.activeElement || {type: "none"}).type`); f != "checkbox" {
			t.Fatalf("tab order: after the address, focus is on %q, want the consent checkbox", f)
		}
		keys(t, ctx, " ", kb.Tab, kb.Enter)
		waitJS(t, ctx, "the success message", shadow+`.querySelector("[role=status]").textContent.indexOf("check your inbox") >= 0`, 10*time.Second)
		if p := eval[string](t, ctx, `String(window.__subscribed)`); p != "news" {
			t.Fatalf("byline:subscribed event: %q", p)
		}
		if live := eval[string](t, ctx, shadow+`.querySelector("[role=status]").getAttribute("aria-live")`); live != "polite" {
			t.Fatalf("aria-live %q", live)
		}
		if out := w.exported(t); !strings.Contains(out, "reader@partner.example,news,pending,") || !strings.Contains(out, page) {
			t.Fatalf("export:\n%s", out)
		}
	})

	t.Run("origin not on the allow-list", func(t *testing.T) {
		ctx, cancel := chromedp.NewContext(browser)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Navigate(w.deny+"/story")); err != nil {
			t.Fatal(err)
		}
		// The widget cannot load its configuration (CORS) and gives the box
		// back to the page's own form.
		waitJS(t, ctx, "the widget to give up", shadow+` && !!`+shadow+`.querySelector("slot")`, 15*time.Second)
		got := eval[string](t, ctx, `fetch(`+jsString(w.gw+"/graphql")+`, {method: "POST", headers: {"Content-Type": "application/json"},
			body: JSON.stringify({query: 'mutation { subscribe(input: {email: "intruder@evil.example", partner: "news", consent: true}) { status } }'})})
			.then(function () { return "sent"; }, function () { return "blocked"; })`)
		if got != "blocked" {
			t.Fatalf("a cross-origin subscribe from a foreign origin was %s", got)
		}
		if out := w.exported(t); strings.Contains(out, "intruder") {
			t.Fatalf("export:\n%s", out)
		}
	})

	t.Run("CSP forbids WebAssembly: iframe fallback", func(t *testing.T) {
		ctx, cancel := chromedp.NewContext(browser)
		defer cancel()
		page := w.allow + "/csp"
		// The frame is another origin: the page cannot see when its widget
		// has rendered, so keys typed too soon are lost on a slow machine.
		// Each attempt waits longer and signs up a new address.
		subscribed := false
		for attempt := 1; attempt <= 3 && !subscribed; attempt++ {
			if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, "the iframe", shadow+` && !!`+shadow+`.querySelector("iframe")`, 15*time.Second)
			time.Sleep(time.Duration(attempt) * 2 * time.Second) // the framed widget loads its module and config
			email := fmt.Sprintf("framed%d@partner.example", attempt)
			keys(t, ctx, kb.Tab, email, kb.Tab, " ", kb.Tab, kb.Enter)
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if strings.Contains(w.exported(t), email) {
					subscribed = true
					break
				}
			}
		}
		if !subscribed {
			t.Fatalf("the framed widget did not subscribe; export:\n%s", w.exported(t))
		}
		if out := w.exported(t); !strings.Contains(out, page) {
			t.Fatalf("the consent receipt lacks the partner page: %s", out)
		}
	})
}

// TestWidgetFastSubmit: autofill makes a form filled and sent at once
// normal, and the gateway refuses a form token younger than its minimum
// fill time (here the default, as in production). The widget holds such a
// submission, announcing its "sending" message with the button disabled,
// until the token is old enough; the reader sees that message and then the
// success one, in their language, and is never refused for speed. A second
// fast sign-up, on the token fetched after the first, is held the same way.
func TestWidgetFastSubmit(t *testing.T) {
	w := newWidgetWorldFill(t, 0)
	browser := testenv.Chromium(t)
	for _, c := range []struct {
		locale, sending, success string
		emails                   []string
	}{
		{"en", "Sending…", "check your inbox", []string{"autofill@partner.example", "again@partner.example"}},
		{"mn", "Илгээж байна…", "имэйлээ шалгаж", []string{"autofill-mn@partner.example"}},
	} {
		t.Run(c.locale, func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(browser)
			defer cancel()
			if err := chromedp.Do(ctx, chromedp.Navigate(w.allow+"/story?locale="+c.locale)); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, "the form", shadow+` && !!`+shadow+`.querySelector("input[type=email]")`, 15*time.Second)
			// Every text the status region shows, with whether the button
			// was disabled then.
			eval[bool](t, ctx, `(function () {
				var r = `+shadow+`, st = r.querySelector("[role=status]"), b = r.querySelector("button[type=submit]");
				window.__said = [];
				new MutationObserver(function () { window.__said.push({text: st.textContent, disabled: b.disabled}); })
					.observe(st, {childList: true, characterData: true, subtree: true});
				return true;
			})()`)
			for i, addr := range c.emails {
				// As autofill does: both fields set, and the form sent at
				// once, in one task, the moment the widget is there.
				now := eval[statusSaid](t, ctx, `(function () {
					var r = `+shadow+`, e = r.querySelector("input[type=email]"), k = r.querySelector("input[type=checkbox]");
					e.value = `+jsString(addr)+`;
					e.dispatchEvent(new Event("input", {bubbles: true}));
					k.checked = true;
					k.dispatchEvent(new Event("change", {bubbles: true}));
					r.querySelector("button[type=submit]").click();
					var st = r.querySelector("[role=status]"), b = r.querySelector("button[type=submit]");
					return {Text: st.textContent, Disabled: b.disabled};
				})()`)
				if now.Text != c.sending || !now.Disabled {
					t.Fatalf("sign-up %d: right after the submission the status says %q (button disabled: %v), want %q with the button disabled", i+1, now.Text, now.Disabled, c.sending)
				}
				waitJS(t, ctx, "the success message", shadow+`.querySelector("[role=status]").textContent.indexOf(`+jsString(c.success)+`) >= 0`, 15*time.Second)
				if off := eval[bool](t, ctx, shadow+`.querySelector("button[type=submit]").disabled`); off {
					t.Fatalf("sign-up %d: the button stays disabled after the answer", i+1)
				}
			}
			said := eval[[]statusSaid](t, ctx, `window.__said`)
			successes := 0
			for _, s := range said {
				switch {
				case s.Text == c.sending && s.Disabled:
				case strings.Contains(s.Text, c.success) && !s.Disabled:
					successes++
				default:
					t.Errorf("the status said %q (button disabled: %v); want only %q while sending, then the success message", s.Text, s.Disabled, c.sending)
				}
			}
			if successes != len(c.emails) {
				t.Errorf("the status said %+v; want %d success messages", said, len(c.emails))
			}
			out := w.exported(t)
			for _, addr := range c.emails {
				if !strings.Contains(out, addr+",news,pending,") {
					t.Errorf("%s did not subscribe; export:\n%s", addr, out)
				}
			}
		})
	}
}

// statusSaid is a text the widget's status region showed, and whether its
// button was disabled then.
type statusSaid struct {
	Text     string
	Disabled bool
}

func jsString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// observeJS records layout shifts and long tasks from the first moment.
const observeJS = `window.__cls = 0; window.__longest = 0;
try {
  new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) { if (!e.hadRecentInput) window.__cls += e.value; }); }).observe({type: "layout-shift", buffered: true});
  new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) { window.__longest = Math.max(window.__longest, e.duration); }); }).observe({type: "longtask", buffered: true});
} catch (e) {}`

type startup struct {
	Start, Reserved, Interactive, CLS, Longest, GoRun float64
}

// measure loads page and reads the widget's start-up marks.
func measure(t *testing.T, ctx context.Context, page string, reload bool) startup {
	t.Helper()
	nav := chromedp.Navigate(page)
	if reload {
		nav = chromedp.Reload()
	}
	if err := chromedp.Do(ctx, nav); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "interactive", `performance.getEntriesByName("byline:interactive").length > 0`, 20*time.Second)
	time.Sleep(300 * time.Millisecond) // late shifts and tasks get reported
	var s startup
	js := eval[string](t, ctx, `JSON.stringify({Start: performance.getEntriesByName("byline:start")[0].startTime,
		Reserved: performance.getEntriesByName("byline:reserved")[0].startTime,
		Interactive: performance.getEntriesByName("byline:interactive")[0].startTime,
		CLS: window.__cls, Longest: window.__longest,
		GoRun: performance.getEntriesByName("byline:go-done")[0].startTime - performance.getEntriesByName("byline:go")[0].startTime})`)
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWidgetBudget holds the widget to its budget (README): sizes of the
// loader and the module, time to a reserved box, layout shift, and reports
// start-up cold and warm with the longest main-thread task. make
// bench-widget prints the figures.
func TestWidgetBudget(t *testing.T) {
	w := newWidgetWorld(t)
	m, files, _ := assets.Built()
	size := func(name string) int {
		b, _ := fs.ReadFile(files, name)
		return len(b)
	}
	lraw, lgz, lbr := server.LoaderSize()
	t.Logf("loader.js: %d B raw, %d B gzip, %d B brotli", lraw, lgz, lbr)
	t.Logf("%s: %d B raw, %d B gzip, %d B brotli", m.Wasm, size(m.Wasm), size(m.Wasm+".gz"), size(m.Wasm+".br"))
	t.Logf("%s: %d B raw, %d B gzip, %d B brotli", m.WasmExec, size(m.WasmExec), size(m.WasmExec+".gz"), size(m.WasmExec+".br"))
	if lbr > 3*1024 {
		t.Errorf("loader is %d B brotli, budget 3 KB", lbr)
	}
	if br := size(m.Wasm + ".br"); br > 450_000 {
		t.Errorf("module is %d B brotli, budget 450 KB", br)
	}

	browser := testenv.Chromium(t)
	ctx, cancel := chromedp.NewContext(browser)
	defer cancel()
	page := w.allow + "/story"
	for i, run := range []string{"cold", "warm"} {
		s := measure(t, ctx, page, i > 0)
		t.Logf("%s: loader start %.1f ms, reserved +%.1f ms, interactive +%.1f ms (%.1f ms after navigation), layout shift %.4f, Go start-up task %.1f ms, longest task observed %.0f ms",
			run, s.Start, s.Reserved-s.Start, s.Interactive-s.Start, s.Interactive, s.CLS, s.GoRun, s.Longest)
		if s.Reserved-s.Start > 50 {
			t.Errorf("%s: the box was reserved %.1f ms after the loader started, budget 50 ms", run, s.Reserved-s.Start)
		}
		if s.CLS != 0 {
			t.Errorf("%s: layout shift %.4f, want 0", run, s.CLS)
		}
	}
}
