package main

import "strings"

// maxEmail is RFC 5321's limit on a forward path.
const maxEmail = 254

// normaliseEmail trims and lower-cases the domain of an address, and says
// why it is not plausible when it is not. The server checks again: this is
// for a quick, friendly answer in the browser. (No regexp, no fmt: both cost
// size in the WebAssembly build.)
func normaliseEmail(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "Please enter your email address."
	}
	if len(s) > maxEmail {
		return "", "That email address is too long."
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 {
		return "", "Please enter an email address like name@example.com."
	}
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if len(local) > 64 || strings.ContainsAny(s, " \t\r\n<>()[],;:\\\"") {
		return "", "Please enter an email address like name@example.com."
	}
	dot := strings.LastIndexByte(domain, '.')
	if dot < 1 || dot == len(domain)-1 || strings.Contains(domain, "..") {
		return "", "Please enter an email address like name@example.com."
	}
	return local + "@" + domain, ""
}
