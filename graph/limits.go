package graph

import (
	"context"

	"github.com/bylinehq/byline/content"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// depthLimit refuses operations nested deeper than Max fields, before any
// resolver runs: related { related { related … } } fifty deep is an attack,
// not a page.
type depthLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, 0, d.Max); depth > d.Max {
		return tooComplex("query is nested deeper than the limit of %d", d.Max)
	}
	return nil
}

// selectionDepth is the deepest field nesting under set, stopping early once
// past max (validation has already refused fragment cycles).
func selectionDepth(set ast.SelectionSet, depth, limit int) int {
	if depth > limit {
		return depth
	}
	deepest := depth
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			d = selectionDepth(s.SelectionSet, depth+1, limit)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, depth, limit)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = selectionDepth(s.Definition.SelectionSet, depth, limit)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// complexity prices list fields by the size they ask for, so
// articles(first: 100) { related(first: 20) { … } } costs what it costs.
// A size outside the allowed range is priced at the range's edge: the
// resolver then refuses it with BAD_USER_INPUT, the clearer answer.
func complexity(c *ComplexityRoot) {
	c.Query.Articles = func(child int, first *int, _, _, _, _ *string) int {
		return 1 + listSize(first, content.DefaultPageSize, content.MaxPageSize)*child
	}
	c.Query.RelatedStories = func(child int, _ string, first *int) int {
		return 1 + listSize(first, content.DefaultRelated, content.MaxRelated)*child
	}
	c.Query.RelatedExplained = func(child int, _ string, first *int) int {
		return 1 + listSize(first, content.DefaultRelated, content.MaxRelated)*child
	}
	c.Article.Related = func(child int, first *int) int {
		return 1 + listSize(first, content.DefaultRelated, content.MaxRelated)*child
	}
}

func listSize(first *int, def, limit int) int {
	return min(max(intOr(first, def), 1), limit)
}
