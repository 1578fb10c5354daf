package content

import (
	"context"
	"errors"
	"testing"
	"time"
)

// inputStore keeps the partners and stories that pass validation; the
// methods the tests below do not reach panic through the nil embedded
// interfaces.
type inputStore struct {
	ArticleReader
	ArticleWriter
	PartnerStore
	partners []Partner
	articles []ArticleRecord
}

func (s *inputStore) SavePartner(_ context.Context, p Partner) error {
	s.partners = append(s.partners, p)
	return nil
}

func (s *inputStore) MergeArticle(_ context.Context, _ string, _ *Invalidation, merge func(*ArticleRecord) (ArticleRecord, error)) (int64, error) {
	rec, err := merge(nil)
	if err != nil {
		return 0, err
	}
	s.articles = append(s.articles, rec)
	return int64(len(s.articles)), nil
}

func (s *inputStore) ArticlesByID(_ context.Context, ids []int64) (map[int64]*Article, error) {
	out := map[int64]*Article{}
	for _, id := range ids {
		r := s.articles[id-1]
		out[id] = &Article{ID: id, Slug: r.Slug, Title: r.Title, Section: r.Section, Image: r.Image}
	}
	return out, nil
}

func (s *inputStore) UpsertArticles(_ context.Context, recs []ArticleRecord, _ *Invalidation) ([]int64, error) {
	ids := make([]int64, len(recs))
	for i, r := range recs {
		s.articles = append(s.articles, r)
		ids[i] = int64(len(s.articles))
	}
	return ids, nil
}

func ptrTo[T any](v T) *T { return &v }

func inputService() (*Service, *inputStore) {
	st := &inputStore{}
	return NewService(Stores{Articles: st, Writes: st, Partners: st}, Config{Now: func() time.Time { return time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC) }}), st
}

// wantInvalid fails t unless err is an InvalidError (BAD_USER_INPUT at the
// edge) about field.
func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("want an InvalidError about %s, got %v", field, err)
	}
	if inv.Field != field {
		t.Fatalf("error is about %q, want %q: %v", inv.Field, field, err)
	}
}

func TestSavePartnerName(t *testing.T) {
	cases := []struct {
		name, partner string
		ok            bool
	}{
		{"plain", "Acme News", true},
		{"cyrillic", "Монголын мэдээ", true},
		{"accents and punctuation", "Ça va — l'hebdo (Paris)", true},
		{"CRLF header injection", "Acme\r\nBcc: everyone@example.com", false},
		{"LF", "Acme\nNews", false},
		{"tab", "Acme\tNews", false},
		{"NUL", "Acme\x00", false},
		{"escape", "Acme\x1b[31m", false},
		{"DEL", "Acme\x7f", false},
		{"C1 next line", "Acme\u0085News", false},
		{"line separator", "Acme\u2028News", false},
		{"bidi override", "Acme \u202eswen", false},
		{"bidi isolate", "Acme \u2066News\u2069", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, st := inputService()
			err := svc.SavePartner(context.Background(), Partner{ID: "acme", Name: c.partner, Origins: []string{"https://acme.example"}})
			if c.ok {
				if err != nil || len(st.partners) != 1 {
					t.Fatalf("refused %q: %v", c.partner, err)
				}
				return
			}
			wantInvalid(t, err, "name")
			if len(st.partners) != 0 {
				t.Fatal("a refused partner was stored")
			}
		})
	}
}

func TestNormaliseOrigin(t *testing.T) {
	cases := []struct {
		name, in, want string // want "" = refused
	}{
		{"https", "https://news.example.com", "https://news.example.com"},
		{"http with port", "http://localhost:3000", "http://localhost:3000"},
		{"case and a lone trailing slash", "HTTPS://News.Example.COM/", "https://news.example.com"},
		{"spaces around", "  https://news.example.com ", "https://news.example.com"},
		{"default https port", "https://news.example.com:443", "https://news.example.com"},
		{"default http port", "http://news.example.com:80", "http://news.example.com"},
		{"other port", "https://news.example.com:8443", "https://news.example.com:8443"},
		{"IPv4", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"IPv6", "http://[::1]:8080", "http://[::1]:8080"},
		{"punycode host", "https://xn--e1afmkfd.xn--p1ai", "https://xn--e1afmkfd.xn--p1ai"},

		{"other scheme", "ftp://news.example.com", ""},
		{"javascript scheme", "javascript://news.example.com", ""},
		{"no scheme", "news.example.com", ""},
		{"no host", "https://", ""},
		{"path", "https://news.example.com/widget", ""},
		{"double slash", "https://news.example.com//", ""},
		{"query", "https://news.example.com?x=1", ""},
		{"empty query", "https://news.example.com?", ""},
		{"fragment", "https://news.example.com#top", ""},
		{"empty fragment", "https://news.example.com#", ""},
		{"userinfo", "https://user@news.example.com", ""},
		{"userinfo with password", "https://user:pw@news.example.com", ""},
		{"CSP directive", "https://news.example.com; script-src *", ""},
		{"semicolon", "https://news.example.com;", ""},
		{"wildcard", "https://*.example.com", ""},
		{"wildcard alone", "*", ""},
		{"space inside", "https://news .example.com", ""},
		{"CRLF", "https://news.example.com\r\nX-Evil: 1", ""},
		{"tab inside", "https://news\t.example.com", ""},
		{"non-ASCII host", "https://пример.рф", ""},
		{"underscore", "https://news_room.example.com", ""},
		{"leading hyphen", "https://-news.example.com", ""},
		{"percent-encoded", "https://news%2eexample.com", ""},
		{"empty port", "https://news.example.com:", ""},
		{"port zero", "https://news.example.com:0", ""},
		{"port too big", "https://news.example.com:65536", ""},
		{"port with sign", "https://news.example.com:+80", ""},
		{"port with leading zero", "https://news.example.com:080", ""},
		{"port not a number", "https://news.example.com:http", ""},
		{"numeric non-address", "https://1.2.3", ""},
		{"unclosed IPv6", "https://[::1", ""},
		{"IPv6 zone", "https://[fe80::1%25eth0]", ""},
		{"IPv4 in brackets", "https://[127.0.0.1]", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormaliseOrigin(c.in)
			if c.want == "" {
				wantInvalid(t, err, "origins")
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("NormaliseOrigin(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
		})
	}
	t.Run("SavePartner refuses a bad origin", func(t *testing.T) {
		svc, st := inputService()
		err := svc.SavePartner(context.Background(), Partner{ID: "acme", Name: "Acme", Origins: []string{"https://acme.example", "https://acme.example; script-src *"}})
		wantInvalid(t, err, "origins")
		if len(st.partners) != 0 {
			t.Fatal("a refused partner was stored")
		}
	})
}
