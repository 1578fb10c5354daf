package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// rootFieldsAtOnce bounds how many of one request's root fields run at
// once. gqlgen runs a query's root fields concurrently, so a document of a
// few hundred aliases would otherwise take that many database connections
// at once and drain the pool for every other reader.
const rootFieldsAtOnce = 4

type slotsKey struct{}

// withSlots gives a request its own set of root-field slots.
func withSlots(ctx context.Context) context.Context {
	return context.WithValue(ctx, slotsKey{}, make(chan struct{}, rootFieldsAtOnce))
}

// limitRootFields makes each root field wait for one of its request's
// slots; a request past its deadline stops waiting.
func limitRootFields(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	slots, _ := ctx.Value(slotsKey{}).(chan struct{})
	if slots == nil {
		return next(ctx)
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		graphql.AddError(ctx, ctx.Err())
		return graphql.Null
	}
	defer func() { <-slots }()
	return next(ctx)
}
