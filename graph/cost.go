package graph

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/bylinehq/byline/content"
)

// Limits a document must stay within before it is validated or run.
type Limits struct {
	Tokens     int // lexical tokens in the document
	Fields     int // field selections written in the document (aliases count)
	Depth      int // nesting of fields, through fragments
	Complexity int // the price of the operation (see fieldCost)
}

// DefaultLimits are generous for any page a frontend builds (the article
// page is about 150 tokens, 40 fields, depth 4, complexity 200).
var DefaultLimits = Limits{Tokens: 5000, Fields: 500, Depth: 12, Complexity: 5000}

// Prices of the work a field starts, beyond the one unit every field costs.
const (
	searchCost = 400 // a full-text query over the whole corpus
	countCost  = 10  // totalCount over a filter
	// countSearchCost is totalCount of a search: the database counts
	// every match, which costs what the search does.
	countSearchCost = searchCost
)

// costLimit refuses a document that is too big, too deep or too costly
// before gqlgen validates it, in time linear in the document: each
// fragment's depth and cost are computed once, however often it is spread.
// Validation itself (field merging is quadratic) and gqlgen's own
// complexity walk (which visits every spread: exponential for fragments
// that spread the next twice) never see a hostile document.
type costLimit struct{ Limits }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = costLimit{}

func (costLimit) ExtensionName() string                   { return "CostLimit" }
func (costLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l costLimit) MutateOperationParameters(_ context.Context, rc *graphql.RawParams) *gqlerror.Error {
	if rc.Query == "" {
		return nil // a persisted query's hash alone: checked when it was stored
	}
	return l.check(rc.Query, rc.Variables)
}

