package main

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// TestIDsAreStrings checks every ID field the schema can answer with: GraphQL
// serialises ID as a string, and Relay and graphql-codegen type it so. The
// schema is read by introspection, so a new ID field without a case here
// fails the test instead of slipping through as a number.
func TestIDsAreStrings(t *testing.T) {
	a := newApp(t)
	cases := map[string]string{
		"Article.id":           `{ article(slug: "` + seedSlug + `") { id related(first: 3) { id } } articles(first: 3) { edges { node { id } } } }`,
		"WidgetConfig.partner": `{ widget(partner: "demo") { partner } }`,
	}
	for _, f := range outputIDFields(t, a) {
		if _, ok := cases[f]; !ok {
			t.Errorf("%s is an ID with no case here: add one", f)
		}
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			r := a.query(q, nil)
			if len(r.Errors) > 0 {
				t.Fatal(r.Errors)
			}
			field := name[strings.IndexByte(name, '.')+1:]
			var n int
			walkJSON(t, r.Raw, func(key string, v any) {
				if key != field {
					return
				}
				n++
				if s, ok := v.(string); !ok || s == "" {
					t.Errorf("%s = %#v, want a non-empty JSON string", name, v)
				}
			})
			if n == 0 {
				t.Fatalf("no %s in %s", name, r.Raw)
			}
		})
	}
}

// outputIDFields lists Type.field for every object field whose type is ID
// (through any non-null and list wrappers).
func outputIDFields(t *testing.T, a *testApp) []string {
	t.Helper()
	r := a.query(`{ __schema { types { name kind fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }`, nil)
	type typeRef struct {
		Name   string   `json:"name"`
		OfType *typeRef `json:"ofType"`
	}
	var s struct {
		Schema struct {
			Types []struct {
				Name, Kind string
				Fields     []struct {
					Name string
					Type typeRef
				}
			}
		} `json:"__schema"`
	}
	if err := json.Unmarshal(r.Data["__schema"], &s.Schema); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ty := range s.Schema.Types {
		if ty.Kind != "OBJECT" || strings.HasPrefix(ty.Name, "__") {
			continue
		}
		for _, f := range ty.Fields {
			ref := &f.Type
			for ref.OfType != nil {
				ref = ref.OfType
			}
			if ref.Name == "ID" {
				out = append(out, ty.Name+"."+f.Name)
			}
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatal("introspection found no ID field")
	}
	return out
}

// walkJSON calls fn for every object member in raw, at any depth.
func walkJSON(t *testing.T, raw []byte, fn func(key string, v any)) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				fn(k, x)
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
}

// TestCachedAnswerKeepsTheMediaTypeAsked: a cache hit answers with the
// media type the request negotiated, not the one its first reader asked.
func TestCachedAnswerKeepsTheMediaTypeAsked(t *testing.T) {
	a := newApp(t)
	body := gql(`{ sections { slug } }`)
	for i, c := range []struct{ accept, want string }{
		{"application/json", "application/json"},
		{"application/graphql-response+json", "application/graphql-response+json"},
		{"application/graphql-response+json, application/json;q=0.9", "application/graphql-response+json"},
		{"application/json, application/graphql-response+json;q=0.5", "application/json"},
		{"", "application/json"},
	} {
		_, h := a.do(http.MethodPost, "/graphql", body, "Content-Type", "application/json", "Accept", c.accept)
		if got := h.Get("Content-Type"); !strings.HasPrefix(got, c.want) {
			t.Errorf("request %d (Accept %q, X-Cache %s): Content-Type %q, want %q", i, c.accept, h.Get("X-Cache"), got, c.want)
		}
	}
}
