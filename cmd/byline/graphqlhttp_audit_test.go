package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bylinehq/byline/internal/testenv"
)

// auditDir holds the graphql-http audit runner: a pinned package.json and
// package-lock.json, and audit.mjs.
var auditDir = filepath.Join("..", "..", "test", "graphql-http")

// auditResult is one row of audit.mjs's output.
type auditResult struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Status     string `json:"status"` // ok, or notice (MAY), warn (SHOULD), error (MUST)
	Reason     string `json:"reason"`
	HTTPStatus int    `json:"httpStatus"`
	Body       string `json:"body"`
}

// TestGraphQLHTTPAudit runs the graphql-http conformance audit (the GraphQL
// over HTTP spec's own test suite) against the whole gateway, cache and
// edge included, and fails on any audit that is not ok. It needs node; the
// audit's npm packages are installed from the lock file on first use.
func TestGraphQLHTTPAudit(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.Missing(t, "node", err)
	}
	installAudit(t)
	a := newApp(t)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"audit.mjs", a.srv.URL + "/graphql"}
	if os.Getenv("BYLINE_AUDIT_PARALLEL") != "" {
		// All at once: shows how the response cache merges concurrent
		// requests that differ only in Accept.
		args = append(args, "--parallel")
	}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = auditDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node audit.mjs: %v\n%s", err, stderr.String())
	}
	var results []auditResult
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		t.Fatalf("audit output is not JSON: %v\n%s", err, stdout.String())
	}
	if len(results) == 0 {
		t.Fatal("the audit ran no audits")
	}
	failed := map[string]int{}
	for _, r := range results {
		if r.Status == "ok" {
			continue
		}
		failed[strings.Fields(r.Name)[0]]++
		t.Errorf("audit %s (%s) %s: %s\n\tHTTP %d: %s", r.ID, r.Status, r.Name, r.Reason, r.HTTPStatus, r.Body)
	}
	t.Logf("%d audits: %d ok, failed: MUST %d, SHOULD %d, MAY %d",
		len(results), len(results)-failed["MUST"]-failed["SHOULD"]-failed["MAY"], failed["MUST"], failed["SHOULD"], failed["MAY"])
}

