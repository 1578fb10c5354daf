package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestGracefulShutdown: a request in flight when the stop signal arrives
// still gets its whole answer; new connections are refused.
func TestGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "finished")
	})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), ln, h, 5*time.Second) }()

	url := "http://" + ln.Addr().String()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	stop()
	if body := <-got; body != "finished" {
		t.Fatalf("in-flight request got %q", body)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get(url); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

// TestShutdownEndsWithTheDrain: a request that would run for ever is
// cancelled when the drain is over, and Serve returns then.
func TestShutdownEndsWithTheDrain(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, cancelled := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done() // work that only ends when told to
		close(cancelled)
	})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	const drain = 200 * time.Millisecond
	go func() { done <- Serve(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), ln, h, drain) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String()); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	stop()
	begun := time.Now()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its drain")
	}
	select {
	case <-cancelled:
	case <-time.After(time.Second):
		t.Fatal("the running request's context was never cancelled")
	}
	if took := time.Since(begun); took < drain {
		t.Errorf("returned after %v, before the %v drain", took, drain)
	}
}
