package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/cache"
	"github.com/bylinehq/byline/cdn"
	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/graph"
	"github.com/bylinehq/byline/internal/gcfloor"
	"github.com/bylinehq/byline/internal/tick"
	"github.com/bylinehq/byline/mail"
	"github.com/bylinehq/byline/server"
	"github.com/bylinehq/byline/store"
)

const usage = `byline — a GraphQL content gateway for news publishers

usage: byline <command> [flags]

commands:
  serve              run the gateway (imports the sample content into an empty database)
  import <dir>       import Markdown articles with YAML front matter, all or nothing
  keys create --name N   create an editor API key (printed once, stored hashed)
  keys list          list the editor keys (id, name, created, last used, revoked)
  keys revoke <id>   revoke an editor key at once
  partners add <id> [flags]   add a widget partner (--name, --origins O,O…), or update one: omitted flags keep their values
  partners list      list the partners
  subscribers export [--partner P] [--status-time]   CSV of subscribers on stdout
  subscribers forget <email>   erase a reader, keeping only a keyed hash for suppression
  webhooks add <id> --url URL --events E,E…   add a signed webhook (prints its secret once)
  webhooks list | webhooks remove <id>        list or remove webhooks
  version            print the version

Run "byline <command> --help" for a command's flags.
`

// run is main without the process: testable, with no globals.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "import":
		return importCmd(ctx, rest, getenv, stdout, stderr)
	case "keys":
		return keysCmd(ctx, rest, getenv, stdout, stderr)
	case "partners":
		return partnersCmd(ctx, rest, getenv, stdout, stderr)
	case "subscribers":
		return subscribersCmd(ctx, rest, getenv, stdout, stderr)
	case "webhooks":
		return webhooksCmd(ctx, rest, getenv, stdout, stderr)
	case "version", "--version":
		if len(rest) > 0 {
			if rest[0] == "-h" || rest[0] == "--help" || rest[0] == "-help" {
				fmt.Fprintln(stdout, "usage: byline version\n\nprints the version the binary was built from")
				return nil
			}
			return usagef("version: takes no arguments, got %q", rest[0])
		}
		fmt.Fprintln(stdout, "byline", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usagef("unknown command %q (see byline help)", cmd)
}

// version is the module version or VCS revision the binary was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return strings.TrimSpace(v)
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// openService opens the store and builds the domain over it.
func openService(ctx context.Context, cfg *Config) (*content.Service, *store.DB, error) {
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, nil, err
	}
	return newService(db, cfg, nil), db, nil
}

// newService builds the domain over db; a cache, when there is one, hears
// of its writes and limits its sign-ups.
func newService(db *store.DB, cfg *Config, c *cache.Cache) *content.Service {
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://localhost:8080"
	}
	dc := content.Config{PublicURL: cfg.PublicURL, MinFillTime: cfg.MinFill, Now: cfg.Now}
	if c != nil {
		dc.Invalidator, dc.Limiter = c.Bus, c.Limiter
	}
	return content.NewService(db.Stores(), dc)
}

// app is everything a command works with.
type app struct {
	svc   *content.Service
	db    *store.DB
	cache *cache.Cache
	rdb   redis.UniversalClient
	reg   *prometheus.Registry

	publicURL string
	proxies   []netip.Prefix
	// metricsElsewhere: /metrics is on --metrics-addr, not the main address.
	metricsElsewhere bool
}

func (a *app) Close() {
	if a.rdb != nil {
		a.rdb.Close()
	}
	a.db.Close()
}

// openApp opens the store, Redis (when configured) and the cache, and tells
// the domain to invalidate through the cache: a CLI write reaches running
// gateways over Redis at once, or through the database's log within a second.
func openApp(ctx context.Context, cfg *Config, log *slog.Logger) (*app, error) {
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	a := &app{db: db, reg: prometheus.NewRegistry()}
	if cfg.Redis != "" {
		opts, err := redisOptions(cfg.Redis)
		if err != nil {
			db.Close()
			return nil, err
		}
		a.rdb = redis.NewUniversalClient(opts)
	}
	a.cache = cache.New(cache.Options{
		Redis: a.rdb, Prefix: cfg.Prefix, SchemaVersion: graph.SchemaVersion(), Log: db, Logger: log, Metrics: a.reg,
	})
	a.svc = newService(db, cfg, a.cache)
	a.publicURL = cfg.PublicURL
	svc := a.svc
	a.cache.Bus.Subscribe(func(ctx context.Context, inv content.Invalidation) {
		svc.ScheduleChanged() // another gateway's write may schedule a story sooner
		svc.ApplyWrite(ctx, inv)
	})
	return a, nil
}

