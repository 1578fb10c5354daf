// Package server is Byline's HTTP edge: routing, body limits, health and
// readiness, Prometheus metrics, the access log, the explorer page, and a
// graceful life cycle. It never talks to the database itself: what it needs
// to know arrives as handlers and check functions.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/cors"

	"github.com/bylinehq/byline/content"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check reports whether a dependency answers.
type Check struct {
	Name     string
	Required bool // a failing required check makes /readyz 503
	Func     func(ctx context.Context) error
}

// Config is what the edge serves.
type Config struct {
	GraphQL   http.Handler
	Content   *content.Service // for the widget's pages and the demo site
	PublicURL string
	Checks    []Check
	Registry  *prometheus.Registry
	Log       *slog.Logger
	MaxBody   int64  // bytes; default 1 MiB
	Version   string // shown by /healthz
	// TrustedProxies may name the client with X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// MetricsElsewhere leaves /metrics out: Metrics serves it on an
	// address of its own, which operators can keep private.
	MetricsElsewhere bool
}

// DefaultMaxBody is the largest request body accepted.
const DefaultMaxBody = 1 << 20

// New builds the routes.
func New(c Config) http.Handler {
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	hm := newHTTPMetrics(c.Registry)
	mux := http.NewServeMux()
	route := func(pattern, name string, h http.Handler) {
		mux.Handle(pattern, hm.instrument(name, h))
	}
	// Browsers may call the API from a partner's origin (the widget); the
	// allow-lists are the partners'. Editors' keys are never sent
	// cross-origin: Authorization is not an allowed header.
	co := cors.New(cors.Options{
		AllowOriginFunc: func(origin string) bool { return c.Content.AllowedOrigin(context.Background(), origin) },
		AllowedMethods:  []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:  []string{"Content-Type"},
		MaxAge:          600,
	})
	gql := limitBody(c.MaxBody, c.GraphQL)
	withCORS := co.Handler(gql)
	graphqlRoute := hm.instrument("graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.Header["Origin"]) == 0 {
			gql.ServeHTTP(w, r) // not a browser's cross-origin call: no CORS work
			return
		}
		withCORS.ServeHTTP(w, r)
	}))
	mux.Handle("/graphql", graphqlRoute)
	wa := newWidgetAssets()
	wp := &widgetPages{svc: c.Content, publicURL: c.PublicURL, log: c.Log}
	route("GET /widget/v1/loader.js", "widget_loader", http.HandlerFunc(wa.serveLoader))
	route("GET /widget/v1/{file}", "widget_asset", http.HandlerFunc(wa.serveFile))
	wp.routes(route)
	route("GET /healthz", "healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": c.Version})
	}))
	route("GET /readyz", "readyz", readyz(c.Checks))
	if c.Registry != nil && !c.MetricsElsewhere {
		route("GET /metrics", "metrics", promhttp.HandlerFor(c.Registry, promhttp.HandlerOpts{}))
	}
	route("GET /explorer", "explorer", http.HandlerFunc(index))
	route("GET /static/", "static", http.FileServerFS(static))
	// The demo site (/, and every article, section and tag path) is the
	// catch-all: every other pattern is more specific and wins, and a path
	// none of them knows gets the demo's HTML 404. It takes every method
	// (answering 405 to all but GET and HEAD) because "GET /" would
	// conflict with the method-less /graphql.
	route("/", "demo", &demo{svc: c.Content, gateway: c.PublicURL, log: c.Log, mux: mux})
	// Nearly every request is for /graphql: it skips the mux's pattern
	// matching (the same handler the mux would pick).
	routes := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every answer is what its Content-Type says: a browser must not
		// sniff a JSON error or a widget file into HTML or script.
		w.Header()["X-Content-Type-Options"] = nosniff
		if r.URL.Path == "/graphql" {
			graphqlRoute.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
	return recoverPanics(c.Log, realIP(c.TrustedProxies, accessLog(c.Log, routes)))
}

// Metrics serves reg at /metrics and nothing else, for an address of its
// own (Config.MetricsElsewhere).
func Metrics(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}

// nosniff is shared by every response: net/http only reads header values.
var nosniff = []string{"nosniff"}

// readyz is 200 while every required check passes; optional ones (Redis)
// are reported but never fail readiness, since Byline serves without them.
func readyz(checks []Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status := http.StatusOK
		out := map[string]string{}
		for _, c := range checks {
			if err := c.Func(ctx); err != nil {
				out[c.Name] = "down"
				if c.Required {
					status = http.StatusServiceUnavailable
				}
				continue
			}
			out[c.Name] = "up"
		}
		writeJSON(w, status, out)
	})
}

// Run serves h on addr until ctx ends, then stops taking connections and
// lets in-flight requests finish (up to drain).
func Run(ctx context.Context, log *slog.Logger, addr string, h http.Handler, drain time.Duration) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return Serve(ctx, log, ln, h, drain)
}

// Serve is Run on a listener the caller made.
func Serve(ctx context.Context, log *slog.Logger, ln net.Listener, h http.Handler, drain time.Duration) error {
	// Every request's context descends from work, which ends when the
	// drain does: a request still running then stops (its database query
	// and ranking see the cancellation) instead of holding the process.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return work },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "drain", drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// The drain is over: cancel what still runs and close its
		// connections, so shutdown takes --drain whatever is in flight.
		log.Warn("drain over: cancelling requests still running", "err", err)
		stopWork()
		_ = srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
