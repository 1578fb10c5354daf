package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/bylinehq/byline/content"
)

// Limits of persisted-query registration.
const (
	apqMaxQuery         = 32 << 10
	apqPerClientPerHour = 200
)

// checkedAPQ stores a persisted query only when it is a valid document
// within the limits, and only so many per client: gqlgen checks the hash
// and stores before it parses, so without this anyone could fill Redis
// with junk under correct hashes.
type checkedAPQ struct {
	store   graphql.Cache[string]
	schema  *ast.Schema
	limits  Limits
	limiter Limiter
}

func (a *checkedAPQ) Get(ctx context.Context, hash string) (string, bool) {
	return a.store.Get(ctx, hash)
}

func (a *checkedAPQ) Add(ctx context.Context, hash, query string) {
	if len(query) > apqMaxQuery || (costLimit{a.limits}).check(query, nil) != nil {
		return
	}
	if _, errs := gqlparser.LoadQuery(a.schema, query); errs != nil {
		return
	}
	if a.limiter != nil {
		m, _ := ctx.Value(metaKey{}).(content.RequestMeta)
		if !a.limiter.Allow(ctx, "apq:"+m.IP, apqPerClientPerHour, time.Hour) {
			return
		}
	}
	a.store.Add(ctx, hash, query)
}
