package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// TestTrustedProxiesThroughServe runs the real serve wiring in a process of
// its own: behind a trusted proxy each X-Forwarded-For client has its own
// sign-up limit; from a peer that is not trusted the header changes
// nothing, so a client cannot pick a fresh bucket per request.
func TestTrustedProxiesThroughServe(t *testing.T) {
	t.Run("trusted peer", func(t *testing.T) {
		base := startProcess(t, "--db", filepath.Join(t.TempDir(), "p.db"), "--trusted-proxies", "127.0.0.1/32,::1")
		withinOneWindow(t, func() bool {
			for i := range 10 {
				if code := signUp(t, base, "198.51.100.7", i); code != "" {
					t.Fatalf("sign-up %d from one client: %s", i, code)
				}
			}
			if code := signUp(t, base, "198.51.100.7", 10); code != "RATE_LIMITED" {
				t.Fatalf("the 11th sign-up of one client: %q, want RATE_LIMITED", code)
			}
			// Another reader behind the same balancer has a bucket of its own.
			return signUp(t, base, "198.51.100.8", 11) == ""
		}, "a second client behind the trusted proxy was limited with the first")
	})
	t.Run("untrusted peer", func(t *testing.T) {
		base := startProcess(t, "--db", filepath.Join(t.TempDir(), "p.db"), "--trusted-proxies", "10.0.0.0/8")
		withinOneWindow(t, func() bool {
			for i := range 10 {
				if code := signUp(t, base, fmt.Sprintf("198.51.100.%d", i+1), i); code != "" {
					t.Fatalf("sign-up %d: %s", i, code)
				}
			}
			return signUp(t, base, "198.51.100.99", 10) == "RATE_LIMITED"
		}, "X-Forwarded-For from an untrusted peer chose a fresh rate-limit bucket")
	})
}

// withinOneWindow runs check, which must hold when all its requests fall in
// one rate-limit window (a minute); a run that straddled two is retried.
func withinOneWindow(t *testing.T, check func() bool, msg string) {
	t.Helper()
	for range 2 {
		start := time.Now().Truncate(time.Minute)
		ok := check()
		if time.Now().Truncate(time.Minute).Equal(start) {
			if !ok {
				t.Fatal(msg)
			}
			return
		}
		time.Sleep(2 * time.Second) // straddled a window: its counts are mixed
	}
	t.Fatal("could not run within one rate-limit window")
}

// signUp posts a server-side subscribe (no Origin) as client xff and
// returns the error code, "" on success.
func signUp(t *testing.T, base, xff string, n int) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($in: SubscribeInput!) { subscribe(input: $in) { status } }`,
		"variables": map[string]any{"in": map[string]any{"email": fmt.Sprintf("reader%d-%d@example.com", n, time.Now().UnixNano()), "partner": "demo", "consent": true}},
	})
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", xff)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Subscribe *struct{ Status string }
		}
		Errors []struct {
			Extensions struct{ Code string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) > 0 {
		return r.Errors[0].Extensions.Code
	}
	if r.Data.Subscribe == nil || r.Data.Subscribe.Status != "PENDING_CONFIRMATION" {
		return fmt.Sprintf("status %+v", r.Data.Subscribe)
	}
	return ""
}
