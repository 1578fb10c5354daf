package cache

import "testing"

func TestNormalKey(t *testing.T) {
	key := func(method, req string) (string, bool) { return normalKeyOf("v1", method, []byte(req)) }
	base, ok := key("POST", `{"query":"query A($s:String!){article(slug:$s){title}}","variables":{"s":"x","n":1}}`)
	if !ok {
		t.Fatal("a plain query is cacheable")
	}
	same := map[string]string{
		"whitespace and comments": `{"query":"query A($s: String!) {\n  # the title\n  article(slug: $s) { title }\n}","variables":{"s":"x","n":1}}`,
		"variable order":          `{"variables":{"n":1,"s":"x"},"query":"query A($s:String!){article(slug:$s){title}}"}`,
	}
	for name, req := range same {
		if k, ok := key("POST", req); !ok || k != base {
			t.Errorf("%s: a different key for the same request", name)
		}
	}
	differ := map[string]string{
		"other variables": `{"query":"query A($s:String!){article(slug:$s){title}}","variables":{"s":"y","n":1}}`,
		"other fields":    `{"query":"query A($s:String!){article(slug:$s){title url}}","variables":{"s":"x","n":1}}`,
	}
	for name, req := range differ {
		if k, ok := key("POST", req); !ok || k == base {
			t.Errorf("%s: the same key for a different request", name)
		}
	}
	if k, _ := normalKeyOf("v2", "POST", []byte(`{"query":"query A($s:String!){article(slug:$s){title}}","variables":{"s":"x","n":1}}`)); k == base {
		t.Error("a new schema version reads old keys")
	}
	never := map[string]string{
		"mutation":            `{"query":"mutation { deleteArticle(slug: \"x\") }"}`,
		"two ops, none named": `{"query":"query A { sections { slug } } query B { sections { name } }"}`,
		"syntax error":        `{"query":"{ article(slug: ) }"}`,
		"not JSON":            `{"query":`,
		"nothing":             `{}`,
	}
	for name, req := range never {
		if _, ok := key("POST", req); ok {
			t.Errorf("%s: must not be cached", name)
		}
	}
	if _, ok := key("GET", `extensions=%7B%22persistedQuery%22%3A%7B%22version%22%3A1%2C%22sha256Hash%22%3A%22abc%22%7D%7D`); !ok {
		t.Error("a persisted query by hash over GET is cacheable")
	}
}

func TestParsePolicy(t *testing.T) {
	cases := map[string]struct {
		ok          bool
		maxAge, swr int
	}{
		"public, max-age=60, s-maxage=60, stale-while-revalidate=30": {true, 60, 30},
		"public, max-age=300": {true, 300, 0},
		"private, max-age=60": {false, 0, 0},
		"no-store":            {false, 0, 0},
		"public":              {false, 0, 0},
		"":                    {false, 0, 0},
	}
	for cc, want := range cases {
		p, ok := parsePolicy(cc)
		if ok != want.ok || (ok && (p.maxAge != want.maxAge || p.swr != want.swr)) {
			t.Errorf("parsePolicy(%q) = %+v %v", cc, p, ok)
		}
	}
}
