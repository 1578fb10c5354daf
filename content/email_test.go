package content

import "testing"

func TestNormaliseEmailHostile(t *testing.T) {
	cases := []struct {
		name, in, want string // want "" = refused
	}{
		{"plain", "reader@example.com", "reader@example.com"},
		{"lower-cased", "Reader@Example.COM", "reader@example.com"},
		{"plus and dots", "first.last+news@mail.example.co.uk", "first.last+news@mail.example.co.uk"},
		{"digits in the domain", "reader@mail2.example.com", "reader@mail2.example.com"},
		{"wholly Cyrillic IDN", "иван@пример.рф", "иван@пример.рф"},
		{"Cyrillic IDN in its ASCII form", "ivan@xn--e1afmkfd.xn--p1ai", "ivan@xn--e1afmkfd.xn--p1ai"},
		{"Latin with accents", "jürgen@bücher.de", "jürgen@bücher.de"},
		{"Cyrillic name, Latin domain", "иван@example.com", "иван@example.com"},
		{"Japanese", "たなか@例え.jp", "たなか@例え.jp"},
		{"starts with a minus", "-2+3@example.com", "-2+3@example.com"},

		{"IPv4 literal", "x@[127.0.0.1]", ""},
		{"IPv6 literal", "x@[IPv6:::1]", ""},
		{"bare IPv4", "x@127.0.0.1", ""},
		{"bare IPv4 to a private range", "x@10.0.0.1", ""},
		{"Cyrillic а in a Latin domain", "reader@pаypal.com", ""},
		{"Greek ο in a Latin domain", "reader@gοοgle.com", ""},
		{"mixed label in punycode", "reader@xn--pple-43d.com", ""},
		{"bad punycode", "reader@xn--!!.com", ""},
		{"Cyrillic а in a Latin local part", "pаypal@example.com", ""},
		{"Latin i in a Cyrillic local part", "iван@example.com", ""},
		{"leading hyphen in a label", "reader@-example.com", ""},
		{"underscore in a label", "reader@ex_ample.com", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormaliseEmail(c.in)
			if c.want == "" {
				wantInvalid(t, err, "email")
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("NormaliseEmail(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
		})
	}
}

func TestPunyDecode(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"cyrillic", "e1afmkfd", "пример"},
		{"rf", "p1ai", "рф"},
		{"german", "mnchen-3ya", "münchen"},
		{"mixed", "pple-43d", "аpple"},
		{"japanese", "r8jz45g", "例え"},
		{"basic only", "ivan-", "ivan"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, err := punyDecode(c.in); err != nil || got != c.want {
				t.Fatalf("punyDecode(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
		})
	}
	for _, bad := range []string{"!!", "é-abc", "99999999999999", "zzzzzzzzzzzz"} {
		if got, err := punyDecode(bad); err == nil {
			t.Errorf("punyDecode(%q) = %q, want an error", bad, got)
		}
	}
}
