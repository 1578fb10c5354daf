package mail_test

import (
	"context"
	"errors"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/mail"
)

// relay is a small SMTP server on 127.0.0.1, spoken to over real TCP. Its
// answer to each command is 250 (354 to DATA) unless reply says otherwise;
// the stage "END" is the reply to the message's final dot, and the answer
// "hang up" closes the connection instead.
type relay struct {
	addr  string
	reply func(stage, arg string) string

	mu       sync.Mutex
	sessions int
	rcpts    []string
	messages []string
}

func startRelay(t *testing.T, reply func(stage, arg string) string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{addr: ln.Addr().String(), reply: reply}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); r.session(conn) }()
		}
	}()
	return r
}

func (r *relay) answer(stage, arg, def string) string {
	if r.reply != nil {
		if a := r.reply(stage, arg); a != "" {
			return a
		}
	}
	return def
}

func (r *relay) session(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r.mu.Lock()
	r.sessions++
	r.mu.Unlock()
	tp := textproto.NewConn(conn)
	say := func(line string) bool {
		if line == "hang up" {
			return false
		}
		return tp.PrintfLine("%s", line) == nil
	}
	if !say(r.answer("GREETING", "", "220 relay.test ESMTP")) {
		return
	}
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch verb = strings.ToUpper(verb); verb {
		case "EHLO", "HELO":
			if !say("250 relay.test") {
				return
			}
		case "MAIL", "RCPT":
			a := r.answer(verb, arg, "250 ok")
			if verb == "RCPT" && strings.HasPrefix(a, "2") {
				r.mu.Lock()
				r.rcpts = append(r.rcpts, arg)
				r.mu.Unlock()
			}
			if !say(a) {
				return
			}
		case "DATA":
			a := r.answer("DATA", "", "354 end with <CRLF>.<CRLF>")
			if !say(a) {
				return
			}
			if !strings.HasPrefix(a, "354") {
				continue
			}
			body, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			a = r.answer("END", "", "250 queued")
			if strings.HasPrefix(a, "2") {
				r.mu.Lock()
				r.messages = append(r.messages, string(body))
				r.mu.Unlock()
			}
			if !say(a) {
				return
			}
		case "RSET", "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

// seen returns how many sessions the relay has had and the messages it
// accepted.
func (r *relay) seen() (int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions, append([]string(nil), r.messages...)
}

func (r *relay) sender(t *testing.T) *mail.SMTP {
	t.Helper()
	s, err := mail.NewSMTP("smtp://" + r.addr + "?from=news@example.com")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// permanent is how the outbox reads a Sender's error.
func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

func TestSMTPRefusals(t *testing.T) {
	on := func(stage, answer string) func(string, string) string {
		return func(s, _ string) string {
			if s == stage {
				return answer
			}
			return ""
		}
	}
	cases := []struct {
		name      string
		reply     func(stage, arg string) string
		wantErr   bool
		permanent bool
		stage     string // of the *ReplyError, "" for a plain error
	}{
		{"accepted", nil, false, false, ""},
		{"550 to RCPT", on("RCPT", "550 5.1.1 no such user"), true, true, "RCPT"},
		{"553 to MAIL", on("MAIL", "553 5.7.1 sender refused"), true, true, "MAIL"},
		{"554 to DATA", on("DATA", "554 5.3.0 no thanks"), true, true, "DATA"},
		{"552 after the message", on("END", "552 5.3.4 message too big"), true, true, "DATA"},
		{"451 to RCPT", on("RCPT", "451 4.7.1 greylisted, try later"), true, false, "RCPT"},
		{"452 to MAIL", on("MAIL", "452 4.3.1 insufficient storage"), true, false, "MAIL"},
		{"421 after the message", on("END", "421 4.3.2 shutting down"), true, false, "DATA"},
		{"421 greeting", on("GREETING", "421 4.3.2 busy"), true, false, ""},
		{"hangs up at RCPT", on("RCPT", "hang up"), true, false, ""},
		{"hangs up after the message", on("END", "hang up"), true, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := startRelay(t, c.reply)
			err := r.sender(t).Send(context.Background(), content.Message{To: "reader@example.com", Subject: "Hello", Body: "Line one.\n.\nLine three."})
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, c.wantErr)
			}
			if err == nil {
				if _, msgs := r.seen(); len(msgs) != 1 || !strings.Contains(msgs[0], "Subject: Hello") || !strings.Contains(msgs[0], "Line three.") {
					t.Fatalf("relay got %q", msgs)
				}
				return
			}
			if got := permanent(err); got != c.permanent {
				t.Errorf("Permanent() = %v, want %v (%v)", got, c.permanent, err)
			}
			var re *mail.ReplyError
			switch {
			case c.stage == "" && errors.As(err, &re):
				t.Errorf("a plain failure came back as a reply: %v", err)
			case c.stage != "" && (!errors.As(err, &re) || re.Stage != c.stage):
				t.Errorf("want a ReplyError at %s, got %#v", c.stage, err)
			}
		})
	}
	t.Run("nothing listening", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		s, _ := mail.NewSMTP("smtp://" + addr + "?from=news@example.com")
		if err := s.Send(context.Background(), content.Message{To: "reader@example.com", Subject: "Hi", Body: "x"}); err == nil || permanent(err) {
			t.Fatalf("err = %v, want a retryable error", err)
		}
	})
	t.Run("header injection is final", func(t *testing.T) {
		r := startRelay(t, nil)
		err := r.sender(t).Send(context.Background(), content.Message{To: "reader@example.com", Subject: "Hi\r\nBcc: all@example.com", Body: "x"})
		if sessions, _ := r.seen(); err == nil || !permanent(err) || sessions != 0 {
			t.Fatalf("err = %v after %d sessions, want a permanent refusal before connecting", err, sessions)
		}
	})
	t.Run("a silent relay times out", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		done := make(chan struct{})
		defer close(done)
		go func() {
			if c, err := ln.Accept(); err == nil {
				<-done // never greets
				c.Close()
			}
		}()
		s, _ := mail.NewSMTP("smtp://" + ln.Addr().String() + "?from=news@example.com")
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := s.Send(ctx, content.Message{To: "reader@example.com", Subject: "Hi", Body: "x"}); err == nil || permanent(err) {
			t.Fatalf("err = %v, want a retryable timeout", err)
		}
		if took := time.Since(start); took > time.Second {
			t.Fatalf("Send ignored its context: took %s", took)
		}
	})
}
