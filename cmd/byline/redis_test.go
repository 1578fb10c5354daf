package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestRedisOptions(t *testing.T) {
	cases := []struct {
		url     string
		addrs   int
		master  string
		db      int
		wantErr bool
	}{
		{"redis://127.0.0.1:6379", 1, "", 0, false},
		{"redis://:secret@127.0.0.1:6379/2", 1, "", 2, false},
		{"redis://a:7001,b:7002,c:7003", 3, "", 0, false},
		{"redis://s1:26379,s2:26379?master=mymaster", 2, "mymaster", 0, false},
		{"http://127.0.0.1:6379", 0, "", 0, true},
		{"redis://", 0, "", 0, true},
	}
	for _, c := range cases {
		o, err := redisOptions(c.url)
		if (err != nil) != c.wantErr {
			t.Errorf("%s: err %v", c.url, err)
			continue
		}
		if err == nil && (len(o.Addrs) != c.addrs || o.MasterName != c.master || o.DB != c.db) {
			t.Errorf("%s: %+v", c.url, o)
		}
	}
}

// TestRedisLogIsStructured: go-redis's own lines reach slog as one warn
// record with the client's message, not as free text on stderr.
func TestRedisLogIsStructured(t *testing.T) {
	var buf bytes.Buffer
	redisLog{slog.New(slog.NewJSONHandler(&buf, nil))}.Printf(context.Background(), "failed to dial after %d attempts: %v", 1, "refused")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %q", err, buf.String())
	}
	if rec["level"] != "WARN" || rec["msg"] != "redis client" || rec["detail"] != "failed to dial after 1 attempts: refused" {
		t.Fatalf("record %v", rec)
	}
}
