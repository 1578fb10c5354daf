package graph

import (
	"context"

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
func selectionDepth(set ast.SelectionSet, depth, max int) int {
	if depth > max {
		return depth
	}
	deepest := depth
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			d = selectionDepth(s.SelectionSet, depth+1, max)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, depth, max)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = selectionDepth(s.Definition.SelectionSet, depth, max)
			}
		}
		deepest = max2(deepest, d)
	}
	return deepest
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// complexity prices list fields by the size they ask for, so
// articles(first: 100) { related(first: 20) { … } } costs what it costs.
func complexity(c *ComplexityRoot) {
	c.Query.Articles = func(child int, first *int, _, _, _, _ *string) int {
		return 1 + intOr(first, 10)*child
	}
	c.Query.RelatedStories = func(child int, _ string, first *int) int {
		return 1 + intOr(first, 5)*child
	}
	c.Article.Related = func(child int, first *int) int {
		return 1 + intOr(first, 5)*child
	}
}
