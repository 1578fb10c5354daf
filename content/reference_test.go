package content

import (
	"testing"
)

// agrees fails t when f and its reference definition ref disagree on s.
func agrees[T any](t *testing.T, name string, f, ref func(string) T, equal func(a, b T) bool, s string) {
	t.Helper()
	if got, want := f(s), ref(s); !equal(got, want) {
		t.Fatalf("%s(%q)\n got %#v\nwant %#v", name, s, got, want)
	}
}
