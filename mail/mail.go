// Package mail delivers the outbox's messages: over SMTP when configured,
// else to the log, so a laptop shows the confirmation link it would send.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strconv"
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

// Send delivers one message: text and HTML as multipart/alternative (text
// alone for a message queued without HTML), with the unsubscribe headers
// of RFC 2369 and RFC 8058 when it has an unsubscribe URL. A refusal of
// the message is a *ReplyError; a failure to reach, greet or authenticate
// with the relay is a plain error, worth retrying.
func (s *SMTP) Send(ctx context.Context, m content.Message) error {
	msg, err := Compose(m, s.from, time.Now())
	if err != nil {
		return &PermanentError{Err: err}
	}
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
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("mail: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return replyError("DATA", err)
	}
	// The relay has accepted the message: a lost goodbye changes nothing.
	_ = c.Quit()
	return nil
}

// Compose writes m as an RFC 5322 message from the address from, dated
// date. It refuses a header value with a line break (header injection).
func Compose(m content.Message, from string, date time.Time) ([]byte, error) {
	for _, v := range []string{m.To, m.Subject, m.FromName, m.ReplyTo, m.MessageID, m.Unsubscribe, m.Locale} {
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("mail: header injection refused")
		}
	}
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	sender := from
	if m.FromName != "" {
		sender = (&mail.Address{Name: m.FromName, Address: from}).String()
	}
	header("From", fold(sender))
	header("To", m.To)
	if m.ReplyTo != "" {
		header("Reply-To", m.ReplyTo)
	}
	header("Subject", fold(mime.QEncoding.Encode("utf-8", m.Subject)))
	header("Date", date.Format(time.RFC1123Z))
	id := m.MessageID
	if id == "" { // queued before messages had one
		id = "<" + strconv.FormatInt(date.UnixNano(), 36) + "." + strconv.FormatInt(m.ID, 10) + "@" + domainOf(from) + ">"
	}
	header("Message-ID", id)
	header("MIME-Version", "1.0")
	if m.Locale != "" {
		header("Content-Language", m.Locale)
	}
	if m.Unsubscribe != "" {
		header("List-Unsubscribe", "<"+m.Unsubscribe+">")
		header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	if m.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Body); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	// The plain part first: a client shows the last part it can render.
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Body}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return b.Bytes(), nil
}

// writeQP writes text quoted-printable, its line breaks as CRLF.
func writeQP(w io.Writer, text string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(text)); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return nil
}

// fold puts each encoded word of a header value (RFC 2047) on a line of
// its own: a Mongolian subject is several, and a line should stay within
// 78 characters (RFC 5322).
func fold(v string) string { return strings.ReplaceAll(v, "?= =?", "?=\r\n =?") }

func domainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 && at < len(addr)-1 {
		return addr[at+1:]
	}
	return "byline.invalid"
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
