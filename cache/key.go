package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash/maphash"
	"net/url"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
)

// rawKeyOf hashes the raw request (a POST body, or a GET's query string)
// with a per-process seed: the hit path never parses JSON or GraphQL. An
// L1 item under a raw key keeps the request it was made from, so that a
// collision cannot serve another request's answer.
func rawKeyOf(seed maphash.Seed, method string, req []byte) [9]byte {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteString(method)
	h.Write(req)
	var b [9]byte
	b[0] = 'f'
	sum := h.Sum64()
	for i := 1; i < 9; i++ {
		b[i] = byte(sum)
		sum >>= 8
	}
	return b
}

// gqlRequest is a GraphQL-over-HTTP request, from either method.
type gqlRequest struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    struct {
		PersistedQuery *struct {
			Hash string `json:"sha256Hash"`
		} `json:"persistedQuery"`
	} `json:"extensions"`
}

func parseRequest(method string, req []byte) (*gqlRequest, bool) {
	var r gqlRequest
	if method == "POST" {
		if json.Unmarshal(req, &r) != nil {
			return nil, false
		}
		return &r, true
	}
	q, err := url.ParseQuery(string(req))
	if err != nil {
		return nil, false
	}
	r.Query, r.OperationName = q.Get("query"), q.Get("operationName")
	if v := q.Get("variables"); v != "" {
		r.Variables = json.RawMessage(v)
	}
	if ext := q.Get("extensions"); ext != "" && json.Unmarshal([]byte(ext), &r.Extensions) != nil {
		return nil, false
	}
	return &r, true
}

// maxNormalised is the largest request the cache parses to normalise: a
// page's query is a few KB, and parsing a huge document here, before the
// GraphQL layer's limits refuse it, would be work an attacker chooses.
const maxNormalised = 64 << 10

// normalKeyOf is the key of what a request means: schema version, normalised
// document (or persisted-query hash), operation name, canonical variables
// and scope. Two requests that differ only in whitespace, comments or
// variable order share it. ok is false for what must not be cached:
// mutations, subscriptions, and requests GraphQL will refuse anyway.
func normalKeyOf(schemaVersion, method string, req []byte) (key string, ok bool) {
	if len(req) > maxNormalised {
		return "", false
	}
	r, ok := parseRequest(method, req)
	if !ok {
		return "", false
	}
	var doc string
	switch {
	case r.Query != "":
		d, err := parser.ParseQuery(&ast.Source{Input: r.Query})
		if err != nil {
			return "", false
		}
		op := pick(d, r.OperationName)
		if op == nil || op.Operation != ast.Query {
			return "", false
		}
		var buf bytes.Buffer
		formatter.NewFormatter(&buf).FormatQueryDocument(d)
		doc = "doc:" + buf.String()
		if pq := r.Extensions.PersistedQuery; pq != nil {
			// gqlgen checks text against hash; a pair it would refuse
			// must not be answered from an entry of the text alone.
			doc += "\x00apq:" + pq.Hash
		}
	case r.Extensions.PersistedQuery != nil && r.Extensions.PersistedQuery.Hash != "":
		// A persisted query's text is not here; its hash names it. A
		// mutation sent this way is refused below by its response
		// (Cache-Control: no-store), never stored.
		doc = "apq:" + r.Extensions.PersistedQuery.Hash
	default:
		return "", false
	}
	vars, ok := canonicalJSON(r.Variables)
	if !ok {
		return "", false
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{schemaVersion, doc, r.OperationName, vars, "public"}, "\x00")))
	return "n" + hex.EncodeToString(sum[:]), true
}

func pick(d *ast.QueryDocument, name string) *ast.OperationDefinition {
	if name == "" {
		if len(d.Operations) == 1 {
			return d.Operations[0]
		}
		return nil
	}
	return d.Operations.ForName(name)
}

// canonicalJSON re-encodes variables with sorted keys.
func canonicalJSON(raw json.RawMessage) (string, bool) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return "{}", true
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return "", false
	}
	b, err := json.Marshal(v)
	return string(b), err == nil
}
