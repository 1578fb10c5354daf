package mail_test

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"github.com/bylinehq/byline/content"
)

// TestSendMultipart sends messages through a real SMTP session and reads
// what the relay received as a mail client would: the headers a list
// needs (RFC 2369 and RFC 8058 unsubscribe, Message-ID, Date), the
// partner's name in From, and text and HTML parts that decode to what was
// queued.
func TestSendMultipart(t *testing.T) {
	full := content.Message{
		To: "reader@example.com", FromName: "Монголиа Инк", ReplyTo: "editors@example.com",
		Subject: "Бүртгэлээ баталгаажуулна уу", Locale: "mn", MessageID: "<abc123@news.example.com>",
		Body:        "Сайн байна уу,\n\nA line of exactly eighty characters, to be wrapped by quoted-printable: 1234567\n.\nEnd.\n",
		HTML:        "<p>Сайн байна уу, <a href=\"https://news.example.com/widget/confirm?token=x=y\">confirm</a></p>",
		Unsubscribe: "https://news.example.com/widget/unsubscribe?token=u1.h.mac",
	}
	cases := []struct {
		name      string
		msg       content.Message
		wantType  string
		wantParts []string // the decoded bodies, in order
		headers   map[string]string
	}{
		{"text and HTML", full, "multipart/alternative", []string{full.Body, full.HTML}, map[string]string{
			"List-Unsubscribe":      "<" + full.Unsubscribe + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			"Message-Id":            full.MessageID,
			"Reply-To":              "editors@example.com",
			"Content-Language":      "mn",
		}},
		{"queued before HTML", content.Message{To: "old@example.com", Subject: "Please confirm", Body: "Hello\n"},
			"text/plain", []string{"Hello\n"}, map[string]string{"List-Unsubscribe": "", "Reply-To": ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := startRelay(t, nil)
			if err := r.sender(t).Send(context.Background(), c.msg); err != nil {
				t.Fatal(err)
			}
			_, got := r.seen()
			if len(got) != 1 {
				t.Fatalf("relay got %d messages", len(got))
			}
			m, err := mail.ReadMessage(strings.NewReader(got[0]))
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range c.headers {
				if v := m.Header.Get(k); v != want {
					t.Errorf("%s: %q, want %q", k, v, want)
				}
			}
			if _, err := m.Header.Date(); err != nil {
				t.Errorf("Date: %v", err)
			}
			if m.Header.Get("Message-Id") == "" {
				t.Error("no Message-ID")
			}
			from, err := m.Header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Address != "news@example.com" || from[0].Name != c.msg.FromName {
				t.Errorf("From %q: %v %v", m.Header.Get("From"), from, err)
			}
			dec := new(mime.WordDecoder)
			if subj, err := dec.DecodeHeader(m.Header.Get("Subject")); err != nil || subj != c.msg.Subject {
				t.Errorf("Subject %q decodes to %q (%v)", m.Header.Get("Subject"), subj, err)
			}
			mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
			if err != nil || mt != c.wantType {
				t.Fatalf("Content-Type %q, want %s", m.Header.Get("Content-Type"), c.wantType)
			}
			var bodies []string
			if mt == "text/plain" {
				bodies = append(bodies, qp(t, m.Body))
			} else {
				mr := multipart.NewReader(m.Body, params["boundary"])
				for {
					p, err := mr.NextRawPart()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					if p.Header.Get("Content-Transfer-Encoding") != "quoted-printable" || !strings.HasSuffix(p.Header.Get("Content-Type"), "charset=utf-8") {
						t.Errorf("part headers %v", p.Header)
					}
					bodies = append(bodies, qp(t, p))
				}
			}
			if len(bodies) != len(c.wantParts) {
				t.Fatalf("%d parts, want %d", len(bodies), len(c.wantParts))
			}
			for i, want := range c.wantParts {
				if got := strings.ReplaceAll(bodies[i], "\r\n", "\n"); got != want {
					t.Errorf("part %d decodes to %q, want %q", i+1, got, want)
				}
			}
			for _, line := range strings.Split(got[0], "\n") { // the relay reads CRLF as \n
				if len(line) > 998 {
					t.Errorf("a line of %d bytes: %.80q", len(line), line)
				}
			}
		})
	}
	t.Run("a line break in any header is refused", func(t *testing.T) {
		for _, m := range []content.Message{
			{To: "a@example.com", Subject: "x", FromName: "Evil\r\nBcc: all@example.com", Body: "x"},
			{To: "a@example.com", Subject: "x", ReplyTo: "a@example.com\nBcc: b@example.com", Body: "x"},
			{To: "a@example.com", Subject: "x", Unsubscribe: "https://x/\r\nBcc: b@example.com", Body: "x"},
		} {
			r := startRelay(t, nil)
			if err := r.sender(t).Send(context.Background(), m); err == nil || !permanent(err) {
				t.Errorf("%+v: err = %v, want a permanent refusal", m, err)
			}
		}
	})
}

func qp(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(r))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
