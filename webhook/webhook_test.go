package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
)

// The signature of a known body, computed with OpenSSL:
//
//	printf '1700000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
const (
	vectorBody = `{"id":"evt_1"}`
	vectorSig  = "t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"
)

var vectorTime = time.Unix(1700000000, 0)

func TestSignMatchesOpenSSL(t *testing.T) {
	if got := Sign("whsec_test", vectorTime, []byte(vectorBody)); got != vectorSig {
		t.Fatalf("Sign = %s, want %s", got, vectorSig)
	}
}

func TestVerify(t *testing.T) {
	cases := []struct {
		name   string
		header string
		secret string
		body   string
		now    time.Time
		ok     bool
	}{
		{"the signature of the body", vectorSig, "whsec_test", vectorBody, vectorTime.Add(time.Minute), true},
		{"one of two signatures, as in a secret's rotation", "t=1700000000,v1=00ff," + strings.TrimPrefix(vectorSig, "t=1700000000,"), "whsec_test", vectorBody, vectorTime, true},
		{"another secret", vectorSig, "whsec_other", vectorBody, vectorTime, false},
		{"a changed body", vectorSig, "whsec_test", `{"id":"evt_2"}`, vectorTime, false},
		{"replayed an hour later", vectorSig, "whsec_test", vectorBody, vectorTime.Add(time.Hour), false},
		{"no time", "v1=c89214b5", "whsec_test", vectorBody, vectorTime, false},
		{"no signature", "t=1700000000", "whsec_test", vectorBody, vectorTime, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(c.header, c.secret, []byte(c.body), c.now, 5*time.Minute)
			if (err == nil) != c.ok {
				t.Fatalf("Verify = %v, want ok %v", err, c.ok)
			}
		})
	}
}

func TestSenderPostsASignedDelivery(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s := NewSender()
	s.Now = func() time.Time { return vectorTime }
	d := content.Delivery{ID: "evt_1", URL: srv.URL + "/hook", Secret: "whsec_test", Body: []byte(vectorBody)}
	if err := s.SendWebhook(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/hook" || got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("%s %s %q", got.Method, got.URL.Path, got.Header.Get("Content-Type"))
	}
	if got.Header.Get(DeliveryHeader) != "evt_1" || got.Header.Get(SignatureHeader) != vectorSig || string(body) != vectorBody {
		t.Errorf("delivery %q signature %q body %s", got.Header.Get(DeliveryHeader), got.Header.Get(SignatureHeader), body)
	}
}

// TestSenderFails: an answer other than 2xx is a failed attempt, a
// redirect is not followed, and the error never shows the URL's query.
func TestSenderFails(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	cases := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"unavailable", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }},
		{"refused", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) }},
		{"redirected", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			err := NewSender().SendWebhook(context.Background(), content.Delivery{ID: "evt_1", URL: srv.URL + "/?token=secret", Secret: "s", Body: []byte("{}")})
			if err == nil {
				t.Fatal("the attempt reported success")
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows the query: %v", err)
			}
		})
	}
	if elsewhere.Load() != 0 {
		t.Error("a redirect was followed")
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nobody listens
	err := NewSender().SendWebhook(context.Background(), content.Delivery{ID: "evt_1", URL: srv.URL + "/?token=secret", Secret: "s", Body: []byte("{}")})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("a closed port: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
