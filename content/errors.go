package content

import (
	"errors"
	"fmt"
)

// NotFoundError says that a named thing does not exist.
type NotFoundError struct {
	Kind string
	Key  string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q not found", e.Kind, e.Key) }

// InvalidError is a client's mistake: the message is safe to show.
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Invalid builds an InvalidError.
func Invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrUnauthenticated means a write came without a valid editor key.
var ErrUnauthenticated = errors.New("a valid editor key is required (Authorization: Bearer <key>)")

// IsNotFound reports whether err says something does not exist.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}
