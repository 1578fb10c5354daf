package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/graph"
	"github.com/bylinehq/byline/internal/testenv"
)

// shiftedClock is the test clock, which a test can move ahead.
type shiftedClock struct{ shift atomic.Int64 }

func (c *shiftedClock) now() time.Time      { return testenv.Clock()().Add(time.Duration(c.shift.Load())) }
func (c *shiftedClock) add(d time.Duration) { c.shift.Add(int64(d)) }

// checkListHeaders holds a received message to what a bulk sender owes
// Gmail and Yahoo, and returns its one-click unsubscribe URL.
func checkListHeaders(t *testing.T, m *mail.Message, gw string) string {
	t.Helper()
	h := m.Header
	lu := h.Get("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<"+gw+"/widget/unsubscribe?token=") || !strings.HasSuffix(lu, ">") {
		t.Errorf("List-Unsubscribe %q", lu)
	}
	if got := h.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	if id := h.Get("Message-Id"); !regexp.MustCompile(`^<[^<>@\s]+@127\.0\.0\.1>$`).MatchString(id) {
		t.Errorf("Message-ID %q", id)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative;") {
		t.Errorf("Content-Type %q", ct)
	}
	if from, err := h.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != "Partner News" || from[0].Address != "news@gateway.example" {
		t.Errorf("From %q: %v", h.Get("From"), err)
	}
	if rt := h.Get("Reply-To"); rt != "desk@partner.example" {
		t.Errorf("Reply-To %q", rt)
	}
	return strings.Trim(lu, "<>")
}

