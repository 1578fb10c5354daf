package cache

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	results      *prometheus.CounterVec
	hits         prometheus.Counter // results{hit}, bound once: the hit path hashes no labels
	invalidation *prometheus.HistogramVec
	redisErrors  prometheus.Counter
}

// The results a request can have.
const (
	resHit       = "hit"
	resStale     = "stale"
	resMiss      = "miss"
	resCoalesced = "coalesced"
	resBypass    = "bypass"
	resError     = "error"
)

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "byline_cache_requests_total",
			Help: "GraphQL requests by cache result: hit, stale, miss, coalesced, bypass, error.",
		}, []string{"result"}),
		invalidation: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "byline_cache_invalidation_seconds",
			Help:    "Time from a write's commit to its invalidation being visible: on this replica (applied), or on every replica (acknowledged, the writer's view).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"view"}),
		redisErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "byline_cache_redis_errors_total",
			Help: "Redis calls that failed or timed out (the request was served anyway).",
		}),
	}
	for _, r := range []string{resHit, resStale, resMiss, resCoalesced, resBypass, resError} {
		m.results.WithLabelValues(r)
	}
	m.hits = m.results.WithLabelValues(resHit)
	if reg != nil {
		reg.MustRegister(m.results, m.invalidation, m.redisErrors)
	}
	return m
}
