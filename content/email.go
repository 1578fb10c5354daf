package content

import (
	"errors"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkEmailParts refuses what NormaliseEmail's syntax check lets through
// but no reader's address needs: a domain that is an IP literal
// ("x@[127.0.0.1]", "x@127.0.0.1") points the confirmation email at a
// machine of the sender's choosing, and a label mixing scripts
// ("pаypal.com" with a Cyrillic а) is a homoglyph of another address. An
// address wholly in one script, "иван@пример.рф", is fine.
func checkEmailParts(local, domain string) error {
	if strings.HasPrefix(domain, "[") {
		return Invalid("email", "must be at a domain name, not an IP address")
	}
	labels := strings.Split(domain, ".")
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return Invalid("email", "must be at a domain name, not an IP address")
	}
	for _, label := range labels {
		name := label
		if ace, ok := strings.CutPrefix(label, "xn--"); ok {
			// The ASCII form hides the scripts: "xn--pple-43d" is "аpple".
			u, err := punyDecode(ace)
			if err != nil {
				return Invalid("email", "the domain's label %q is not valid punycode", label)
			}
			name = u
		}
		if !validDomainLabel(label, name) {
			return Invalid("email", "the domain's label %q is not a host name", label)
		}
		if mixedScripts(name) {
			return Invalid("email", "the domain's label %q mixes alphabets (such as Latin and Cyrillic)", label)
		}
	}
	for _, part := range strings.Split(local, ".") {
		if mixedScripts(part) {
			return Invalid("email", "the part before @ mixes alphabets (such as Latin and Cyrillic)")
		}
	}
	return nil
}

// validDomainLabel checks one label of a domain: at most 63 bytes as sent
// (ace), letters, digits, marks and inner hyphens once decoded (name).
func validDomainLabel(ace, name string) bool {
	if ace == "" || len(ace) > 63 || name == "" || strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") {
		return false
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '-') {
			return false
		}
	}
	return true
}

// scriptOrder lists the scripts an address is likely to be written in, so
// that most letters are placed without a walk over every Unicode script.
var scriptOrder = []string{"Latin", "Cyrillic", "Greek", "Han", "Hiragana", "Katakana", "Hangul", "Arabic", "Hebrew", "Mongolian"}

// scriptOf names the script of letter r ("" for Common and Inherited).
func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return "Latin"
		}
		return ""
	}
	for _, name := range scriptOrder {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	for name, table := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

// cjkMixes are the mixes of scripts that are one writing system (UTS #39's
// "highly restrictive" level): Japanese, Chinese with Bopomofo, Korean, each
// with Latin.
var cjkMixes = []map[string]bool{
	{"Latin": true, "Han": true, "Hiragana": true, "Katakana": true},
	{"Latin": true, "Han": true, "Bopomofo": true},
	{"Latin": true, "Han": true, "Hangul": true},
}

// mixedScripts reports whether label's letters come from more than one
// script, other than the mixes one language writes in.
func mixedScripts(label string) bool {
	seen := map[string]bool{}
	for _, r := range label {
		if unicode.IsLetter(r) {
			if s := scriptOf(r); s != "" {
				seen[s] = true
			}
		}
	}
	if len(seen) < 2 {
		return false
	}
next:
	for _, mix := range cjkMixes {
		for s := range seen {
			if !mix[s] {
				continue next
			}
		}
		return false
	}
	return true
}

var errPunycode = errors.New("bad punycode")

// punyDecode decodes the part of an IDNA label after "xn--" (RFC 3492).
func punyDecode(s string) (string, error) {
	const (
		base, tmin, tmax, skew, damp = 36, 1, 26, 38, 700
	)
	var out []rune
	pos := 0
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		for _, r := range s[:i] {
			if r >= utf8.RuneSelf {
				return "", errPunycode
			}
			out = append(out, r)
		}
		pos = i + 1
	}
	n, i, bias := 128, 0, 72
	for pos < len(s) {
		oldi, w := i, 1
		for k := base; ; k += base {
			if pos == len(s) {
				return "", errPunycode
			}
			c := s[pos]
			pos++
			var digit int
			switch {
			case 'a' <= c && c <= 'z':
				digit = int(c - 'a')
			case 'A' <= c && c <= 'Z':
				digit = int(c - 'A')
			case '0' <= c && c <= '9':
				digit = int(c-'0') + 26
			default:
				return "", errPunycode
			}
			if digit > (math.MaxInt32-i)/w {
				return "", errPunycode
			}
			i += digit * w
			t := min(max(k-bias, tmin), tmax)
			if digit < t {
				break
			}
			if w > math.MaxInt32/(base-t) {
				return "", errPunycode
			}
			w *= base - t
		}
		points := len(out) + 1
		// adapt, RFC 3492 section 6.1
		delta := i - oldi
		if oldi == 0 {
			delta /= damp
		} else {
			delta /= 2
		}
		delta += delta / points
		k := 0
		for delta > ((base-tmin)*tmax)/2 {
			delta /= base - tmin
			k += base
		}
		bias = k + (base-tmin+1)*delta/(delta+skew)
		n += i / points
		i %= points
		if n > utf8.MaxRune || (n >= 0xd800 && n <= 0xdfff) {
			return "", errPunycode
		}
		out = append(out, 0)
		copy(out[i+1:], out[i:])
		out[i] = rune(n)
		i++
	}
	return string(out), nil
}
