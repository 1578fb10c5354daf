package content

import (
	"strings"
	"testing"
	"time"
)

// TestNewsletterMail: both parts of every email say the same thing in the
// reader's language and carry the same links, the HTML escapes what
// partners and readers wrote, and the partner's theme colours it.
func TestNewsletterMail(t *testing.T) {
	s := NewService(Stores{}, Config{PublicURL: "https://gw.example.com"})
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	p := &Partner{ID: "acme", Name: `Acme <News> & "Co"`, Locale: "en", Theme: Theme{Accent: "#123abc"},
		IncentiveURL: FilesPath + "r.html", IncentiveTitle: "Report <2025>", ReplyTo: "desk@acme.example"}
	cases := []struct {
		name, locale, kind string
		want               []string // in both parts
	}{
		{"confirmation, English", "en", "confirm", []string{"Confirm within 72 hours", "https://gw.example.com/widget/confirm?token=tok"}},
		{"confirmation, Mongolian", "mn", "confirm", []string{"72 цагийн дотор баталгаажуулна уу", "https://gw.example.com/widget/confirm?token=tok"}},
		{"welcome, English", "en", "welcome", []string{"As promised", "https://gw.example.com/widget/files/r.html?"}},
		{"welcome, Mongolian", "mn", "welcome", []string{"Амласан ёсоор", "https://gw.example.com/widget/files/r.html?"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sub := Subscriber{ID: 7, Email: "reader@example.com", Partner: "acme", Locale: c.locale, UnsubHandle: "h4ndle"}
			var (
				m   *Message
				err error
			)
			if c.kind == "confirm" {
				m, err = s.confirmMail(key, p, sub, "tok")
			} else {
				m, err = s.welcomeMail(key, p, sub, now)
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Locale != c.locale || m.FromName != p.Name || m.ReplyTo != p.ReplyTo || m.SubscriberID != 7 ||
				!strings.HasPrefix(m.MessageID, "<") || !strings.HasSuffix(m.MessageID, "@gw.example.com>") {
				t.Fatalf("headers: %+v", m)
			}
			if !strings.HasPrefix(m.Unsubscribe, "https://gw.example.com/widget/unsubscribe?token=u1.h4ndle.") {
				t.Fatalf("unsubscribe URL %q", m.Unsubscribe)
			}
			html := strings.ReplaceAll(m.HTML, "&amp;", "&")
			for _, w := range append(c.want, m.Unsubscribe) {
				if !strings.Contains(m.Body, w) || !strings.Contains(html, w) {
					t.Errorf("%q is not in both parts:\n%s\n%s", w, m.Body, m.HTML)
				}
			}
			if strings.Contains(m.HTML, "<News>") || !strings.Contains(m.HTML, "Acme &lt;News&gt;") {
				t.Errorf("the partner's name is not escaped in the HTML: %s", m.HTML)
			}
			if !strings.Contains(m.HTML, `<html lang="`+c.locale+`">`) || !strings.Contains(m.HTML, "#123abc") {
				t.Errorf("locale or theme missing from the HTML")
			}
		})
	}
}
