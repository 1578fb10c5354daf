// Package mail delivers the outbox's messages: over SMTP when configured,
// else to the log, so a laptop shows the confirmation link it would send.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"net/textproto"
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

// sendTimeout bounds one delivery when the caller's context has no
// deadline: a relay that stops answering must not stall the outbox.
const sendTimeout = time.Minute

// ReplyError is the relay's refusal of a message: a 4xx or 5xx reply to
// MAIL, RCPT or DATA (the command, or the end of the message).
type ReplyError struct {
	Stage string // "MAIL", "RCPT" or "DATA"
	Code  int
	Msg   string
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("mail: %s refused: %d %s", e.Stage, e.Code, e.Msg)
}

// Permanent reports whether the relay refused the message for good (5xx):
// it will give the same answer every time, so the outbox gives up on it. A
// 4xx ("try again later") is not.
func (e *ReplyError) Permanent() bool { return e.Code >= 500 && e.Code <= 599 }

// PermanentError is a message this sender refuses before talking to the
// relay; sending it again cannot help.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string   { return e.Err.Error() }
func (e *PermanentError) Unwrap() error   { return e.Err }
func (e *PermanentError) Permanent() bool { return true }

// Send delivers one message as plain text. A refusal of the message is a
// *ReplyError; a failure to reach, greet or authenticate with the relay is
// a plain error, worth retrying.
func (s *SMTP) Send(ctx context.Context, m content.Message) error {
	if strings.ContainsAny(m.To+m.Subject, "\r\n") {
		return &PermanentError{Err: fmt.Errorf("mail: header injection refused")}
	}
	msg := "From: " + s.from + "\r\nTo: " + m.To + "\r\nSubject: " + m.Subject +
		"\r\nDate: " + time.Now().Format(time.RFC1123Z) +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(m.Body, "\n", "\r\n")
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, sendTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("mail: dial %s: %w", s.addr, err)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return fmt.Errorf("mail: %w", err)
	}
	host, _, _ := net.SplitHostPort(s.addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: greeting from %s: %w", s.addr, err)
	}
	defer c.Close()
	// As smtp.SendMail: upgrade when offered, then authenticate.
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return fmt.Errorf("mail: starttls: %w", err)
		}
	}
	if s.auth != nil {
		if err := c.Auth(s.auth); err != nil {
			return fmt.Errorf("mail: auth: %w", err)
		}
	}
	if err := c.Mail(s.from); err != nil {
		return replyError("MAIL", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return replyError("RCPT", err)
	}
	w, err := c.Data()
	if err != nil {
		return replyError("DATA", err)
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("mail: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return replyError("DATA", err)
	}
	// The relay has accepted the message: a lost goodbye changes nothing.
	_ = c.Quit()
	return nil
}

// replyError types a relay's reply to stage; anything else (a dropped
// connection, a timeout) stays a plain error, to be retried.
func replyError(stage string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return &ReplyError{Stage: stage, Code: tp.Code, Msg: tp.Msg}
	}
	return fmt.Errorf("mail: %s: %w", stage, err)
}
