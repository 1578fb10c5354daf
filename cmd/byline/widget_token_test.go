package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
)

// TestSubscribeFormTokenMessages: each way a form token can be refused gets
// its own answer. A browser request (one with an Origin) that sends none is
// told what it lacks and where to get it, not that its form "expired"; the
// answers a reader sees in the widget come in the widget's locale.
func TestSubscribeFormTokenMessages(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "t.db")
	a := newAppWith(t, &Config{DB: dbPath, PublicURL: "https://news.example.com", MinFill: time.Hour})
	if err := a.svc.SavePartner(context.Background(), content.Partner{ID: "news", Name: "News", Origins: []string{"https://partner.example"}}); err != nil {
		t.Fatal(err)
	}
	token := func() string {
		t.Helper()
		r := a.query(`{ widget(partner: "news") { formToken } }`, nil)
		var w struct{ FormToken string }
		if err := json.Unmarshal(r.Data["widget"], &w); err != nil || w.FormToken == "" {
			t.Fatalf("widget: %s", trim(r.Raw))
		}
		return w.FormToken
	}
	const m = `mutation($in: SubscribeInput!) { subscribe(input: $in) { status message } }`
	sub := func(t *testing.T, in map[string]any) string {
		t.Helper()
		in["partner"], in["consent"] = "news", true
		r := a.query(m, map[string]any{"in": in}, "Origin", "https://partner.example")
		var p struct{ Status, Message string }
		_ = json.Unmarshal(r.Data["subscribe"], &p)
		// A refusal is a REJECTED payload, as for every other sign-up the
		// gateway turns down: no GraphQL error.
		if r.Status != 200 || len(r.Errors) > 0 || p.Status != content.StatusRejected {
			t.Fatalf("%d %s, want a REJECTED payload", r.Status, trim(r.Raw))
		}
		return p.Message
	}

	for _, c := range []struct {
		name string
		in   map[string]any
	}{
		{"no formToken", map[string]any{"email": "a@example.com"}},
		{"empty formToken", map[string]any{"email": "a@example.com", "formToken": ""}},
		{"no formToken, Mongolian reader", map[string]any{"email": "a@example.com", "locale": "mn"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := sub(t, c.in)
			if !strings.Contains(msg, "formToken is required") || !strings.Contains(msg, "widget(partner") || strings.Contains(msg, "expired") {
				t.Fatalf("message %q: want one naming the missing formToken and widget(partner)", msg)
			}
		})
	}

	for _, c := range []struct {
		name, locale, token, want string
	}{
		{"forged", "en", "v1.1.x.y", "This form has expired. Please reload the page and try again."},
		{"forged, Mongolian", "mn", "v1.1.x.y", "Энэ маягтын хугацаа дууссан байна. Хуудсаа дахин ачаалаад дахин оролдоно уу."},
		{"too fast", "en", token(), "That was quick! Please wait a moment and try again."},
		{"too fast, Mongolian", "mn", token(), "Хэтэрхий хурдан байна! Түр хүлээгээд дахин оролдоно уу."},
	} {
		t.Run(c.name, func(t *testing.T) {
			if msg := sub(t, map[string]any{"email": "b@example.com", "locale": c.locale, "formToken": c.token}); msg != c.want {
				t.Fatalf("message %q, want %q", msg, c.want)
			}
		})
	}

	if out, _, _ := runCLI(t, map[string]string{"BYLINE_DATABASE_URL": dbPath}, "subscribers", "export"); strings.Contains(out, "@example.com") {
		t.Fatalf("a refused sign-up was stored:\n%s", out)
	}
}

// TestWidgetTokenMinFill: widget(partner).formToken tells the widget the
// gateway's minimum fill time, v1.<issued ms>.<nonce>~<ms>.<mac>, so that
// it can hold a fast submission (TestWidgetFastSubmit) until the gateway
// will take it; the token is still one the gateway accepts.
func TestWidgetTokenMinFill(t *testing.T) {
	for _, c := range []struct {
		minFill time.Duration
		want    string
	}{
		{0, "~2000"}, // the default, as in production
		{time.Hour, "~3600000"},
		{time.Millisecond, "~1"},
	} {
		t.Run(c.minFill.String(), func(t *testing.T) {
			a := newAppWith(t, &Config{DB: filepath.Join(t.TempDir(), "m.db"), PublicURL: "https://news.example.com", MinFill: c.minFill})
			if err := a.svc.SavePartner(context.Background(), content.Partner{ID: "news", Name: "News", Origins: []string{"https://partner.example"}}); err != nil {
				t.Fatal(err)
			}
			r := a.query(`{ widget(partner: "news") { formToken } }`, nil)
			var w struct{ FormToken string }
			if err := json.Unmarshal(r.Data["widget"], &w); err != nil {
				t.Fatalf("widget: %s", trim(r.Raw))
			}
			parts := strings.Split(w.FormToken, ".")
			if len(parts) != 4 || parts[0] != "v1" || !strings.HasSuffix(parts[2], c.want) {
				t.Fatalf("token %q: want v1.<ms>.<nonce>%s.<mac>", w.FormToken, c.want)
			}
			if c.minFill != time.Millisecond {
				return
			}
			time.Sleep(5 * time.Millisecond)
			s := a.query(`mutation($in: SubscribeInput!) { subscribe(input: $in) { status message } }`,
				map[string]any{"in": map[string]any{"email": "hint@example.com", "partner": "news", "consent": true, "formToken": w.FormToken}},
				"Origin", "https://partner.example")
			var p struct{ Status string }
			if err := json.Unmarshal(s.Data["subscribe"], &p); err != nil || p.Status != content.StatusPending {
				t.Fatalf("the token was refused: %s", trim(s.Raw))
			}
		})
	}
}
