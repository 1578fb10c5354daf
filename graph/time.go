package graph

import (
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/bylinehq/byline/content"
)

// MarshalTime writes a Time as RFC 3339, as gqlgen does.
func MarshalTime(t time.Time) graphql.Marshaler { return graphql.MarshalTime(t) }

// UnmarshalTime reads an RFC 3339 Time argument. A value that is not one
// is the client's mistake: BAD_USER_INPUT, not an internal error.
func UnmarshalTime(v any) (time.Time, error) {
	t, err := graphql.UnmarshalTime(v)
	if err != nil {
		return time.Time{}, content.Invalid("time", "must be an RFC 3339 date-time such as 2024-05-01T09:00:00Z")
	}
	return t, nil
}