// check applies every limit to a document; a document that does not parse
// is left to gqlgen, which reports the syntax error in its usual form.
func (l costLimit) check(query string, vars map[string]any) *gqlerror.Error {
	lex := lexer.New(&ast.Source{Input: query})
	for n := 0; ; n++ {
		tok, err := lex.ReadToken()
		if err != nil {
			return nil
		}
		if tok.Kind == lexer.EOF {
			break
		}
		if n >= l.Tokens {
			return tooComplex("the document has more than %d tokens", l.Tokens)
		}
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil
	}
	fields := 0
	var count func(ast.SelectionSet)
	count = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				fields++
				count(s.SelectionSet)
			case *ast.InlineFragment:
				count(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		count(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		count(f.SelectionSet)
	}
	if fields > l.Fields {
		return tooComplex("the document selects %d fields, more than the limit of %d", fields, l.Fields)
	}
	w := &costWalk{frags: map[string]*ast.FragmentDefinition{}, memo: map[string]walked{},
		vars: vars, cap: max(l.Complexity, l.Depth) + 1}
	for _, f := range doc.Fragments {
		w.frags[f.Name] = f
	}
	for _, op := range doc.Operations {
		r, err := w.set(op.SelectionSet)
		if err != nil {
			return err
		}
		if r.depth > l.Depth {
			return tooComplex("query is nested deeper than the limit of %d", l.Depth)
		}
		if r.cost > l.Complexity {
			return tooComplex("operation has complexity %s, which exceeds the limit of %d", costText(r.cost, w.cap), l.Complexity)
		}
	}
	return nil
}

func costText(cost, capped int) string {
	if cost >= capped {
		return "over " + strconv.Itoa(capped-1)
	}
	return strconv.Itoa(cost)
}

type walked struct{ depth, cost int }

// costWalk prices selection sets, memoising fragments; every sum saturates
// at cap, so a price that doubles forty times stays a small number.
type costWalk struct {
	frags  map[string]*ast.FragmentDefinition
	memo   map[string]walked
	active []string // fragments being walked, to refuse cycles
	vars   map[string]any
	cap    int
}

func (w *costWalk) set(set ast.SelectionSet) (walked, *gqlerror.Error) {
	var out walked
	for _, sel := range set {
		var r walked
		switch s := sel.(type) {
		case *ast.Field:
			child, err := w.set(s.SelectionSet)
			if err != nil {
				return out, err
			}
			r = walked{depth: child.depth + 1, cost: w.fieldCost(s, child.cost)}
		case *ast.InlineFragment:
			child, err := w.set(s.SelectionSet)
			if err != nil {
				return out, err
			}
			r = child
		case *ast.FragmentSpread:
			var err *gqlerror.Error
			if r, err = w.fragment(s.Name); err != nil {
				return out, err
			}
		}
		out.depth = max(out.depth, r.depth)
		out.cost = min(out.cost+r.cost, w.cap)
		if out.depth > w.cap {
			out.depth = w.cap
		}
	}
	return out, nil
}

func (w *costWalk) fragment(name string) (walked, *gqlerror.Error) {
	if r, ok := w.memo[name]; ok {
		return r, nil
	}
	def := w.frags[name]
	if def == nil {
		return walked{}, nil // validation reports the unknown fragment
	}
	for _, a := range w.active {
		if a == name {
			err := gqlerror.Errorf("fragment %s spreads itself", name)
			errcode.Set(err, errcode.ValidationFailed)
			return walked{}, err
		}
	}
	w.active = append(w.active, name)
	r, err := w.set(def.SelectionSet)
	w.active = w.active[:len(w.active)-1]
	if err != nil {
		return walked{}, err
	}
	w.memo[name] = r
	return r, nil
}

// fieldCost is one unit for the field, plus its children once per item it
// may return (lists are priced at the size they ask for), plus the work it
// starts in the database.
func (w *costWalk) fieldCost(f *ast.Field, child int) int {
	size := 1
	extra := 0
	switch f.Name {
	case "articles":
		size = w.intArg(f, "first", content.DefaultPageSize, content.MaxPageSize)
		if w.present(f, "search") {
			extra = searchCost
			if selects(f.SelectionSet, "totalCount", w.frags, 0) {
				extra += countSearchCost
			}
		}
	case "relatedStories", "relatedExplained", "related":
		size = w.intArg(f, "first", content.DefaultRelated, content.MaxRelated)
	case "totalCount":
		extra = countCost
	}
	return min(1+extra+size*child, w.cap)
}

// intArg is an integer argument's value clamped to 1..limit (a value
// outside is refused later by the resolver, with the clearer message).
func (w *costWalk) intArg(f *ast.Field, name string, def, limit int) int {
	n := def
	if v, ok := w.arg(f, name); ok {
		switch v := v.(type) {
		case int64:
			n = int(min(max(v, -1), int64(limit)))
		case float64:
			n = int(min(max(v, -1), float64(limit)))
		case json.Number:
			if i, err := v.Int64(); err == nil {
				n = int(min(max(i, -1), int64(limit)))
			}
		case int:
			n = v
		}
	}
	return min(max(n, 1), limit)
}

// present reports whether an argument has a non-null value.
func (w *costWalk) present(f *ast.Field, name string) bool {
	v, ok := w.arg(f, name)
	return ok && v != nil && v != ""
}

// arg is an argument's literal or variable value, without the schema.
func (w *costWalk) arg(f *ast.Field, name string) (any, bool) {
	a := f.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		return nil, false
	}
	switch a.Value.Kind {
	case ast.Variable:
		v, ok := w.vars[a.Value.Raw]
		return v, ok
	case ast.IntValue:
		i, err := strconv.ParseInt(a.Value.Raw, 10, 64)
		if err != nil {
			return nil, false
		}
		return i, true
	case ast.NullValue:
		return nil, true
	}
	return a.Value.Raw, true
}

// selects reports whether set selects field name directly, through inline
// fragments or through named ones (to a small depth: this only decides
// whether a count rides on a search).
func selects(set ast.SelectionSet, name string, frags map[string]*ast.FragmentDefinition, depth int) bool {
	if depth > 3 {
		return false
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == name {
				return true
			}
		case *ast.InlineFragment:
			if selects(s.SelectionSet, name, frags, depth+1) {
				return true
			}
		case *ast.FragmentSpread:
			if d := frags[s.Name]; d != nil && selects(d.SelectionSet, name, frags, depth+1) {
				return true
			}
		}
	}
	return false
}
