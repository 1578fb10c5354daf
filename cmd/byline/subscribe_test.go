package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
)

// TestSubscribeBadInput: every bad sign-up gets a clean, readable answer,
// and the thirtieth in a minute is rate-limited; nothing bad is stored.
func TestSubscribeBadInput(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "s.db")
	a := newAppWith(t, &Config{DB: dbPath, PublicURL: "https://news.example.com", MinFill: time.Millisecond})
	if err := a.svc.SavePartner(context.Background(), content.Partner{ID: "news", Name: "News", Origins: []string{"https://partner.example"}}); err != nil {
		t.Fatal(err)
	}
	token := func() string {
		r := a.query(`{ widget(partner: "news", locale: "mn") { formToken headline locale } }`, nil)
		var w struct{ FormToken, Headline, Locale string }
		if err := json.Unmarshal(r.Data["widget"], &w); err != nil || w.Locale != "mn" || !strings.Contains(w.Headline, "холбоотой") {
			t.Fatalf("widget: %s", r.Raw)
		}
		time.Sleep(5 * time.Millisecond)
		return w.FormToken
	}
	const m = `mutation($in: SubscribeInput!) { subscribe(input: $in) { status message } }`
	type payload struct{ Status, Message string }
	sub := func(in map[string]any, origin string) (*gqlResponse, payload) {
		t.Helper()
		var h []string
		if origin != "" {
			h = []string{"Origin", origin}
		}
		r := a.query(m, map[string]any{"in": in}, h...)
		var p payload
		_ = json.Unmarshal(r.Data["subscribe"], &p)
		return r, p
	}
	replayed := token()
	sub(map[string]any{"email": "first@example.com", "partner": "news", "consent": true, "formToken": replayed}, "https://partner.example")

	cases := []struct {
		name   string
		in     map[string]any
		origin string
		want   string
	}{
		{"invalid address", map[string]any{"email": "nope", "partner": "news", "consent": true}, "", "REJECTED"},
		{"missing consent", map[string]any{"email": "a@example.com", "partner": "news", "consent": false}, "", "REJECTED"},
		{"unknown partner", map[string]any{"email": "a@example.com", "partner": "nobody", "consent": true}, "", "REJECTED"},
		{"forged token", map[string]any{"email": "a@example.com", "partner": "news", "consent": true, "formToken": "v1.1.x.y"}, "https://partner.example", "REJECTED"},
		{"no token from a browser", map[string]any{"email": "a@example.com", "partner": "news", "consent": true}, "https://partner.example", "REJECTED"},
		{"replayed token", map[string]any{"email": "b@example.com", "partner": "news", "consent": true, "formToken": replayed}, "https://partner.example", "REJECTED"},
		{"100 KB email", map[string]any{"email": strings.Repeat("a", 100<<10) + "@example.com", "partner": "news", "consent": true}, "", "REJECTED"},
		{"honeypot", map[string]any{"email": "bot@example.com", "partner": "news", "consent": true, "website": "http://spam.example"}, "", "PENDING_CONFIRMATION"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, p := sub(c.in, c.origin)
			if r.Status != 200 || len(r.Errors) > 0 || p.Status != c.want || p.Message == "" {
				t.Fatalf("%d %s", r.Status, trim(r.Raw))
			}
		})
	}
	limited := 0
	for i := 0; i < 30; i++ {
		r, _ := sub(map[string]any{"email": "rapid@example.com", "partner": "news", "consent": true}, "")
		if r.Status != 200 {
			t.Fatalf("rapid %d: status %d", i, r.Status)
		}
		if r.code() == "RATE_LIMITED" {
			limited++
		}
	}
	if limited < 20 {
		t.Fatalf("30 rapid submissions: %d rate-limited", limited)
	}
	out, _, _ := runCLI(t, map[string]string{"BYLINE_DATABASE_URL": dbPath}, "subscribers", "export")
	for _, bad := range []string{"bot@", "b@example.com", "aaaa", "a@example.com"} {
		if strings.Contains(out, bad) {
			t.Errorf("export holds %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "first@example.com,news,pending") {
		t.Errorf("export:\n%s", out)
	}
}

// TestNoJSForm: with JavaScript off, the snippet's plain form posts to
// /widget/subscribe and gets a plain page; the link in the email opens a
// page whose one button (a form, no script) confirms.
func TestNoJSForm(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "f.db")
	a := newAppWith(t, &Config{DB: dbPath, PublicURL: "https://news.example.com"})
	if err := a.svc.SavePartner(context.Background(), content.Partner{ID: "news", Name: "News", Origins: []string{"https://partner.example"}}); err != nil {
		t.Fatal(err)
	}
	post := func(origin string, form url.Values) (int, string) {
		req, _ := http.NewRequest("POST", a.srv.URL+"/widget/subscribe", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ok := url.Values{"email": {"plain@example.com"}, "partner": {"news"}, "consent": {"yes"}, "page": {"https://partner.example/story"}}
	if code, body := post("https://partner.example", ok); code != 200 || !strings.Contains(body, "check your inbox") || !strings.Contains(body, `href="https://partner.example/story"`) {
		t.Fatalf("%d %s", code, body)
	}
	if code, _ := post("https://evil.example", url.Values{"email": {"evil@example.com"}, "partner": {"news"}, "consent": {"yes"}}); code != 400 {
		t.Fatalf("a foreign origin's form: %d", code)
	}
	if code, body := post("https://partner.example", url.Values{"email": {"x@example.com"}, "partner": {"news"}}); code != 400 || !strings.Contains(body, "tick the box") {
		t.Fatalf("no consent: %d %s", code, body)
	}
	// Deliver the outbox to a recorder and follow the link.
	box := &recordSender{}
	if _, err := a.svc.DeliverOutbox(context.Background(), box); err != nil || len(box.msgs) != 1 {
		t.Fatalf("outbox: %v %v", box.msgs, err)
	}
	_, after, _ := strings.Cut(box.msgs[0].Body, "https://news.example.com/widget/confirm?token=")
	token := strings.Fields(after)[0]
	link := a.srv.URL + "/widget/confirm?token=" + token
	status := func() string {
		subs, err := a.svc.Subscribers(context.Background(), "news")
		if err != nil || len(subs) != 1 {
			t.Fatalf("subscribers: %+v %v", subs, err)
		}
		return subs[0].Status
	}
	// Following the link, as a mail scanner does, only shows the button.
	for i := range 2 {
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), `<form method="post" action="/widget/confirm">`) {
			t.Fatalf("GET #%d: %d %s", i+1, resp.StatusCode, b)
		}
	}
	if s := status(); s != content.StatusPending {
		t.Fatalf("a GET made the reader %s", s)
	}
	// The button posts the token; pressing twice is harmless.
	for i, want := range []string{"you are now subscribed", "nothing more to do"} {
		resp, err := http.PostForm(a.srv.URL+"/widget/confirm", url.Values{"token": {token}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Fatalf("POST #%d: %d %s", i+1, resp.StatusCode, b)
		}
	}
	if s := status(); s != content.StatusSubscribed {
		t.Fatalf("after the button the reader is %s", s)
	}
}

type recordSender struct{ msgs []content.Message }

func (r *recordSender) Send(_ context.Context, m content.Message) error {
	r.msgs = append(r.msgs, m)
	return nil
}
