package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/testenv"
	"github.com/bylinehq/byline/store"
)

// outbox records what the domain sends.
type outbox struct {
	mu   sync.Mutex
	msgs []content.Message
}

func (o *outbox) Send(_ context.Context, m content.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

type newsletterFixture struct {
	t     *testing.T
	svc   *content.Service
	srv   *httptest.Server
	box   *outbox
	shift time.Duration // added to the domain's clock
}

func newNewsletterFixture(t *testing.T) *newsletterFixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "byline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &newsletterFixture{t: t, box: &outbox{}}
	clock := testenv.Clock()
	svc := content.NewService(db.Stores(), content.Config{PublicURL: "https://gateway.example.com", Now: func() time.Time { return clock().Add(f.shift) }})
	if err := svc.EnsureDemoPartner(ctx); err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	f.srv = httptest.NewServer(New(Config{
		GraphQL: http.NotFoundHandler(), Content: svc, PublicURL: "https://gateway.example.com",
		Registry: prometheus.NewRegistry(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// deliver sends the outbox and returns what it sent.
func (f *newsletterFixture) deliver() []content.Message {
	f.t.Helper()
	before := len(f.box.msgs)
	if _, err := f.svc.DeliverOutbox(context.Background(), f.box); err != nil {
		f.t.Fatal(err)
	}
	return f.box.msgs[before:]
}

// local is a gateway link on the test server.
func (f *newsletterFixture) local(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.srv.URL + u.RequestURI()
}

func (f *newsletterFixture) send(req *http.Request) page {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (f *newsletterFixture) status(email string) string {
	subs, _ := f.svc.Subscribers(context.Background(), "")
	for _, s := range subs {
		if s.Email == email {
			return s.Status
		}
	}
	return ""
}

var linkRe = regexp.MustCompile(`https://gateway\.example\.com/widget/confirm\?token=\S+`)

// TestNewsletterPages walks the pages behind the emails over HTTP: a GET
// of the confirmation link (a scanner's) changes nothing and shows one
// button that works without JavaScript; its POST confirms and links the
// report, which is served only through the signed link; the unsubscribe
// URL takes a one-click POST as mail clients send it, in either encoding.
func TestNewsletterPages(t *testing.T) {
	f := newNewsletterFixture(t)
	if r, err := f.svc.Subscribe(context.Background(), content.SubscribeInput{Email: "reader@example.com", Partner: "demo", Consent: true, Locale: "mn"},
		content.RequestMeta{IP: "192.0.2.1"}); err != nil || r.Status != content.StatusPending {
		t.Fatalf("%+v %v", r, err)
	}
	confirm := linkRe.FindString(f.deliver()[0].Body)
	if confirm == "" {
		t.Fatal("no confirmation link")
	}

	get, _ := http.NewRequest(http.MethodGet, f.local(confirm), nil)
	pg := f.send(get)
	if pg.status != 200 || !strings.Contains(pg.body, `<html lang="mn">`) || !strings.Contains(pg.body, `method="post" action="/widget/confirm"`) ||
		!strings.Contains(pg.body, "Бүртгэлээ баталгаажуулах") || strings.Contains(pg.body, "<script") {
		t.Fatalf("GET confirm: %d %s", pg.status, pg.body)
	}
	nonce := regexp.MustCompile(`<style nonce="([0-9a-f]+)">:root\{--accent:#b4232a`).FindStringSubmatch(pg.body)
	if nonce == nil || !strings.Contains(pg.header.Get("Content-Security-Policy"), "'nonce-"+nonce[1]+"'") ||
		pg.header.Get("Referrer-Policy") != "no-referrer" || pg.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the page's theme or headers: %v\n%s", pg.header, pg.body)
	}
	if s := f.status("reader@example.com"); s != content.StatusPending {
		t.Fatalf("a GET of the confirmation link made the reader %s", s)
	}

	// The button: the form posts the token back.
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(pg.body)[1]
	post, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/widget/confirm", strings.NewReader(url.Values{"token": {token}}.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	pg = f.send(post)
	report := regexp.MustCompile(`class="incentive" href="([^"]+)"`).FindStringSubmatch(pg.body)
	if pg.status != 200 || !strings.Contains(pg.body, "Та бүртгэгдлээ") || report == nil {
		t.Fatalf("POST confirm: %d %s", pg.status, pg.body)
	}
	if s := f.status("reader@example.com"); s != content.StatusSubscribed {
		t.Fatalf("after the button: %s", s)
	}
	welcome := f.deliver()
	if len(welcome) != 1 || !strings.Contains(welcome[0].Body, "/widget/files/"+content.DemoIncentiveFile+"?") {
		t.Fatalf("welcome: %+v", welcome)
	}

	reportURL := strings.ReplaceAll(report[1], "&amp;", "&")
	cases := []struct {
		name   string
		url    string
		shift  time.Duration
		status int
		want   string
	}{
		{"the signed link", reportURL, 0, 200, "Mongolia mining industry report"},
		{"the link without its signature", strings.Split(reportURL, "?")[0], 0, 403, "This link"},
		{"the signature on another name", strings.Replace(reportURL, content.DemoIncentiveFile, "other.html", 1), 0, 403, "This link"},
		{"after 8 days", reportURL, 8 * 24 * time.Hour, 410, "expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.shift = c.shift
			defer func() { f.shift = 0 }()
			req, _ := http.NewRequest(http.MethodGet, f.local(c.url), nil)
			pg := f.send(req)
			if pg.status != c.status || !strings.Contains(pg.body, c.want) {
				t.Fatalf("%d, want %d with %q: %.300s", pg.status, c.status, c.want, pg.body)
			}
			if c.status == 200 && (!strings.HasPrefix(pg.header.Get("Content-Type"), "text/html") || !strings.Contains(pg.header.Get("Cache-Control"), "private")) {
				t.Fatalf("headers %v", pg.header)
			}
		})
	}

	unsub := welcome[0].Unsubscribe
	get, _ = http.NewRequest(http.MethodGet, f.local(unsub), nil)
	if pg := f.send(get); pg.status != 200 || !strings.Contains(pg.body, `action="/widget/unsubscribe"`) || f.status("reader@example.com") != content.StatusSubscribed {
		t.Fatalf("GET unsubscribe: %d %s", pg.status, pg.body)
	}
	oneClick := []struct {
		name string
		body func() (string, io.Reader)
	}{
		{"form-urlencoded", func() (string, io.Reader) {
			return "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click")
		}},
		{"multipart/form-data", func() (string, io.Reader) {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			_ = mw.WriteField("List-Unsubscribe", "One-Click")
			mw.Close()
			return mw.FormDataContentType(), &b
		}},
	}
	for _, c := range oneClick {
		t.Run("one-click POST, "+c.name, func(t *testing.T) {
			// Subscribed again, so that there is something to undo.
			f.shift += 25 * time.Hour
			left := f.status("reader@example.com") == content.StatusUnsubscribed
			f.svc.Subscribe(context.Background(), content.SubscribeInput{Email: "reader@example.com", Partner: "demo", Consent: true}, content.RequestMeta{IP: "192.0.2.2"})
			if left {
				ms := f.deliver()
				tok := linkRe.FindString(ms[len(ms)-1].Body)
				if _, err := f.svc.ConfirmPage(context.Background(), strings.TrimPrefix(tok, "https://gateway.example.com/widget/confirm?token="), "", true); err != nil {
					t.Fatal(err)
				}
			}
			if s := f.status("reader@example.com"); s != content.StatusSubscribed {
				t.Fatalf("could not subscribe again: %s", s)
			}
			ct, body := c.body()
			req, _ := http.NewRequest(http.MethodPost, f.local(unsub), body)
			req.Header.Set("Content-Type", ct)
			pg := f.send(req)
			if pg.status != 200 || f.status("reader@example.com") != content.StatusUnsubscribed {
				t.Fatalf("one-click: %d, status %s: %s", pg.status, f.status("reader@example.com"), pg.body)
			}
			if sent := f.deliver(); len(sent) != 0 {
				t.Fatalf("sent after the one-click: %+v", sent)
			}
		})
	}
}
