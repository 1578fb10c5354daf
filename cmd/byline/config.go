package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bylinehq/byline/cdn"
	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/gcfloor"
)

// Config is everything a subcommand may need, parsed once from flags with
// environment fallbacks.
type Config struct {
	Addr      string
	DB        string
	Redis     string
	Prefix    string
	NoCache   bool
	DebugAddr string
	// MetricsAddr, when set, is where /metrics is served instead of Addr.
	MetricsAddr string
	Proxies     string
	// TrustedProxies is Proxies parsed: the peers whose X-Forwarded-For
	// names the client.
	TrustedProxies  []netip.Prefix
	MinFill         time.Duration // how fast a sign-up may come (tests shorten it)
	Rank            content.RankConfig
	SMTP            string
	Purge           string        // --purge as given
	OutboxRetention time.Duration // sent and failed emails are deleted after this
	// PurgeTarget is --purge parsed: the CDN writes purge; nil without it.
	PurgeTarget cdn.Target
	PublicURL   string
	LogLevel    slog.Level
	Drain       time.Duration
	GCFloor     byteSize // the heap may grow to this before Go collects; 0 = plain GOGC

	// Now is the domain's clock (publication, tokens, recency); the wall
	// clock when nil. Tests inject theirs, never a flag.
	Now func() time.Time

	envErr error  // a malformed environment fallback, reported by parse
	help   func() // prints the subcommand's usage (--help)
}

// errUsage marks a command line that could not be understood: main prints
// the error as one line and exits 2.
var errUsage = errors.New("usage")

// usageError names what is wrong with a command line; it is errUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

