package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/bylinehq/byline/content"
)

// Options configure the GraphQL handler.
type Options struct {
	Content   *content.Service
	Log       *slog.Logger
	Metrics   prometheus.Registerer // nil: not exported
	Limits    Limits                // zero fields take DefaultLimits
	Timeout   time.Duration         // a request's deadline, database and ranker included; default 10 s
	Limiter   Limiter               // caps persisted-query registrations per client; nil: none
	BatchWait time.Duration         // how long loaders gather keys; default 100µs
	APQ       graphql.Cache[string] // persisted queries; nil: an in-process LRU
}

// DefaultTimeout bounds one request's work: no page needs more, and an
// expensive one must not hold a connection and the database for minutes.
const DefaultTimeout = 10 * time.Second

// Limiter counts events per key in fixed windows (the cache's limiter).
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, win time.Duration) bool
}

// NewHandler serves GraphQL over HTTP (GET and POST).
func NewHandler(o Options) http.Handler {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	o.Limits = o.Limits.orDefault()
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.BatchWait == 0 {
		o.BatchWait = defaultBatchWait
	}
	m := newMetrics(o.Metrics)
	cfg := Config{Resolvers: &Resolver{Content: o.Content, Log: o.Log}}
	es := NewExecutableSchema(cfg)
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(httpTransport{}) // GET and POST as GraphQL over HTTP says: transport.go
	srv.SetQueryCache(newDocCache[*ast.QueryDocument](docCacheBytes, docCacheEntries))
	srv.Use(extension.Introspection{})
	apq := o.APQ
	if apq == nil {
		apq = newDocCache[string](apqLocalBytes, apqLocalEntries)
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: &checkedAPQ{store: apq, schema: es.Schema(), limits: o.Limits, limiter: o.Limiter}})
	srv.Use(costLimit{o.Limits}) // after APQ, which fills in a hash's document
	srv.SetErrorPresenter(presenter(o.Log, m))
	srv.SetRecoverFunc(recoverer(o.Log))
	srv.AroundFields(hintFields(readHints(es.Schema())))
	srv.AroundRootFields(limitRootFields)
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		// A request refused before it was parsed (a body of the wrong
		// shape) has no operation context.
		var oc *graphql.OperationContext
		if graphql.HasOperationContext(ctx) {
			oc = graphql.GetOperationContext(ctx)
		}
		if p, _ := ctx.Value(policyKey{}).(*policy); p != nil &&
			(resp == nil || len(resp.Errors) > 0 || oc != nil && oc.Operation != nil && oc.Operation.Operation != ast.Query) {
			p.forbid() // errors and writes are never cached
		}
		if oc != nil {
			name := oc.OperationName
			if name == "" && oc.Operation != nil {
				name = oc.Operation.Name
			}
			m.duration.WithLabelValues(m.label(name)).Observe(time.Since(oc.Stats.OperationStart).Seconds())
		}
		return resp
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), o.Timeout)
		defer cancel()
		ctx = withLoaders(withSlots(ctx), o.Content, o.BatchWait)
		p := &policy{now: o.Content.Now}
		if next, ok, err := o.Content.NextChange(ctx); err != nil {
			p.forbid() // the schedule is unknown: store nothing
			o.Log.WarnContext(ctx, "graph: next scheduled change", "err", err)
		} else if ok {
			p.until = next
		}
		if tok := bearerFrom(r); tok != "" {
			ctx = context.WithValue(ctx, bearerKey{}, tok)
			p.private = true // an editor's request is theirs alone
		}
		ctx = context.WithValue(ctx, policyKey{}, p)
		ctx = context.WithValue(ctx, metaKey{}, metaFrom(r))
		ctx, tags := content.WithTagSet(ctx)
		srv.ServeHTTP(&cacheHeaders{ResponseWriter: w, p: p, tags: tags}, r.WithContext(ctx))
	})
}
