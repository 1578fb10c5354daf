package main

import (
	"io"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/gcfloor"
)

func TestByteSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		bad  bool
	}{
		{in: "256MiB", want: 256 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "64 KiB", want: 64 << 10},
		{in: "1000", want: 1000},
		{in: "0", want: 0},
		{in: "12B", want: 12},
		{in: "lots", bad: true},
		{in: "-1MiB", bad: true},
		{in: "1.5GiB", bad: true},
		{in: "99999999999999999999GiB", bad: true},
	} {
		t.Run(c.in, func(t *testing.T) {
			var b byteSize
			err := b.Set(c.in)
			if c.bad {
				if err == nil {
					t.Fatalf("Set(%q) = %d, want an error", c.in, b)
				}
				return
			}
			if err != nil || uint64(b) != c.want {
				t.Fatalf("Set(%q) = %d, %v; want %d", c.in, b, err, c.want)
			}
			var again byteSize
			if err := again.Set(b.String()); err != nil || again != b {
				t.Errorf("%q prints as %q, which reads back as %d, %v", c.in, b.String(), again, err)
			}
		})
	}
}

func TestGCFloorFlagAndEnv(t *testing.T) {
	for _, c := range []struct {
		name    string
		env     string
		args    []string
		want    uint64
		wantErr bool
	}{
		{name: "default", want: gcfloor.Default(gcfloor.MemoryLimit())},
		{name: "environment", env: "1GiB", want: 1 << 30},
		{name: "flag wins over environment", env: "1GiB", args: []string{"--gc-floor", "0"}, want: 0},
		{name: "malformed environment", env: "big", wantErr: true},
		{name: "malformed flag", args: []string{"--gc-floor", "big"}, wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseServe("BYLINE_GC_FLOOR", c.env, c.args)
			if c.wantErr {
				if err == nil {
					t.Fatalf("parse accepted it: floor %d", cfg.GCFloor)
				}
				return
			}
			if err != nil || uint64(cfg.GCFloor) != c.want {
				t.Fatalf("floor %d, %v; want %d", cfg.GCFloor, err, c.want)
			}
		})
	}
}

func TestOutboxRetentionFlagAndEnv(t *testing.T) {
	for _, c := range []struct {
		name    string
		env     string
		args    []string
		want    time.Duration
		wantErr bool
	}{
		{name: "default", want: content.DefaultOutboxRetention},
		{name: "environment", env: "48h", want: 48 * time.Hour},
		{name: "flag wins over environment", env: "48h", args: []string{"--outbox-retention", "2h"}, want: 2 * time.Hour},
		{name: "malformed environment", env: "a month", wantErr: true},
		{name: "no retention at all", env: "0s", wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseServe("BYLINE_OUTBOX_RETENTION", c.env, c.args)
			if c.wantErr {
				if err == nil {
					t.Fatalf("parse accepted it: %v", cfg.OutboxRetention)
				}
				return
			}
			if err != nil || cfg.OutboxRetention != c.want {
				t.Fatalf("retention %v, %v; want %v", cfg.OutboxRetention, err, c.want)
			}
		})
	}
}

// parseServe parses serve's flags with one environment variable set.
func parseServe(key, value string, args []string) (Config, error) {
	getenv := func(k string) string {
		if k == key {
			return value
		}
		return ""
	}
	var cfg Config
	fs := flagSet("serve", "serve", &cfg, getenv, io.Discard)
	serveFlags(fs, &cfg, getenv)
	err := parse(fs, args, &cfg)
	return cfg, err
}
