package content

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode"
)

// hasControl reports whether s holds a character that changes how a line
// reads rather than what it says: C0/C1 controls (CR, LF, tab…), line and
// paragraph separators, and the bidi embeddings, overrides and isolates
// that make text display in another order than it is stored. An operator's
// name goes into email headers and pages, where any of these is either an
// injection or a spoof.
func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
			(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
	}) >= 0
}

// NormaliseOrigin checks an origin and returns it as a browser sends it in
// an Origin header: scheme://host[:port], lower case, without a default
// port. Nothing else is accepted (a lone trailing slash aside): origins are
// written verbatim into the widget's Content-Security-Policy, so a path,
// query, fragment, userinfo, wildcard, ';' or space would change the policy.
// Hosts are ASCII; an internationalised name is given in its xn-- form, the
// one browsers send.
func NormaliseOrigin(s string) (string, error) {
	bad := Invalid("origins", "%q is not an origin like https://news.example.com (scheme://host[:port], nothing more)", s)
	scheme, rest, ok := strings.Cut(strings.TrimSpace(s), "://")
	scheme = strings.ToLower(scheme)
	if !ok || (scheme != "http" && scheme != "https") {
		return "", bad
	}
	rest = strings.ToLower(strings.TrimSuffix(rest, "/"))
	host, port, hasPort := rest, "", false
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", bad
		}
		ip, err := netip.ParseAddr(rest[1:end])
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", bad
		}
		host = rest[:end+1]
		if after := rest[end+1:]; after != "" {
			if port, hasPort = strings.CutPrefix(after, ":"); !hasPort {
				return "", bad
			}
		}
	} else {
		if i := strings.LastIndexByte(rest, ':'); i >= 0 {
			host, port, hasPort = rest[:i], rest[i+1:], true
		}
		if !validHostname(host) {
			return "", bad
		}
	}
	if hasPort {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] < '1' || port[0] > '9' {
			return "", bad
		}
		switch {
		case scheme == "http" && n == 80, scheme == "https" && n == 443:
			port = "" // browsers leave the default port out of Origin
		default:
			port = ":" + port
		}
	}
	return scheme + "://" + host + port, nil
}

// validHostname reports whether h is an ASCII host name (letters, digits
// and inner hyphens in dot-separated labels) or a dotted IPv4 address.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.Is4()
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	// An all-digit last label is a mistyped address, not a name.
	last := h[strings.LastIndexByte(h, '.')+1:]
	return strings.Trim(last, "0123456789") != ""
}
