package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/bylinehq/byline/content"
)

// The error codes of the contract, in extensions.code.
const (
	CodeBadUserInput           = "BAD_USER_INPUT"
	CodeUnauthenticated        = "UNAUTHENTICATED"
	CodeNotFound               = "NOT_FOUND"
	CodeRateLimited            = "RATE_LIMITED"
	CodeQueryTooComplex        = "QUERY_TOO_COMPLEX"
	CodeInternal               = "INTERNAL"
	complexityLimitGQLGen      = "COMPLEXITY_LIMIT_EXCEEDED"
	codePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
)

// errPanic stands for a recovered panic; its details are only logged.
var errPanic = errors.New("internal error")

// tooComplex is a limit error raised before execution.
func tooComplex(format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": CodeQueryTooComplex}}
}

// presenter translates every error to the contract's codes, once, here at
// the edge. Anything unexpected becomes INTERNAL with a generic message;
// its details go to the log, never to the client.
func presenter(log *slog.Logger, m *metrics) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		code, msg := classify(err, gqlErr)
		if code == CodeInternal {
			log.ErrorContext(ctx, "graphql: internal error", "err", err, "path", gqlErr.Path.String())
			msg = "internal error"
		}
		out := &gqlerror.Error{Message: msg, Path: gqlErr.Path, Locations: gqlErr.Locations, Rule: gqlErr.Rule}
		out.Extensions = map[string]any{"code": code}
		m.errors.WithLabelValues(code).Inc()
		return out
	}
}

func classify(err error, gqlErr *gqlerror.Error) (code, msg string) {
	var (
		invalid  *content.InvalidError
		notFound *content.NotFoundError
	)
	switch {
	case errors.As(err, &invalid):
		return CodeBadUserInput, invalid.Error()
	case errors.Is(err, content.ErrUnauthenticated):
		return CodeUnauthenticated, err.Error()
	case errors.Is(err, content.ErrRateLimited):
		return CodeRateLimited, content.ErrRateLimited.Error()
	case errors.As(err, &notFound):
		return CodeNotFound, notFound.Error()
	case errors.Is(err, errPanic):
		return CodeInternal, ""
	case errors.Is(err, context.DeadlineExceeded):
		// The request's own deadline: the work it asked for costs more
		// than the gateway gives one request.
		return CodeQueryTooComplex, "the request ran past its deadline"
	}
	switch c, _ := gqlErr.Extensions["code"].(string); c {
	case errcode.ParseFailed, errcode.ValidationFailed:
		return CodeBadUserInput, gqlErr.Message
	case complexityLimitGQLGen, CodeQueryTooComplex:
		return CodeQueryTooComplex, gqlErr.Message
	case CodeBadUserInput, CodeUnauthenticated, CodeNotFound, CodeRateLimited, codePersistedQueryNotFound:
		// The APQ protocol's code stays: clients resend the query on it.
		return c, gqlErr.Message
	}
	// gqlgen's own messages to clients (a malformed APQ extension, a hash
	// that does not match) are gqlerrors that wrap no Go error; what a
	// resolver or the runtime failed on does wrap one, or is a plain error.
	var direct *gqlerror.Error
	if errors.As(err, &direct) && direct.Err == nil && direct == err {
		return CodeBadUserInput, direct.Message
	}
	return CodeInternal, ""
}

// recoverer logs a resolver's panic with its stack and answers INTERNAL.
func recoverer(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "graphql: panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return errPanic
	}
}
