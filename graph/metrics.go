package graph

import (
	"regexp"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the GraphQL layer's Prometheus series.
type metrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec

	mu    sync.Mutex
	names map[string]bool
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "byline_graphql_operation_duration_seconds",
			Help:    "Time to execute a GraphQL operation, by operation name.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "byline_graphql_errors_total",
			Help: "GraphQL errors returned, by extensions.code.",
		}, []string{"code"}),
		names: map[string]bool{},
	}
	if reg != nil {
		reg.MustRegister(m.duration, m.errors)
	}
	return m
}

var opNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// maxOperationNames bounds the label's cardinality: clients choose
// operation names, and an attacker must not be able to grow /metrics.
const maxOperationNames = 200

// label is the operation's name as a metric label.
func (m *metrics) label(name string) string {
	if name == "" {
		return "anonymous"
	}
	if !opNameRE.MatchString(name) {
		return "other"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.names[name] {
		if len(m.names) >= maxOperationNames {
			return "other"
		}
		m.names[name] = true
	}
	return name
}
