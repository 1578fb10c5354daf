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
