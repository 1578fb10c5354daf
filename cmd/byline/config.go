package main

import (
	"errors"

	"flag"
	"fmt"
	"github.com/bylinehq/byline/content"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"
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
	Proxies   string
	MinFill   time.Duration // how fast a sign-up may come (tests shorten it)
	Rank      content.RankConfig
	SMTP      string
	PublicURL string
	LogLevel  slog.Level
	Drain     time.Duration
}

// errUsage marks a command line that could not be understood; the usage
// has already been printed.
var errUsage = errors.New("usage")

// flagSet builds a subcommand's flags over cfg. Every subcommand takes --db
// and --redis; serve adds its own.
func flagSet(name, usage string, cfg *Config, getenv func(string) string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: byline %s\n\nflags (environment fallback in brackets):\n", usage)
		fs.PrintDefaults()
	}
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
	fs.StringVar(&cfg.SMTP, "smtp", getenv("BYLINE_SMTP_URL"), "SMTP relay for confirmation emails, smtp://user:pass@host:587?from=news@example.com; empty = log them [BYLINE_SMTP_URL]")
	fs.StringVar(&cfg.Proxies, "trusted-proxies", getenv("BYLINE_TRUSTED_PROXIES"), "load balancers (CIDRs, comma-separated) whose X-Forwarded-For names the client, for rate limits and consent receipts [BYLINE_TRUSTED_PROXIES]")
	fs.StringVar(&cfg.DebugAddr, "debug-addr", getenv("BYLINE_DEBUG_ADDR"), "serve Go's pprof on this address (keep it private), e.g. 127.0.0.1:6060 [BYLINE_DEBUG_ADDR]")
	fs.BoolVar(&cfg.NoCache, "no-cache", getenv("BYLINE_NO_CACHE") != "", "serve every request from the database (for debugging and benchmarks) [BYLINE_NO_CACHE]")
	cfg.Rank = content.DefaultRankConfig()
	fs.DurationVar(&cfg.Rank.HalfLife, "related-half-life", cfg.Rank.HalfLife, "related stories: age at which recency counts half")
	fs.Float64Var(&cfg.Rank.MinScore, "related-min-score", cfg.Rank.MinScore, "related stories: the least score shown (0..1)")
	fs.Float64Var(&cfg.Rank.TextWeight, "related-text-weight", cfg.Rank.TextWeight, "related stories: weight of shared words")
	fs.Float64Var(&cfg.Rank.TagWeight, "related-tag-weight", cfg.Rank.TagWeight, "related stories: weight of shared tags")
	fs.Float64Var(&cfg.Rank.SectionWeight, "related-section-weight", cfg.Rank.SectionWeight, "related stories: weight of the same section")
	fs.DurationVar(&cfg.Drain, "drain", 20*time.Second, "how long shutdown waits for in-flight requests")
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
			return err
		}
		return errUsage
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
