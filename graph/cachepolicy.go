package graph

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/bylinehq/byline/content"
)

// hint is one @cacheControl directive.
type hint struct {
	maxAge, swr int
	private     bool
}

// hints are the schema's @cacheControl directives, read once at start-up:
// by "Type.field" for fields and by "Type" for object types.
type hints map[string]hint

func readHints(s *ast.Schema) hints {
	h := hints{}
	read := func(key string, ds ast.DirectiveList) {
		d := ds.ForName("cacheControl")
		if d == nil {
			return
		}
		var x hint
		x.maxAge = -1
		for _, a := range d.Arguments {
			switch a.Name {
			case "maxAge":
				x.maxAge, _ = strconv.Atoi(a.Value.Raw)
			case "staleWhileRevalidate":
				x.swr, _ = strconv.Atoi(a.Value.Raw)
			case "scope":
				x.private = a.Value.Raw == "PRIVATE"
			}
		}
		h[key] = x
	}
	for name, def := range s.Types {
		read(name, def.Directives)
		for _, f := range def.Fields {
			read(name+"."+f.Name, f.Directives)
		}
	}
	return h
}

// policy is a response's cache policy: the minimum over every hint the
// response touched. A response that touched no hint is not cacheable.
type policy struct {
	mu      sync.Mutex
	seen    bool
	maxAge  int
	swr     int
	private bool
	noStore bool
	// until is when the next scheduled publication may change public
	// answers (zero: none scheduled), read before any resolver ran: no
	// answer may be fresh past it, in any cache.
	until time.Time
	now   func() time.Time // the domain's clock
}

type policyKey struct{}

func (p *policy) add(h hint) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.private = p.private || h.private
	if h.maxAge < 0 {
		return
	}
	if !p.seen || h.maxAge < p.maxAge {
		p.maxAge = h.maxAge
	}
	if !p.seen || h.swr < p.swr {
		p.swr = h.swr
	}
	p.seen = true
}

// keepPrivate marks the request's answer as the caller's alone and not to
// be stored anywhere: an editor's preview of unpublished work.
func keepPrivate(ctx context.Context) {
	if p, _ := ctx.Value(policyKey{}).(*policy); p != nil {
		p.mu.Lock()
		p.private, p.noStore = true, true
		p.mu.Unlock()
	}
}

// forbid marks the response as not to be stored (errors, writes, non-200).
func (p *policy) forbid() {
	p.mu.Lock()
	p.noStore = true
	p.mu.Unlock()
}

// header is the Cache-Control value for the policy.
func (p *policy) header() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	maxAge, swr := p.maxAge, p.swr
	if !p.until.IsZero() && p.now != nil {
		// Fresh at most until the next publication, in whole seconds
		// rounded down, and never served stale past it.
		left := int(p.until.Sub(p.now()) / time.Second)
		if left < maxAge {
			maxAge = left
		}
		swr = min(swr, max(left-maxAge, 0))
	}
	switch {
	case p.private && p.noStore:
		return "private, no-store"
	case p.noStore || !p.seen || maxAge <= 0:
		return "no-store"
	case p.private:
		return "private, max-age=" + strconv.Itoa(maxAge)
	}
	v := "public, max-age=" + strconv.Itoa(maxAge) + ", s-maxage=" + strconv.Itoa(maxAge)
	if swr > 0 {
		v += ", stale-while-revalidate=" + strconv.Itoa(swr)
	}
	return v
}

// hintFields records, for every resolved field, its own hint and that of
// the object type it returns.
func hintFields(h hints) graphql.FieldMiddleware {
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		p, _ := ctx.Value(policyKey{}).(*policy)
		if fc := graphql.GetFieldContext(ctx); p != nil && fc != nil && fc.Field.Field != nil {
			if x, ok := h[fc.Object+"."+fc.Field.Name]; ok {
				p.add(x)
			}
			if def := fc.Field.Definition; def != nil {
				if x, ok := h[def.Type.Name()]; ok {
					p.add(x)
				}
			}
		}
		return next(ctx)
	}
}

// cacheHeaders writes the policy and the tags as HTTP headers just before
// the response goes out, when execution is over: Cache-Control for caches
// everywhere, Surrogate-Key for a CDN's purges and Byline's own cache.
type cacheHeaders struct {
	http.ResponseWriter
	p     *policy
	tags  *content.TagSet
	wrote bool
}

func (w *cacheHeaders) set() {
	if w.wrote {
		return
	}
	w.wrote = true
	h := w.Header()
	h.Set("Cache-Control", w.p.header())
	if tags := w.tags.Sorted(); len(tags) > 0 {
		h.Set("Surrogate-Key", strings.Join(append(tags, content.TagAll), " "))
	}
}

func (w *cacheHeaders) WriteHeader(code int) {
	if code != http.StatusOK {
		w.p.forbid()
	}
	w.set()
	w.ResponseWriter.WriteHeader(code)
}

func (w *cacheHeaders) Write(b []byte) (int, error) {
	w.set()
	return w.ResponseWriter.Write(b)
}

func (w *cacheHeaders) Unwrap() http.ResponseWriter { return w.ResponseWriter }
