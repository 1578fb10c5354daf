package main

import (
	"bytes"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	bylinemail "github.com/bylinehq/byline/mail"
)

// mailbox is a real SMTP server (go-smtp) on 127.0.0.1, in the test
// process: the gateway's mail goes to it over TCP, as to any relay.
type mailbox struct {
	addr string
	mu   sync.Mutex
	msgs []delivered
}

// delivered is one message as the relay received it.
type delivered struct {
	To  []string
	Raw []byte
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailboxSession{mb: mb}, nil }))
	srv.Domain = "mailbox.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = ln.Addr().String()
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return mb
}

// sender is the gateway's SMTP sender, pointed at the mailbox.
func (mb *mailbox) sender(t *testing.T) *bylinemail.SMTP {
	t.Helper()
	s, err := bylinemail.NewSMTP("smtp://" + mb.addr + "?from=news@gateway.example")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// to returns the messages delivered to rcpt so far, parsed.
func (mb *mailbox) to(t *testing.T, rcpt string) []*mail.Message {
	t.Helper()
	mb.mu.Lock()
	defer mb.mu.Unlock()
	var out []*mail.Message
	for _, d := range mb.msgs {
		for _, r := range d.To {
			if strings.EqualFold(r, rcpt) {
				m, err := mail.ReadMessage(bytes.NewReader(d.Raw))
				if err != nil {
					t.Fatalf("a message to %s does not parse: %v", rcpt, err)
				}
				out = append(out, m)
			}
		}
	}
	return out
}

type mailboxSession struct {
	mb   *mailbox
	rcpt []string
}

func (s *mailboxSession) Reset()                               { s.rcpt = nil }
func (s *mailboxSession) Logout() error                        { return nil }
func (s *mailboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpt = append(s.rcpt, to)
	return nil
}

func (s *mailboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	s.mb.msgs = append(s.mb.msgs, delivered{To: append([]string(nil), s.rcpt...), Raw: b})
	s.mb.mu.Unlock()
	return nil
}

// parts decodes a multipart/alternative message into its parts by media
// type ("text/plain", "text/html").
func parts(t *testing.T, m *mail.Message) map[string]string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q, want multipart/alternative", m.Header.Get("Content-Type"))
	}
	out := map[string]string{}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		typ, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		out[typ] = string(b)
	}
}