// TestNewsletterJourney walks the whole newsletter in real Chromium with
// a real SMTP server: a reader signs up with the keyboard in the widget on
// a partner's page; the confirmation email arrives; a mail scanner's GET
// of its link leaves the reader pending; the reader opens the link and
// presses Confirm; the welcome email arrives with a link to the report,
// which works; the next day the reader signs up again (the same answer on
// screen); a one-click POST to the List-Unsubscribe URL, as Gmail sends
// it, unsubscribes at once; export says so; nothing more is sent, not
// even the welcome email that second sign-up had queued.
func TestNewsletterJourney(t *testing.T) {
	clock := &shiftedClock{}
	w := newWidgetWorldAt(t, 300*time.Millisecond, clock.now)
	browser := testenv.Chromium(t)
	mb := startMailbox(t)
	ctx := context.Background()
	env := map[string]string{"BYLINE_DATABASE_URL": w.db}
	if _, _, err := runCLI(t, env, "partners", "add", "news", "--incentive-url", content.FilesPath+content.DemoIncentiveFile,
		"--incentive-title", "The mining report", "--reply-to", "desk@partner.example"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if p, _ := w.svc.Partner(ctx, "news"); p != nil && p.IncentiveURL != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gateway did not see the partner's incentive within 5 s")
		}
	}
	deliver := func() {
		t.Helper()
		if _, err := w.svc.DeliverOutbox(ctx, mb.sender(t)); err != nil {
			t.Fatal(err)
		}
	}
	const reader = "journey@partner.example"
	export := func() string {
		t.Helper()
		out, _, err := runCLI(t, env, "subscribers", "export", "--partner", "news", "--status-time")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	signUp := func() string {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.Navigate(w.allow+"/story")); err != nil {
			t.Fatal(err)
		}
		waitJS(t, tab, "the form", shadow+` && !!`+shadow+`.querySelector("input[type=email]")`, 15*time.Second)
		time.Sleep(400 * time.Millisecond) // a person takes longer than MinFill
		keys(t, tab, kb.Tab, reader, kb.Tab, " ", kb.Tab, kb.Enter)
		waitJS(t, tab, "the answer", shadow+`.querySelector("[role=status]").textContent.indexOf("check your inbox") >= 0`, 10*time.Second)
		return eval[string](t, tab, shadow+`.querySelector("[role=status]").textContent`)
	}
	answer := signUp()

	deliver()
	got := mb.to(t, reader)
	if len(got) != 1 {
		t.Fatalf("%d emails after the sign-up, want the confirmation", len(got))
	}
	checkListHeaders(t, got[0], w.gw)
	ps := parts(t, got[0])
	text := ps["text/plain"]
	link := regexp.MustCompile(regexp.QuoteMeta(w.gw) + `/widget/confirm\?token=\S+`).FindString(text)
	if link == "" || !strings.Contains(ps["text/html"], link) {
		t.Fatalf("no confirmation link in both parts:\n%s", text)
	}

	// Outlook's Safe Links, Mimecast and Proofpoint fetch every link.
	req, _ := http.NewRequest(http.MethodGet, link, nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (compatible; link scanner)")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the scanner's GET: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if out := export(); !strings.Contains(out, reader+",news,pending,") {
		t.Fatalf("after a scanner's GET the export says:\n%s", out)
	}

	// The reader opens the link and presses Confirm, with the keyboard.
	if err := chromedp.Do(tab, chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab, "the Confirm button", `!!document.querySelector("form button[type=submit]")`, 10*time.Second)
	if b := eval[string](t, tab, `document.querySelector("form button").textContent`); b != "Confirm my subscription" {
		t.Fatalf("button %q", b)
	}
	// The partner's theme applies (its style passes the page's CSP).
	if bg := eval[string](t, tab, `getComputedStyle(document.querySelector("form button")).backgroundColor`); bg != "rgb(180, 35, 42)" {
		t.Fatalf("the button's colour is %q, want the theme's accent", bg)
	}
	keys(t, tab, kb.Tab, kb.Enter)
	waitJS(t, tab, "the confirmation", `document.querySelector("h1") && document.querySelector("h1").textContent === "You are subscribed"`, 10*time.Second)
	if out := export(); !strings.Contains(out, reader+",news,confirmed,") {
		t.Fatalf("after Confirm the export says:\n%s", out)
	}

	deliver()
	got = mb.to(t, reader)
	if len(got) != 2 {
		t.Fatalf("%d emails after confirming, want the confirmation and the welcome", len(got))
	}
	unsubscribe := checkListHeaders(t, got[1], w.gw)
	text = parts(t, got[1])["text/plain"]
	report := regexp.MustCompile(regexp.QuoteMeta(w.gw+content.FilesPath+content.DemoIncentiveFile) + `\?\S+`).FindString(text)
	if report == "" || !strings.Contains(text, "The mining report") || !strings.Contains(text, unsubscribe) {
		t.Fatalf("the welcome email lacks the report or the unsubscribe link:\n%s", text)
	}
	resp, err := http.Get(report)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "<h1>Mongolia mining industry report</h1>") {
		t.Fatalf("the report link: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// The confirmation page's own link to it works in the browser too; it
	// is the page's one focusable element.
	keys(t, tab, kb.Tab, kb.Enter)
	waitJS(t, tab, "the report", `document.title.indexOf("Mongolia mining industry report") >= 0`, 10*time.Second)

	// The next day the reader signs up again: the answer is the one
	// everyone gets, and the welcome email is queued once more.
	clock.add(25 * time.Hour)
	if again := signUp(); again != answer {
		t.Fatalf("a confirmed reader's sign-up answered %q, a new reader's %q", again, answer)
	}

	// Gmail's one-click: a POST with the RFC 8058 body, no cookies.
	req, _ = http.NewRequest(http.MethodPost, unsubscribe, strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %d", resp.StatusCode)
	}
	out := export()
	row := regexp.MustCompile(regexp.QuoteMeta(reader) + `,news,unsubscribed,[^,]+,[^,]*,[^,]+,(\S+)`).FindStringSubmatch(out)
	if row == nil {
		t.Fatalf("after the one-click the export says:\n%s", out)
	}
	if at, err := time.Parse(time.RFC3339, row[1]); err != nil || clock.now().Sub(at) > time.Minute || clock.now().Sub(at) < -time.Minute {
		t.Fatalf("status_at %q, want about %s", row[1], clock.now())
	}
	deliver()
	clock.add(time.Hour)
	deliver()
	if n := len(mb.to(t, reader)); n != 2 {
		t.Fatalf("%d emails to the reader after unsubscribing, want no more than the 2 before", n)
	}
}

// TestConfirmationEmailsPerAddressOverHTTP: ten sign-ups of one address
// from ten client addresses (behind a trusted proxy) get ten identical
// answers and send the address 3 emails over SMTP, no more.
func TestConfirmationEmailsPerAddressOverHTTP(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := openApp(ctx, &Config{DB: filepath.Join(t.TempDir(), "l.db"), PublicURL: "https://gw.example.com", Now: testenv.Clock()}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if err := seedIfEmpty(ctx, a.svc, log); err != nil {
		t.Fatal(err)
	}
	a.proxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	srv := httptest.NewServer(newHandler(a, log, graph.Options{}, true))
	t.Cleanup(srv.Close)
	mb := startMailbox(t)
	var answers []string
	for i := range 10 {
		body, _ := json.Marshal(map[string]any{
			"query":     `mutation($in: SubscribeInput!) { subscribe(input: $in) { status message } }`,
			"variables": map[string]any{"in": map[string]any{"email": []string{"victim@example.com", "Victim@Example.com"}[i%2], "partner": "demo", "consent": true}},
		})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", 10+i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answers = append(answers, string(b))
		if answers[i] != answers[0] || !strings.Contains(answers[i], "PENDING_CONFIRMATION") {
			t.Fatalf("sign-up %d answered %s, the first %s", i+1, answers[i], answers[0])
		}
	}
	if _, err := a.svc.DeliverOutbox(ctx, mb.sender(t)); err != nil {
		t.Fatal(err)
	}
	if n := len(mb.to(t, "victim@example.com")); n != 3 {
		t.Fatalf("10 sign-ups from 10 addresses sent %d emails, want 3", n)
	}
}

// TestSubscribersForget: the command erases the person from the export,
// whatever case they are typed in, and a later sign-up in their name is
// not taken.
func TestSubscribersForget(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "f.db")
	a := newAppWith(t, &Config{DB: dbPath, PublicURL: "https://news.example.com"})
	env := map[string]string{"BYLINE_DATABASE_URL": dbPath}
	ctx := context.Background()
	for _, email := range []string{"erase@example.com", "keep@example.com"} {
		if _, err := a.svc.Subscribe(ctx, content.SubscribeInput{Email: email, Partner: "demo", Consent: true}, content.RequestMeta{IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := runCLI(t, env, "subscribers", "forget", "Erase@Example.com")
	if err != nil || !strings.Contains(out, "erased 1 subscriptions") {
		t.Fatalf("forget: %q %v", out, err)
	}
	if _, err := a.svc.Subscribe(ctx, content.SubscribeInput{Email: "erase@example.com", Partner: "demo", Consent: true}, content.RequestMeta{IP: "192.0.2.2"}); err != nil {
		t.Fatal(err)
	}
	out, _, _ = runCLI(t, env, "subscribers", "export")
	if strings.Contains(out, "erase@") || !strings.Contains(out, "keep@example.com,demo,pending,") {
		t.Fatalf("export after forget:\n%s", out)
	}
}
