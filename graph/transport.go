package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/bylinehq/byline/internal/mediatype"
)

const mediaJSON = mediatype.MediaJSON

// httpTransport serves GraphQL over HTTP as the GraphQL-over-HTTP spec
// says (https://graphql.github.io/graphql-over-http/draft/), in place of
// gqlgen's GET and POST transports, which differ from it where the request
// fails before execution (a parse, validation or variable coercion error):
//
//   - With Accept: application/json a well-formed request is answered 200,
//     whatever its errors; gqlgen answers 422.
//   - With Accept: application/graphql-response+json such a request is
//     answered 400 with no data entry; gqlgen writes "data": null, and 422
//     for a variable that does not coerce.
//   - A request that is not well-formed (no query, a parameter of the
//     wrong JSON type, a body that is not an object) is 400 with
//     BAD_USER_INPUT and a message that names no Go type; such bodies were
//     answered 500 before.
//   - A mutation sent with GET is 405 with Allow: POST, another method
//     405, a POST body of another media type 415: every refusal carries
//     extensions.code.
//
// A request with no Accept header keeps gqlgen's statuses (422 for a parse
// or validation failure, 200 otherwise), which clients written against the
// gateway rely on. In every case an error raised before execution leaves
// the data entry out, as the GraphQL spec says.
type httpTransport struct{}

var _ graphql.Transport = httpTransport{}

// Supports takes every request but OPTIONS (transport.Options answers
// those) and WebSocket upgrades, so that a method or a content type
// GraphQL over HTTP does not allow is refused in GraphQL's error shape.
func (httpTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && r.Method != http.MethodOptions
}

// responseType is what a request accepts (internal/mediatype).
type responseType = mediatype.Response

const (
	acceptJSON            = mediatype.JSON
	acceptGraphQLResponse = mediatype.GraphQLResponse
	acceptUnstated        = mediatype.Unstated
)

func negotiate(h http.Header) responseType { return mediatype.Negotiate(h) }

var paramsPool = sync.Pool{New: func() any { return new(graphql.RawParams) }}

func (httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	rt := negotiate(r.Header)
	w.Header().Set("Content-Type", rt.MediaType())
	switch r.Method {
	case http.MethodGet, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST")
		refuse(w, r, exec, http.StatusMethodNotAllowed, "GraphQL is served over GET and POST")
		return
	}
	params := paramsPool.Get().(*graphql.RawParams)
	defer func() {
		*params = graphql.RawParams{}
		paramsPool.Put(params)
	}()
	params.ReadTime.Start = graphql.Now()
	if status, msg := readParams(r, params); status != 0 {
		refuse(w, r, exec, status, msg)
		return
	}
	params.Headers = r.Header
	params.ReadTime.End = graphql.Now()

	ctx := r.Context()
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		// A request error: nothing ran, so there is no data entry.
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		writeRequestError(w, requestErrorStatus(rt, errs), resp)
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		w.Header().Set("Allow", "POST")
		refuse(w, r, exec, http.StatusMethodNotAllowed, "a "+string(opCtx.Operation.Operation)+" must be sent with POST")
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	writeResponse(w, http.StatusOK, responses(ctx))
}

// readParams reads the request's parameters: the URL's for GET, the JSON
// body's for POST. A non-zero status refuses a request that is not a
// well-formed GraphQL-over-HTTP request, with msg.
func readParams(r *http.Request, p *graphql.RawParams) (status int, msg string) {
	if r.Method == http.MethodGet {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return http.StatusBadRequest, "the URL's query string is malformed"
		}
		p.Query, p.OperationName = q.Get("query"), q.Get("operationName")
		for _, m := range [...]struct {
			name string
			dst  *map[string]any
		}{{"variables", &p.Variables}, {"extensions", &p.Extensions}} {
			if s := q.Get(m.name); s != "" {
				if err := decodeJSON(strings.NewReader(s), m.dst); err != nil {
					return http.StatusBadRequest, "the {" + m.name + "} parameter must be a JSON object"
				}
			}
		}
	} else {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != mediaJSON {
			return http.StatusUnsupportedMediaType, "a POST body must be application/json"
		}
		var body io.Reader = r.Body
		if b, ok := r.Body.(interface{ Bytes() []byte }); ok {
			body = bytes.NewReader(b.Bytes()) // read already, by the edge
		}
		if err := decodeJSON(body, p); err != nil {
			return http.StatusBadRequest, bodyError(err)
		}
	}
	if p.Query == "" && p.Extensions["persistedQuery"] == nil {
		return http.StatusBadRequest, "the request has no {query} parameter"
	}
	return 0, ""
}

// decodeJSON decodes as gqlgen's transports do: numbers stay json.Number,
// so an Int or ID variable keeps every digit.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return dec.Decode(v)
}

// bodyError says what is wrong with a POST body, without Go's types.
func bodyError(err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return "the request body is not valid JSON"
	}
	switch field, _, _ := strings.Cut(te.Field, "."); field {
	case "":
		return "the request body must be a JSON object"
	case "query", "operationName":
		return "the {" + field + "} parameter must be a string"
	default:
		return "the {" + field + "} parameter must be a JSON object"
	}
}

// requestErrorStatus is the status of an answer to a request that failed
// before execution.
func requestErrorStatus(rt responseType, errs gqlerror.List) int {
	switch rt {
	case acceptGraphQLResponse:
		return http.StatusBadRequest
	case acceptUnstated:
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			return http.StatusUnprocessableEntity
		}
	}
	return http.StatusOK
}

// refuse answers a request GraphQL cannot run, in GraphQL's error shape.
func refuse(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, status int, msg string) {
	err := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeBadUserInput}}
	writeRequestError(w, status, exec.DispatchError(r.Context(), gqlerror.List{err}))
}

// requestError is a response with no data entry.
type requestError struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func writeRequestError(w http.ResponseWriter, status int, resp *graphql.Response) {
	b, err := json.Marshal(requestError{Errors: resp.Errors, Extensions: resp.Extensions})
	if err != nil {
		panic(err) // errors and extensions are plain values: never happens
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeResponse(w http.ResponseWriter, status int, resp *graphql.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		panic(err) // gqlgen's transports do the same: a resolver returned what JSON cannot hold
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
