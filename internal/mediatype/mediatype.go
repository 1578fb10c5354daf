// Package mediatype negotiates the media type of a GraphQL-over-HTTP
// response from a request's Accept header. The GraphQL handler and the
// response cache must agree on it, so it lives in one place.
package mediatype

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// The media types of GraphQL over HTTP's responses.
const (
	MediaJSON            = "application/json"
	MediaGraphQLResponse = "application/graphql-response+json"
)

// Response is the media type a request accepts.
type Response int

const (
	JSON            Response = iota // application/json, */*, application/*, or nothing we serve
	GraphQLResponse                 // application/graphql-response+json
	Unstated                        // no Accept header
)

// MediaType is the Content-Type to answer with.
func (t Response) MediaType() string {
	if t == GraphQLResponse {
		return MediaGraphQLResponse
	}
	return MediaJSON
}

// Negotiate picks the response's media type from Accept: the supported
// type of highest quality, the first listed on a tie. A header naming
// neither gets application/json, the spec's default.
func Negotiate(h http.Header) Response {
	values := h.Values("Accept")
	if len(values) == 0 {
		return Unstated
	}
	best, bestQ := JSON, 0.0
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			var t Response
			switch mt {
			case MediaGraphQLResponse:
				t = GraphQLResponse
			case MediaJSON, "application/*", "*/*":
				t = JSON
			default:
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(s, 64); err != nil {
					continue
				}
			}
			if q > bestQ {
				best, bestQ = t, q
			}
		}
	}
	return best
}