// purgePoll is how often the CDN purger looks for new writes: a write
// reaches the CDN within about this, plus the purge's own round trip.
const purgePoll = 250 * time.Millisecond

// gcPercent is the gateway's GOGC once the heap is past --gc-floor.
const gcPercent = 400

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flagSet("serve", "serve [flags]", &cfg, getenv, stderr)
	serveFlags(fs, &cfg, getenv)
	if err := parse(fs, args, &cfg); err != nil {
		return err
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = defaultPublicURL(cfg.Addr)
	}
	proxies, err := server.ParsePrefixes(cfg.Proxies)
	if err != nil {
		return usagef("serve: --trusted-proxies %q: %v", cfg.Proxies, err)
	}
	cfg.TrustedProxies = proxies
	if cfg.Purge != "" {
		if cfg.PurgeTarget, err = cdn.ParseTarget(cfg.Purge); err != nil {
			return usagef("serve: %v", err)
		}
	}
	if cfg.MetricsAddr != "" && cfg.MetricsAddr == cfg.Addr {
		return usagef("serve: --metrics-addr %q is also --addr: give /metrics an address of its own, or leave it empty to serve it on --addr", cfg.MetricsAddr)
	}
	log := newLogger(stderr, cfg.LogLevel)
	// go-redis logs through one process-wide logger; serve owns the process,
	// so its lines (failed dials during an outage) join the structured log.
	redis.SetLogger(redisLog{log})
	tuneGC := getenv("GOGC") == "" // an operator's GOGC wins
	if tuneGC {
		debug.SetGCPercent(gcPercent)
	}
	a, err := openApp(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := seedIfEmpty(ctx, a.svc, log); err != nil {
		return err
	}
	var sender content.Sender = mail.Log{Logger: log}
	if cfg.SMTP != "" {
		s, err := mail.NewSMTP(cfg.SMTP)
		if err != nil {
			return err
		}
		sender = s
	}
	cctx, stopCache := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCache()
	go a.cache.Run(cctx)
	go deliver(cctx, a.svc, sender, log)
	go pruneOutbox(cctx, a.svc, cfg.OutboxRetention, log)
	go publishOnTime(cctx, a.svc, log)
	go runWebhooks(cctx, a.svc, log)
	if cfg.PurgeTarget != nil {
		go cdn.New(a.db, cfg.PurgeTarget, log, purgePoll).Run(cctx)
	}
	if err := startRelated(cctx, a.svc, cfg.Rank, log); err != nil {
		return err
	}
	if tuneGC {
		// A gateway's garbage is short-lived request data around a long-lived
		// cache and index: collecting less often buys throughput and tail
		// latency (bench/RESULTS.md) for memory it can spare. Started after
		// the index is built, so the build's peak stays as it was.
		go gcfloor.Run(cctx, uint64(cfg.GCFloor), gcPercent, nil)
	}
	a.proxies = cfg.TrustedProxies
	a.metricsElsewhere = cfg.MetricsAddr != ""
	h := newHandler(a, log, graph.Options{}, !cfg.NoCache)
	if cfg.DebugAddr != "" {
		go servePprof(cctx, cfg.DebugAddr, log)
	}
	if cfg.MetricsAddr != "" {
		// Listened on here, so that an address taken fails the start,
		// not the first scrape; served until the main server has drained.
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		go func() {
			if err := server.Serve(cctx, log, ln, server.Metrics(a.reg), time.Second); err != nil {
				log.Warn("metrics", "err", err)
			}
		}()
	}
	log.Info("byline starting", "version", version(), "db", a.db.Engine(), "redis", cfg.Redis != "", "public_url", cfg.PublicURL, "gc_floor", cfg.GCFloor.String())
	return server.Run(ctx, log, cfg.Addr, h, cfg.Drain)
}

// startRelated builds the related-stories index. Writes made elsewhere
// (other replicas, the CLI) reach it through the cache's OnWrite, which the
// invalidation channel and the cache's log poller both call.
func startRelated(ctx context.Context, svc *content.Service, rank content.RankConfig, log *slog.Logger) error {
	took, err := svc.EnableRelatedIndex(ctx, rank)
	if err != nil {
		return fmt.Errorf("related index: %w", err)
	}
	// Building held every article's text at once; give that memory back.
	debug.FreeOSMemory()
	n, size := svc.RelatedIndexStats()
	log.Info("related index built", "stories", n, "took", took.Round(time.Millisecond), "bytes_estimate", size)
	return nil
}

