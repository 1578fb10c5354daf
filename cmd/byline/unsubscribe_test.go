package main

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/bylinehq/byline/content"
)

// TestUnsubscribeMutation: a partner's own page unsubscribes a reader
// with the token of any of their emails; a token the gateway did not
// issue is the client's mistake.
func TestUnsubscribeMutation(t *testing.T) {
	a := newAppWith(t, &Config{DB: filepath.Join(t.TempDir(), "u.db"), PublicURL: "https://news.example.com"})
	ctx := context.Background()
	if _, err := a.svc.Subscribe(ctx, content.SubscribeInput{Email: "leaver@example.com", Partner: "demo", Consent: true}, content.RequestMeta{IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	box := &recordSender{}
	if _, err := a.svc.DeliverOutbox(ctx, box); err != nil || len(box.msgs) != 1 {
		t.Fatalf("outbox: %v %v", box.msgs, err)
	}
	u, err := url.Parse(box.msgs[0].Unsubscribe)
	if err != nil {
		t.Fatal(err)
	}
	const m = `mutation($t: String!) { unsubscribe(token: $t) }`
	cases := []struct {
		name, token, want, code string
	}{
		{"the email's token", u.Query().Get("token"), "true", ""},
		{"again", u.Query().Get("token"), "true", ""},
		{"a forged token", "u1.someone.forged", "", "BAD_USER_INPUT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.query(m, map[string]any{"t": c.token})
			if r.code() != c.code || (c.want != "" && string(r.Data["unsubscribe"]) != c.want) {
				t.Fatalf("%s", trim(r.Raw))
			}
		})
	}
	subs, _ := a.svc.Subscribers(ctx, "demo")
	if len(subs) != 1 || subs[0].Status != content.StatusUnsubscribed {
		t.Fatalf("after the mutation: %+v", subs)
	}
}
