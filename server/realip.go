package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParsePrefixes reads a comma-separated list of CIDRs or addresses.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, err
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// realIP sets RemoteAddr to the client's address when the connection comes
// from a trusted proxy (a load balancer): the right-most address in
// X-Forwarded-For that is not itself a trusted proxy. Rate limits and
// consent receipts then see readers, not the balancer. From anyone else the
// header is ignored: a client cannot choose its own address.
func realIP(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err == nil && isTrusted(host) {
			hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
			for i := len(hops) - 1; i >= 0; i-- {
				h := strings.TrimSpace(hops[i])
				if h == "" {
					continue
				}
				if _, err := netip.ParseAddr(h); err != nil {
					break // garbage: keep the proxy's address
				}
				if !isTrusted(h) {
					r2 := r.Clone(r.Context())
					r2.RemoteAddr = net.JoinHostPort(h, "0")
					r = r2
					break
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
