// Package mail delivers the outbox's messages: over SMTP when configured,
// else to the log, so a laptop shows the confirmation link it would send.
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/bylinehq/byline/content"
)

// Log "sends" by logging: development and tests.
type Log struct{ Logger *slog.Logger }

// Send logs the message, body included (it holds the confirmation link).
func (l Log) Send(ctx context.Context, m content.Message) error {
	l.Logger.InfoContext(ctx, "mail (log sender)", "to", m.To, "subject", m.Subject, "body", m.Body)
	return nil
}

// SMTP sends through a relay: smtp://user:pass@host:587?from=news@example.com
type SMTP struct {
	addr, from string
	auth       smtp.Auth
}

// NewSMTP reads an smtp:// URL.
func NewSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return nil, fmt.Errorf("--smtp %q: want smtp://user:pass@host:port?from=address", raw)
	}
	from := u.Query().Get("from")
	if from == "" {
		return nil, fmt.Errorf("--smtp: the from= parameter is required")
	}
	s := &SMTP{addr: u.Host, from: from}
	if pass, ok := u.User.Password(); ok {
		host, _, _ := net.SplitHostPort(u.Host)
		s.auth = smtp.PlainAuth("", u.User.Username(), pass, host)
	}
	return s, nil
}

// Send delivers one message as plain text.
func (s *SMTP) Send(ctx context.Context, m content.Message) error {
	if strings.ContainsAny(m.To+m.Subject, "\r\n") {
		return fmt.Errorf("mail: header injection refused")
	}
	msg := "From: " + s.from + "\r\nTo: " + m.To + "\r\nSubject: " + m.Subject +
		"\r\nDate: " + time.Now().Format(time.RFC1123Z) +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(m.Body, "\n", "\r\n")
	return smtp.SendMail(s.addr, s.auth, s.from, []string{m.To}, []byte(msg))
}
