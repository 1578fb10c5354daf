package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bylinehq/byline/internal/testenv"
)

// TestMain lets the test binary stand in for bin/byline: started again with
// BYLINE_TEST_AS_BYLINE=1, it runs the command line it was given, so tests
// can start real gateway processes without building anything.
func TestMain(m *testing.M) {
	if os.Getenv("BYLINE_TEST_AS_BYLINE") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startProcess runs `byline serve` in a process of its own and returns its
// base URL once it is ready (and, with --redis, once Redis is up for it).
func startProcess(t *testing.T, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", addr, "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), "BYLINE_TEST_AS_BYLINE=1")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("gateway process ignored SIGTERM for 10 s")
		}
		if t.Failed() {
			t.Logf("gateway process stderr:\n%s", stderr.String())
		}
	})
	base := "http://" + addr
	wantRedis := strings.Contains(strings.Join(args, " "), "--redis")
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("gateway process exited: %v\n%s", err, stderr.String())
		default:
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			var ready struct{ Redis string }
			_ = json.NewDecoder(resp.Body).Decode(&ready)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && (!wantRedis || ready.Redis == "up") {
				time.Sleep(100 * time.Millisecond) // its subscription and first heartbeat
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway process not ready after 30 s\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWriteReachesAnotherProcessAtOnce: a gateway in this process and one in
// a process of its own share PostgreSQL and Redis. Once upsertArticle
// returns on either, the other serves the new title on its very next query
// (read-your-writes across processes), and then caches it again.
func TestWriteReachesAnotherProcessAtOnce(t *testing.T) {
	forEachRedis(t, func(t *testing.T, redisURL string) {
		testWriteReachesAnotherProcess(t, redisURL)
	})
}

func testWriteReachesAnotherProcess(t *testing.T, redisURL string) {
	cfg := Config{DB: testenv.PostgresSchema(t), Redis: redisURL, Prefix: testenv.RandomName("p") + ":", PublicURL: "https://news.example.com"}
	a := gateway(t, cfg) // seeds the database
	b := startProcess(t, "--db", cfg.DB, "--redis", cfg.Redis, "--redis-prefix", cfg.Prefix, "--public-url", cfg.PublicURL)
	token, err := a.svc.CreateKey(context.Background(), "desk")
	if err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{a.srv.URL, b} {
		titleAt(t, base)
		if _, x := titleAt(t, base); x != "HIT" {
			t.Fatalf("warm-up at %s: X-Cache %s", base, x)
		}
	}
	for i, w := range []struct{ writer, reader, title string }{
		{a.srv.URL, b, "Retitled in one process"},
		{b, a.srv.URL, "Retitled in the other"},
	} {
		body, _ := json.Marshal(map[string]any{
			"query":     `mutation($in: ArticleInput!) { upsertArticle(input: $in) { title } }`,
			"variables": map[string]any{"in": map[string]any{"slug": seedSlug, "title": w.title}},
		})
		req, _ := http.NewRequest(http.MethodPost, w.writer+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Errors []json.RawMessage
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
			t.Fatalf("write %d: %d %s", i, resp.StatusCode, out.Errors)
		}
		for _, base := range []string{w.reader, w.writer} {
			if got, x := titleAt(t, base); got != w.title {
				t.Fatalf("write %d: %s served %q (%s), want %q", i, base, got, x, w.title)
			}
			if got, x := titleAt(t, base); got != w.title || x != "HIT" {
				t.Fatalf("write %d: %s then served %q (%s), want a hit on the new title", i, base, got, x)
			}
		}
	}
}
