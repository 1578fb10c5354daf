// Package graph is Byline's GraphQL adapter: the gqlgen executor generated
// from schema.graphqls, thin resolvers over content.Service, per-request
// dataloaders, the error presenter and the query limits.
package graph

import (
	"log/slog"

	"github.com/bylinehq/byline/content"
)

//go:generate go tool gqlgen generate

// Resolver is the root of the resolvers: it only holds the domain service.
type Resolver struct {
	Content *content.Service
	Log     *slog.Logger
}
