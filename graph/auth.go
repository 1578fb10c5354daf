package graph

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/bylinehq/byline/content"
)

type (
	bearerKey struct{}
	metaKey   struct{}
)

// requestMeta is what a sign-up needs to know of the HTTP request.
func requestMeta(ctx context.Context) content.RequestMeta {
	m, _ := ctx.Value(metaKey{}).(content.RequestMeta)
	return m
}

// metaFrom reads the Origin header and the client's address. The address
// is the connection's: put a proxy in front and it is the proxy's, which
// still rate-limits per proxy but not per reader (see README).
func metaFrom(r *http.Request) content.RequestMeta {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return content.RequestMeta{Origin: r.Header.Get("Origin"), IP: host}
}

// bearer is the request's bearer token, "" when none.
func bearer(ctx context.Context) string {
	s, _ := ctx.Value(bearerKey{}).(string)
	return s
}

func bearerFrom(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
