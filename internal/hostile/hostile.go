// Package hostile holds requests an anonymous attacker can send to the
// gateway: each a few KB to a few hundred KB, each of which once pinned the
// CPU, blew up memory or answered INTERNAL with a stack in the log. The
// hostile-input tests and the load test in bench/hostile send the same set.
package hostile

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Request is one hostile POST /graphql body and the answer it must get
// from a client that sends no Accept header.
type Request struct {
	Name   string
	Body   []byte
	Status int
	Code   string // extensions.code of the first error
}

// Requests are the hostile requests against an article slug of the corpus.
func Requests(slug string) []Request {
	var frags strings.Builder
	for i := range 40 {
		fmt.Fprintf(&frags, "fragment F%d on Article { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	frags.WriteString("fragment F40 on Article { slug }\n")
	bomb := `{ article(slug: "` + slug + `") { ...F0 } }` + "\n" + frags.String()
	batch := "[" + strings.TrimSuffix(strings.Repeat(`{"query":"{ sections { slug } }"},`, 100), ",") + "]"
	return []Request{
		{"fragments spreading the next twice", Query(bomb), 200, "QUERY_TOO_COMPLEX"},
		{"a fragment that spreads itself", Query(`{ article(slug: "x") { ...A } } fragment A on Article { ...B } fragment B on Article { ...A }`), 422, "BAD_USER_INPUT"},
		{"one field 20,000 times", Query("{ " + strings.Repeat("sections { slug } ", 20000) + "}"), 200, "QUERY_TOO_COMPLEX"},
		{"1,000 aliased searches with counts", Query(aliases(1000)), 200, "QUERY_TOO_COMPLEX"},
		{"40 aliased searches with counts", Query(aliases(40)), 200, "QUERY_TOO_COMPLEX"},
		{"50-deep nesting", Query(`{ article(slug: "` + slug + `") { ` + strings.Repeat("related{", 50) + "slug" + strings.Repeat("}", 50) + ` } }`), 200, "QUERY_TOO_COMPLEX"},
		{"a body that is an empty list", []byte(`[]`), 400, "BAD_USER_INPUT"},
		{"a body that is a number", []byte(`1`), 400, "BAD_USER_INPUT"},
		{"a body that is a string", []byte(`"x"`), 400, "BAD_USER_INPUT"},
		{"null", []byte(`null`), 400, "BAD_USER_INPUT"},
		{"an empty object", []byte(`{}`), 400, "BAD_USER_INPUT"},
		{"a query that is a number", []byte(`{"query":1}`), 400, "BAD_USER_INPUT"},
		{"variables that are a string", []byte(`{"query":"{ sections { slug } }","variables":"x"}`), 400, "BAD_USER_INPUT"},
		{"a batch of 100", []byte(batch), 400, "BAD_USER_INPUT"},
	}
}

func aliases(n int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, `a%d: articles(first: 1, search: "a") { totalCount } `, i)
	}
	b.WriteString("}")
	return b.String()
}

// Query is a JSON body holding one GraphQL document.
func Query(q string) []byte {
	b, _ := json.Marshal(map[string]string{"query": q})
	return b
}

// Padded is a valid document of about size bytes, made distinct by n: the
// padding is a comment, which costs no token, so only a byte bound keeps a
// flood of them from filling a parsed-document cache.
func Padded(n, size int) []byte {
	q := fmt.Sprintf("# %d %s\n{ sections { slug } }", n, strings.Repeat("x", max(size-40, 0)))
	return Query(q)
}
