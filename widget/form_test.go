package main

import "testing"

func TestMinFillOf(t *testing.T) {
	for _, c := range []struct {
		token string
		want  int
	}{
		{"v1.1764686400000.XvWlZmYkBUA4pKLW~2000.XRBL-BbZb8Kmki9UD4f1sbJZ", 2000},
		{"v1.1764686400000.XvWlZmYkBUA4pKLW~300.mac", 300},
		{"v1.1764686400000.a-_b~3600000.mac", 3600000},
		{"v1.1764686400000.nonce~0.mac", 0},
		{"v1.1764686400000.XvWlZmYkBUA4pKLW.mac", defaultMinFill}, // a token from before the hint
		{"v1.1764686400000.nonce~.mac", defaultMinFill},           // no digits
		{"v1.1764686400000.nonce~12x.mac", defaultMinFill},        // not a number
		{"v1.1764686400000.nonce~99999999.mac", defaultMinFill},   // over 7 digits
		{"v1.1764686400000.nonce~2000", defaultMinFill},           // no mac: not a token
		{"v1.1764686400000~5.nonce.mac", defaultMinFill},          // the hint is in the nonce only
		{"", defaultMinFill},
	} {
		if got := minFillOf(c.token); got != c.want {
			t.Errorf("minFillOf(%q) = %d, want %d", c.token, got, c.want)
		}
	}
}

func TestHoldFor(t *testing.T) {
	const tok = "v1.1.nonce~2000.mac"
	for _, c := range []struct {
		got, now, want float64
	}{
		{1000, 1000, 2000 + holdSlack}, // sent the moment it came
		{1000, 2500, 500 + holdSlack},  // autofill after a second and a half
		{1000, 3200, 0},                // a person typing
		{1000, 60000, 0},
	} {
		if h := holdFor(tok, c.got, c.now); h != c.want {
			t.Errorf("holdFor(got %v, now %v) = %v, want %v", c.got, c.now, h, c.want)
		}
	}
}
