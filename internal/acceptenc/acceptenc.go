// Package acceptenc reads Accept-Encoding (RFC 9110 §12.5.3) for the
// handlers that serve precompressed bytes: the response cache and the
// widget's assets. It does not allocate: it runs on every cache hit.
package acceptenc

import "strings"

// Accepts reports whether header accepts coding ("gzip", "br"): listed, or
// covered by "*", with a weight above zero. x-gzip counts as gzip.
func Accepts(header, coding string) bool {
	wildcard := false
	for header != "" {
		var item string
		item, header, _ = strings.Cut(header, ",")
		name, params, _ := strings.Cut(item, ";")
		name = strings.TrimSpace(name)
		switch {
		case strings.EqualFold(name, coding), coding == "gzip" && strings.EqualFold(name, "x-gzip"):
			return !qZero(params) // named outright: its own weight decides
		case name == "*":
			wildcard = !qZero(params)
		}
	}
	return wildcard
}

// qZero reports whether parameters such as " q=0.000" give a weight of zero.
func qZero(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		v = strings.TrimSpace(v)
		if v == "" || v[0] != '0' {
			return false
		}
		return strings.Trim(v[1:], ".0") == ""
	}
	return false
}
