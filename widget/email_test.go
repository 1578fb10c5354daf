package main

import (
	"strings"
	"testing"
)

func TestNormaliseEmail(t *testing.T) {
	cases := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "reader@example.com", "reader@example.com", true},
		{"trim and lower-case", "  Reader@Example.COM ", "reader@example.com", true},
		{"two ats", "a@b@example.com", "", false},
		{"double dot", "a@example..com", "", false},
		{"empty", "", "", false},
		{"no at", "reader.example.com", "", false},
		{"no domain dot", "reader@localhost", "", false},
		{"space", "rea der@example.com", "", false},
		{"trailing dot", "reader@example.", "", false},
		{"100 KB", strings.Repeat("a", 100<<10) + "@example.com", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, msg := normaliseEmail(c.in)
			if (msg == "") != c.ok || got != c.want {
				t.Fatalf("normaliseEmail(%.40q) = %q, %q", c.in, got, msg)
			}
		})
	}
}
