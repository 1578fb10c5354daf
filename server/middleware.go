package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeGraphQLError answers in GraphQL's error shape, for requests refused
// before GraphQL sees them.
func writeGraphQLError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]string{"code": code}}},
	})
}

// limitBody reads a POST body up to max bytes (413 past it), so that
// nothing behind it can be made to read more.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		tooBig := func() {
			writeGraphQLError(w, http.StatusRequestEntityTooLarge, "BAD_USER_INPUT", fmt.Sprintf("request body is larger than %d bytes", max))
		}
		if r.ContentLength > max {
			tooBig()
			return
		}
		body, err := readBody(w, r, max)
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			tooBig()
			return
		case err != nil:
			writeGraphQLError(w, http.StatusBadRequest, "BAD_USER_INPUT", "could not read the request body")
			return
		}
		r.Body = newBody(body)
		next.ServeHTTP(w, r)
	})
}

// readBody reads the whole body. With a Content-Length the server already
// stops the body there, so one exact buffer does; without one (chunked),
// MaxBytesReader enforces the limit.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength >= 0 {
		buf := make([]byte, r.ContentLength)
		_, err := io.ReadFull(r.Body, buf)
		return buf, err
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, max))
}

// Body is a request body already read into memory. Handlers behind the
// edge may take its bytes (Bytes) instead of reading and copying them again.
type Body struct {
	bytes.Reader // by value: one allocation per request, not two
	b            []byte
}

// newBody wraps bytes already read.
func newBody(b []byte) *Body {
	body := &Body{b: b}
	body.Reset(b)
	return body
}

// Bytes returns the whole body.
func (b *Body) Bytes() []byte { return b.b }

// Close does nothing: the bytes are in memory.
func (b *Body) Close() error { return nil }

// RequireJSON refuses a POST that is not JSON before GraphQL sees it: 415
// when it does not say application/json (jsonMediaType), 400 when its body
// is not valid JSON, each with a JSON error. Put it behind the response
// cache: a cached answer exists only for bytes that were valid, so hits
// skip reading them again; RequireJSONType goes in front of the cache.
func RequireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if !jsonMediaType(r.Header.Get("Content-Type")) {
			refuseMediaType(w)
			return
		}
		var body []byte
		if b, ok := r.Body.(*Body); ok {
			body = b.Bytes()
		} else {
			var err error
			if body, err = io.ReadAll(r.Body); err != nil {
				writeGraphQLError(w, http.StatusBadRequest, "BAD_USER_INPUT", "could not read the request body")
				return
			}
			r.Body = newBody(body)
		}
		if !json.Valid(body) {
			writeGraphQLError(w, http.StatusBadRequest, "BAD_USER_INPUT", "request body is not valid JSON")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RequireJSONType refuses with 415 a POST that does not say
// application/json, from its header alone. It goes in front of the
// response cache, which answers a hit from the body's bytes: without it a
// text/plain or untyped POST, which a page on any site can send with no
// CORS preflight, would be answered as the JSON request it resembles.
func RequireJSONType(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && !jsonMediaType(r.Header.Get("Content-Type")) {
			refuseMediaType(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// jsonMediaType reports whether a request's Content-Type is
// application/json, in UTF-8 if it names a charset. A missing one is not:
// browsers send a body with no type, or as text/plain, cross-site without
// asking first, and GraphQL over HTTP names application/json.
func jsonMediaType(ct string) bool {
	if ct == "application/json" {
		return true // nearly every request: no parsing
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

func refuseMediaType(w http.ResponseWriter) {
	writeGraphQLError(w, http.StatusUnsupportedMediaType, "BAD_USER_INPUT",
		"a POST body must be JSON sent as Content-Type: application/json")
}

// recorder remembers the status and size a handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog writes one structured line per request.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !log.Enabled(r.Context(), slog.LevelInfo) {
			next.ServeHTTP(w, r) // the access log is off: no wrapper, no clock
			return
		}
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "http",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Int("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)), slog.String("remote", r.RemoteAddr))
	})
}

// recoverPanics turns a handler's panic into a 500 with no details.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("http: panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				writeGraphQLError(w, http.StatusInternalServerError, "INTERNAL", "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// httpMetrics count requests and their latency per route.
type httpMetrics struct {
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	recorders sync.Pool // of *recorder
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		recorders: sync.Pool{New: func() any { return new(recorder) }},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "byline_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "byline_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.latency)
	}
	return m
}

// instrument binds a route's series once, so a request only adds to them
// (label lookups hash strings: not on the hot path).
func (m *httpMetrics) instrument(route string, next http.Handler) http.Handler {
	latency := m.latency.WithLabelValues(route)
	ok := m.requests.WithLabelValues(route, "200")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Pooled: a handler must not use its ResponseWriter after it
		// returns (net/http's rule), so the recorder is free again here.
		rec := m.recorders.Get().(*recorder)
		*rec = recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		*rec = recorder{}
		m.recorders.Put(rec)
		if status == 0 || status == http.StatusOK {
			ok.Inc()
		} else {
			m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
		}
		latency.Observe(time.Since(start).Seconds())
	})
}
