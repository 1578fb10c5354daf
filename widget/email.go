package main

// maxEmail is RFC 5321's limit on a forward path.
const maxEmail = 254

// normaliseEmail trims an address and lower-cases its ASCII letters, and
// says why it is not plausible when it is not. The server checks again:
// this is for a quick, friendly answer in the browser. It uses no package
// at all: strings alone would add its Unicode tables to the module.
func normaliseEmail(s string) (string, string) {
	s = trim(s)
	const invalid = "Please enter an email address like name@example.com."
	switch {
	case s == "":
		return "", "Please enter your email address."
	case len(s) > maxEmail:
		return "", "That email address is too long."
	}
	at := -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '@':
			if at >= 0 {
				return "", invalid // two @
			}
			at = i
		case c <= ' ' || c == '<' || c == '>' || c == '(' || c == ')' || c == '[' || c == ']' ||
			c == ',' || c == ';' || c == ':' || c == '\\' || c == '"' || c == 0x7f:
			return "", invalid
		}
	}
	if at < 1 || at > 64 || at == len(s)-1 {
		return "", invalid
	}
	domain := s[at+1:]
	dot := -1
	for i := 0; i < len(domain); i++ {
		if domain[i] == '@' || (domain[i] == '.' && i > 0 && domain[i-1] == '.') {
			return "", invalid
		}
		if domain[i] == '.' {
			dot = i
		}
	}
	if dot < 1 || dot == len(domain)-1 {
		return "", invalid
	}
	return lower(s), ""
}

func trim(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