// servePprof serves Go's profiler on a separate, private address.
func servePprof(ctx context.Context, addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if err := server.Run(ctx, log, addr, mux, time.Second); err != nil {
		log.Warn("pprof", "err", err)
	}
}

// publishTick is how often a gateway checks whether a scheduled story's
// time has come; the check costs nothing until one is due.
const publishTick = 200 * time.Millisecond

// publishOnTime announces scheduled stories as their time comes, until
// ctx ends: whichever gateway gets there first invalidates once for all.
func publishOnTime(ctx context.Context, svc *content.Service, log *slog.Logger) {
	tick.Every(ctx, publishTick, func(ctx context.Context) {
		if n, err := svc.PublishDue(ctx); err != nil {
			log.Warn("publish on time", "err", err)
		} else if n > 0 {
			log.Info("scheduled stories published", "stories", n)
		}
	})
}

// pruneOutbox deletes mail past its retention, hourly.
func pruneOutbox(ctx context.Context, svc *content.Service, retention time.Duration, log *slog.Logger) {
	tick.Every(ctx, time.Hour, func(ctx context.Context) {
		if n, err := svc.PruneOutbox(ctx, retention); err != nil {
			log.Warn("outbox prune", "err", err)
		} else if n > 0 {
			log.Info("outbox pruned", "deleted", n, "retention", retention.String())
		}
	})
}

// deliver drains the outbox every second until ctx ends.
func deliver(ctx context.Context, svc *content.Service, sender content.Sender, log *slog.Logger) {
	tick.Every(ctx, time.Second, func(ctx context.Context) {
		if _, err := svc.DeliverOutbox(ctx, sender); err != nil {
			log.Warn("outbox", "err", err)
		}
	})
}

// newHandler wires the GraphQL layer, the cache and the HTTP edge.
func newHandler(a *app, log *slog.Logger, gopts graph.Options, cached bool) http.Handler {
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gopts.Content, gopts.Log, gopts.Metrics, gopts.APQ, gopts.Limiter = a.svc, log, a.reg, a.cache.APQ, a.cache.Limiter
	checks := []server.Check{{Name: "database", Required: true, Func: a.svc.Ping}}
	if a.rdb != nil {
		checks = append(checks, server.Check{Name: "redis", Func: a.cache.Ping})
	}
	gql := server.RequireJSON(graph.NewHandler(gopts))
	if cached {
		gql = a.cache.Responses.Middleware(gql)
	}
	return server.New(server.Config{
		GraphQL:   server.RequireJSONType(gql), // before the cache answers a body that is not JSON
		Content:   a.svc,
		PublicURL: a.publicURL,
		Registry:  a.reg,
		Log:       log,
		Version:   version(),
		Checks:    checks,
		// Behind a load balancer every reader arrives from its address:
		// without this, all share one rate-limit bucket and one consent IP.
		TrustedProxies:   a.proxies,
		MetricsElsewhere: a.metricsElsewhere,
	})
}

// seedIfEmpty imports the bundled sample content into a new database, so a
// fresh clone shows a working site.
func seedIfEmpty(ctx context.Context, svc *content.Service, log *slog.Logger) error {
	if err := svc.EnsureDemoPartner(ctx); err != nil {
		return fmt.Errorf("demo partner: %w", err)
	}
	n, err := svc.Count(ctx, content.ListFilter{Now: time.Now().AddDate(100, 0, 0)})
	if err != nil || n > 0 {
		return err
	}
	res, err := svc.Import(ctx, content.Sample())
	if err != nil {
		return fmt.Errorf("import sample content: %w", err)
	}
	log.Info("empty database: imported the sample content", "articles", len(res.IDs))
	return nil
}

func importCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flagSet("import", "import [flags] <dir>", &cfg, getenv, stderr)
	if err := parse(fs, args, &cfg); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("import: want one directory, got %d arguments (usage: byline import <dir> [flags])", fs.NArg())
	}
	dir := fs.Arg(0)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("import: %q is not a directory", dir)
	}
	a, err := openApp(ctx, &cfg, newLogger(stderr, slog.LevelWarn))
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	res, err := a.svc.Import(ctx, os.DirFS(dir))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d articles (%d drafts without a published date) from %s in %s\n",
		len(res.IDs), res.Drafts, dir, time.Since(start).Round(time.Millisecond))
	return nil
}
