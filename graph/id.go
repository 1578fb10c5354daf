package graph

import (
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalInt64ID writes a numeric id as GraphQL's ID: a JSON string.
// Clients (Relay, graphql-codegen) type ID as string and must not do
// arithmetic on it; a number here would break their normalised caches.
func MarshalInt64ID(id int64) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [24]byte
		b := append(buf[:0], '"')
		b = strconv.AppendInt(b, id, 10)
		_, _ = w.Write(append(b, '"'))
	})
}

// UnmarshalInt64ID reads an ID argument given as a string or an integer,
// as the GraphQL spec allows for ID input.
func UnmarshalInt64ID(v any) (int64, error) {
	switch v := v.(type) {
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an id", v)
		}
		return n, nil
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	}
	n, err := graphql.UnmarshalInt64(v)
	if err != nil {
		return 0, fmt.Errorf("%v is not an id", v)
	}
	return n, nil
}