// usagef is a usage error, e.g. usagef("partners add: --name is required").
func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// flagSet builds a subcommand's flags over cfg. Every subcommand takes --db
// and --redis; serve adds its own.
func flagSet(name, usage string, cfg *Config, getenv func(string) string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package's own messages are discarded: parse turns an error
	// into one line, and prints the usage only when it is asked for.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	help := func() {
		fmt.Fprintf(stderr, "usage: byline %s\n\nflags (environment fallback in brackets):\n", usage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	cfg.help = help
	fs.StringVar(&cfg.DB, "db", envOr(getenv, "BYLINE_DATABASE_URL", "data/byline.db"),
		"database: a file path or sqlite: URL (SQLite), or postgres://… [BYLINE_DATABASE_URL]")
	fs.StringVar(&cfg.Redis, "redis", getenv("BYLINE_REDIS_URL"),
		"Redis URL: redis://host:port[/db], redis://h1:p1,h2:p2 (Cluster), redis://s1:p1,s2:p2?master=NAME (Sentinel); empty = no Redis [BYLINE_REDIS_URL]")
	fs.StringVar(&cfg.Prefix, "redis-prefix", envOr(getenv, "BYLINE_REDIS_PREFIX", "byline:"), "prefix of every Redis key and channel [BYLINE_REDIS_PREFIX]")
	return fs
}

func serveFlags(fs *flag.FlagSet, cfg *Config, getenv func(string) string) {
	fs.StringVar(&cfg.Addr, "addr", envOr(getenv, "BYLINE_ADDR", ":8080"), "listen address [BYLINE_ADDR]")
	fs.StringVar(&cfg.PublicURL, "public-url", getenv("BYLINE_PUBLIC_URL"),
		"the origin readers and the widget reach this gateway at; default http://localhost<addr> [BYLINE_PUBLIC_URL]")
	fs.StringVar(&cfg.Purge, "purge", getenv("BYLINE_PURGE_URL"), "the CDN purged by surrogate key after every write: http(s)://varnish:6081/ (xkey), fastly://SERVICE?token=…, cloudflare://ZONE?token=…; empty = none [BYLINE_PURGE_URL]")
	fs.StringVar(&cfg.SMTP, "smtp", getenv("BYLINE_SMTP_URL"), "SMTP relay for confirmation emails, smtp://user:pass@host:587?from=news@example.com; empty = log them [BYLINE_SMTP_URL]")
	fs.StringVar(&cfg.Proxies, "trusted-proxies", getenv("BYLINE_TRUSTED_PROXIES"), "load balancers (CIDRs, comma-separated) whose X-Forwarded-For names the client, for rate limits and consent receipts [BYLINE_TRUSTED_PROXIES]")
	fs.StringVar(&cfg.DebugAddr, "debug-addr", getenv("BYLINE_DEBUG_ADDR"), "serve Go's pprof on this address (keep it private), e.g. 127.0.0.1:6060 [BYLINE_DEBUG_ADDR]")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", getenv("BYLINE_METRICS_ADDR"), "serve /metrics on this address only, not on --addr (to keep it private), e.g. 127.0.0.1:9100; empty = on --addr [BYLINE_METRICS_ADDR]")
	fs.BoolVar(&cfg.NoCache, "no-cache", getenv("BYLINE_NO_CACHE") != "", "serve every request from the database (for debugging and benchmarks) [BYLINE_NO_CACHE]")
	cfg.Rank = content.DefaultRankConfig()
	fs.DurationVar(&cfg.Rank.HalfLife, "related-half-life", cfg.Rank.HalfLife, "related stories: age at which recency counts half")
	fs.Float64Var(&cfg.Rank.MinScore, "related-min-score", cfg.Rank.MinScore, "related stories: the least score shown (0..1)")
	fs.Float64Var(&cfg.Rank.TextWeight, "related-text-weight", cfg.Rank.TextWeight, "related stories: weight of shared words")
	fs.Float64Var(&cfg.Rank.TagWeight, "related-tag-weight", cfg.Rank.TagWeight, "related stories: weight of shared tags")
	fs.Float64Var(&cfg.Rank.SectionWeight, "related-section-weight", cfg.Rank.SectionWeight, "related stories: weight of the same section")
	cfg.OutboxRetention = content.DefaultOutboxRetention
	if v := getenv("BYLINE_OUTBOX_RETENTION"); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			cfg.envErr = fmt.Errorf("BYLINE_OUTBOX_RETENTION %q: want a duration such as 720h", v)
		} else {
			cfg.OutboxRetention = d
		}
	}
	fs.DurationVar(&cfg.OutboxRetention, "outbox-retention", cfg.OutboxRetention, "how long sent and failed emails stay in the outbox, e.g. 720h (30 days) [BYLINE_OUTBOX_RETENTION]")
	fs.DurationVar(&cfg.Drain, "drain", 20*time.Second, "how long shutdown waits for in-flight requests")
	cfg.GCFloor = byteSize(gcfloor.Default(gcfloor.MemoryLimit()))
	if v := getenv("BYLINE_GC_FLOOR"); v != "" {
		if err := cfg.GCFloor.Set(v); err != nil {
			cfg.envErr = fmt.Errorf("BYLINE_GC_FLOOR: %w", err)
		}
	}
	fs.Var(&cfg.GCFloor, "gc-floor", "let the heap grow to this before Go's collector runs, for steadier latency; default an eighth of the memory limit (cgroup, else the machine's), at most 64MiB; 0 = plain GOGC; ignored when GOGC is set [BYLINE_GC_FLOOR]")
	fs.TextVar(&cfg.LogLevel, "log-level", levelOr(getenv("BYLINE_LOG_LEVEL")), "debug, info, warn or error [BYLINE_LOG_LEVEL]")
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func levelOr(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// parse reads args into fs and checks what every command shares.
func parse(fs *flag.FlagSet, args []string, cfg *Config) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			cfg.help()
			return err
		}
		return usagef("%s: %v (see byline %s --help)", fs.Name(), err, fs.Name())
	}
	if cfg.envErr != nil {
		return cfg.envErr
	}
	if cfg.Redis != "" {
		if _, err := redisOptions(cfg.Redis); err != nil {
			return err
		}
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--public-url %q: want an origin such as https://news.example.com", cfg.PublicURL)
		}
		cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	}
	return nil
}

// defaultPublicURL derives the origin from the listen address.
func defaultPublicURL(addr string) string {
	host, port, found := strings.Cut(addr, ":")
	if !found {
		return "http://localhost"
	}
	if host == "" || host == "0.0.0.0" || host == "::" || host == "[::]" {
		host = "localhost"
	}
	return "http://" + host + ":" + port
}

// byteSize is a flag value such as 256MiB, 1GiB, 512KiB or plain bytes.
type byteSize uint64

func (b *byteSize) String() string {
	switch v := uint64(*b); {
	case v != 0 && v%(1<<30) == 0:
		return strconv.FormatUint(v>>30, 10) + "GiB"
	case v != 0 && v%(1<<20) == 0:
		return strconv.FormatUint(v>>20, 10) + "MiB"
	case v != 0 && v%(1<<10) == 0:
		return strconv.FormatUint(v>>10, 10) + "KiB"
	default:
		return strconv.FormatUint(v, 10)
	}
}

func (b *byteSize) Set(s string) error {
	num, mult := strings.TrimSpace(s), uint64(1)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > (1<<62)/mult {
		return fmt.Errorf("%q is not a size such as 256MiB", s)
	}
	*b = byteSize(n * mult)
	return nil
}
