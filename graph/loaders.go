package graph

import (
	"context"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/bylinehq/byline/content"
)

// loaders batch the per-article lookups of one request: a page of 20
// articles asks for tags and authors once each, not 20 times.
type loaders struct {
	tags    *dataloadgen.Loader[int64, []content.Tag]
	authors *dataloadgen.Loader[int64, []content.Author]
}

type loadersKey struct{}

// defaultBatchWait is how long a loader gathers keys. gqlgen resolves a
// list's fields on concurrent goroutines, so siblings arrive within
// microseconds.
const defaultBatchWait = 100 * time.Microsecond

func newLoaders(svc *content.Service, batchWait time.Duration) *loaders {
	opts := []dataloadgen.Option{dataloadgen.WithWait(batchWait), dataloadgen.WithBatchCapacity(content.MaxPageSize)}
	return &loaders{
		tags: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64][]content.Tag, error) {
			m, err := svc.TagsFor(ctx, ids)
			return fill(m, ids), err
		}, opts...),
		authors: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64][]content.Author, error) {
			m, err := svc.AuthorsFor(ctx, ids)
			return fill(m, ids), err
		}, opts...),
	}
}

// fill gives every requested id an entry: an article without tags has an
// empty list, not a "not found" error.
func fill[T any](m map[int64][]T, ids []int64) map[int64][]T {
	if m == nil {
		m = map[int64][]T{}
	}
	for _, id := range ids {
		if m[id] == nil {
			m[id] = []T{}
		}
	}
	return m
}

func withLoaders(ctx context.Context, svc *content.Service, wait time.Duration) context.Context {
	return context.WithValue(ctx, loadersKey{}, newLoaders(svc, wait))
}

func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}