// installAudit runs npm ci in auditDir unless its packages are there.
func installAudit(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(auditDir, "node_modules", "graphql-http", "package.json")); err == nil {
		return
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		testenv.Missing(t, "node", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = auditDir
	if out, err := cmd.CombinedOutput(); err != nil {
		testenv.Missing(t, "node", &npmError{err: err, out: out})
	}
}

type npmError struct {
	err error
	out []byte
}

func (e *npmError) Error() string {
	return "npm ci in " + auditDir + ": " + e.err.Error() + "\n" + string(e.out)
}

// TestGraphQLHTTPAuditContract pins what the audit leaves open: the
// contract's statuses and codes, the statuses of a request that names no
// Accept (gqlgen's, which clients rely on), and the absence of a data entry
// wherever a request fails before execution.
func TestGraphQLHTTPAuditContract(t *testing.T) {
	a := newApp(t)
	const (
		jsonType = "application/json"
		gqlType  = "application/graphql-response+json"
	)
	big := append(append([]byte(`{"query":"{ sections { slug } }","x":"`), bytes.Repeat([]byte("a"), 1<<20)...), '"', '}')
	cases := []struct {
		name   string
		body   []byte
		accept string
		status int
		code   string
		ctype  string
		data   bool // a data entry, even null
	}{
		{"malformed JSON", []byte(`{"query": "{ sections { slug }"`), jsonType, 400, "BAD_USER_INPUT", jsonType, false},
		{"body over 1 MiB", big, gqlType, 413, "BAD_USER_INPUT", jsonType, false},
		{"syntax error, no Accept", gql(`{ article(slug: ) }`), "", 422, "BAD_USER_INPUT", jsonType, false},
		{"syntax error, json", gql(`{ article(slug: ) }`), jsonType, 200, "BAD_USER_INPUT", jsonType, false},
		{"syntax error, */*", gql(`{ article(slug: ) }`), "*/*", 200, "BAD_USER_INPUT", jsonType, false},
		{"syntax error, graphql-response", gql(`{ article(slug: ) }`), gqlType, 400, "BAD_USER_INPUT", gqlType, false},
		{"unknown field, no Accept", gql(`{ nope }`), "", 422, "BAD_USER_INPUT", jsonType, false},
		{"unknown field, json", gql(`{ nope }`), jsonType, 200, "BAD_USER_INPUT", jsonType, false},
		{"unknown field, graphql-response", gql(`{ nope }`), gqlType + ", " + jsonType + ";q=0.9", 400, "BAD_USER_INPUT", gqlType, false},
		{"json preferred by quality", gql(`{ nope }`), gqlType + ";q=0.5, " + jsonType, 200, "BAD_USER_INPUT", jsonType, false},
		{"variable does not coerce, no Accept", []byte(`{"query":"query($n:Int){articles(first:$n){totalCount}}","variables":{"n":"ten"}}`), "", 422, "BAD_USER_INPUT", jsonType, false},
		{"variable does not coerce, json", []byte(`{"query":"query($n:Int){articles(first:$n){totalCount}}","variables":{"n":"ten"}}`), jsonType, 200, "BAD_USER_INPUT", jsonType, false},
		{"variable does not coerce, graphql-response", []byte(`{"query":"query($n:Int){articles(first:$n){totalCount}}","variables":{"n":"ten"}}`), gqlType, 400, "BAD_USER_INPUT", gqlType, false},
		{"too complex, no Accept", gql(`{ articles(first: 100) { edges { node { related(first: 20) { related(first: 20) { slug } } } } } }`), "", 200, "QUERY_TOO_COMPLEX", jsonType, false},
		{"too complex, graphql-response", gql(`{ articles(first: 100) { edges { node { related(first: 20) { related(first: 20) { slug } } } } } }`), gqlType, 400, "QUERY_TOO_COMPLEX", gqlType, false},
		{"no query", []byte(`{"qeury":"{ sections { slug } }"}`), jsonType, 400, "BAD_USER_INPUT", jsonType, false},
		{"query not a string", []byte(`{"query":{"obj":"ect"}}`), "", 400, "BAD_USER_INPUT", jsonType, false},
		{"variables not an object", []byte(`{"query":"{ sections { slug } }","variables":"x"}`), "", 400, "BAD_USER_INPUT", jsonType, false},
		{"extensions not an object", []byte(`{"query":"{ sections { slug } }","extensions":[1]}`), gqlType, 400, "BAD_USER_INPUT", gqlType, false},
		{"body not an object", []byte(`["{ sections { slug } }"]`), jsonType, 400, "BAD_USER_INPUT", jsonType, false},
		{"execution error keeps data", gql(`{ articles(first: 100000) { totalCount } }`), gqlType, 200, "BAD_USER_INPUT", gqlType, true},
		// Not a cacheable query: a cache hit is always application/json (cache.serve).
		{"success", gql(`{ __typename }`), gqlType, 200, "", gqlType, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h []string
			if c.accept != "" {
				h = []string{"Accept", c.accept}
			}
			r := a.post(c.body, h...)
			if r.Status != c.status || r.code() != c.code {
				t.Fatalf("status %d code %q, want %d %q: %s", r.Status, r.code(), c.status, c.code, trim(r.Raw))
			}
			var top map[string]json.RawMessage
			_ = json.Unmarshal(r.Raw, &top)
			if _, ok := top["data"]; ok != c.data {
				t.Errorf("data entry present %v, want %v: %s", ok, c.data, trim(r.Raw))
			}
		})
	}
	ctypes := map[string]string{}
	for _, c := range cases {
		ctypes[c.name] = c.ctype
	}
	t.Run("content types", func(t *testing.T) {
		for _, c := range cases {
			req, _ := http.NewRequest("POST", a.srv.URL+"/graphql", bytes.NewReader(c.body))
			req.Header.Set("Content-Type", "application/json")
			if c.accept != "" {
				req.Header.Set("Accept", c.accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, ctypes[c.name]) {
				t.Errorf("%s: Content-Type %q, want %s", c.name, got, ctypes[c.name])
			}
		}
	})
	t.Run("GET", func(t *testing.T) {
		get := func(query, accept string) (int, http.Header, *gqlResponse) {
			r, h := a.do(http.MethodGet, "/graphql?"+query, nil, "Accept", accept)
			return r.Status, h, r
		}
		if st, _, r := get("query="+url.QueryEscape(`{ sections { slug } }`), ""); st != 200 || len(r.Errors) > 0 {
			t.Errorf("query: status %d: %s", st, trim(r.Raw))
		}
		st, h, r := get("query="+url.QueryEscape(`mutation { deleteArticle(slug: "x") }`), gqlType)
		if st != 405 || h.Get("Allow") != "POST" || r.code() != "BAD_USER_INPUT" {
			t.Errorf("mutation: status %d Allow %q code %q, want 405 POST BAD_USER_INPUT: %s", st, h.Get("Allow"), r.code(), trim(r.Raw))
		}
		if st, _, r := get("query="+url.QueryEscape(`{ sections { slug } }`)+"&variables=%5B%5D", ""); st != 400 || r.code() != "BAD_USER_INPUT" {
			t.Errorf("variables not an object: status %d code %q: %s", st, r.code(), trim(r.Raw))
		}
	})
	t.Run("other content type", func(t *testing.T) {
		resp, err := http.Post(a.srv.URL+"/graphql", "text/plain", strings.NewReader(`{ sections { slug } }`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var r gqlResponse
		if err := json.Unmarshal(raw, &r); err != nil || resp.StatusCode != 415 || r.code() != "BAD_USER_INPUT" {
			t.Errorf("status %d, want 415 BAD_USER_INPUT: %s", resp.StatusCode, raw)
		}
	})
}
