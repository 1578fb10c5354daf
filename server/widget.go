package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/andybalholm/brotli"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/acceptenc"
	"github.com/bylinehq/byline/widget/assets"
)

// widgetAssets serves the loader (short-cached: it names the current
// build) and the build's content-hashed files (cached for a year), each
// precompressed.
type widgetAssets struct {
	ok     bool
	files  fs.FS
	loader compressed
}

type compressed struct{ raw, gz, br []byte }

func compress(b []byte) compressed {
	var gz, br bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
	bw.Write(b)
	bw.Close()
	return compressed{raw: b, gz: gz.Bytes(), br: br.Bytes()}
}

func newWidgetAssets() *widgetAssets {
	m, files, ok := assets.Built()
	a := &widgetAssets{ok: ok, files: files}
	l := strings.NewReplacer("__WASM__", m.Wasm, "__WASM_EXEC__", m.WasmExec).Replace(assets.Loader())
	a.loader = compress([]byte(l))
	return a
}

// LoaderSize reports the loader's bytes raw, gzip and brotli.
func LoaderSize() (raw, gz, br int) {
	c := newWidgetAssets().loader
	return len(c.raw), len(c.gz), len(c.br)
}

// writeCompressed answers with the smallest representation the client
// takes: brotli, then gzip, else the plain bytes.
func writeCompressed(w http.ResponseWriter, r *http.Request, c compressed) {
	w.Header().Add("Vary", "Accept-Encoding")
	body := c.raw
	ae := r.Header.Get("Accept-Encoding")
	switch {
	case c.br != nil && acceptenc.Accepts(ae, "br"):
		w.Header().Set("Content-Encoding", "br")
		body = c.br
	case c.gz != nil && acceptenc.Accepts(ae, "gzip"):
		w.Header().Set("Content-Encoding", "gzip")
		body = c.gz
	}
	_, _ = w.Write(body)
}

func (a *widgetAssets) serveLoader(w http.ResponseWriter, r *http.Request) {
	if !a.ok {
		http.Error(w, "this gateway was built without the widget: run make build", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeCompressed(w, r, a.loader)
}

func (a *widgetAssets) serveFile(w http.ResponseWriter, r *http.Request) {
	name := path.Base(r.PathValue("file"))
	if !a.ok || strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".br") || name == "manifest.json" || name == "README.md" {
		http.NotFound(w, r)
		return
	}
	raw, err := fs.ReadFile(a.files, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	c := compressed{raw: raw}
	c.gz, _ = fs.ReadFile(a.files, name+".gz")
	c.br, _ = fs.ReadFile(a.files, name+".br")
	switch path.Ext(name) {
	case ".wasm":
		w.Header().Set("Content-Type", "application/wasm")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	// The name is the content's hash: it never changes.
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeCompressed(w, r, c)
}

var pages = template.Must(template.New("").ParseFS(static, "static/*.tmpl"))

// widgetPages serve what has no JavaScript: the form's answer, the
// confirmation link, and the iframe fallback.
type widgetPages struct {
	svc       *content.Service
	publicURL string
	log       *slog.Logger
}

func (p *widgetPages) page(w http.ResponseWriter, status int, title, message, back string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, "message.tmpl", map[string]string{"Title": title, "Message": message, "Back": back})
}

// safeBack is raw if it is an http(s) URL.
func safeBack(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// back is the link to the page the form was sent from, only when that
// page is on one of the partner's allowed origins (or the gateway's). The
// form's page field and the Referer are whatever the sending page chose:
// a hostile one would otherwise have the gateway's own page send readers
// on to its URL. Anything else gets no link; the browser's back button
// still works.
func (p *widgetPages) back(ctx context.Context, partner, page string) string {
	u, err := url.Parse(page)
	if err != nil {
		return ""
	}
	o := origin(page)
	if o == "" || !p.svc.PartnerAllows(ctx, partner, o) {
		return ""
	}
	u.User = nil // a link that shows another name before the @ is no link back
	return u.String()
}

// subscribe is the no-JS form's target.
func (p *widgetPages) subscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.page(w, http.StatusBadRequest, "Sign-up", "That form could not be read. Please go back and try again.", "")
		return
	}
	f := r.PostForm
	page := f.Get("page")
	if page == "" {
		page = r.Referer()
	}
	consent := f.Get("consent")
	res, err := p.svc.Subscribe(r.Context(), content.SubscribeInput{
		Email: f.Get("email"), Partner: f.Get("partner"), Consent: consent == "yes" || consent == "on" || consent == "true",
		PageURL: page, Locale: f.Get("locale") + "," + r.Header.Get("Accept-Language"), Website: f.Get("website"),
	}, content.RequestMeta{Origin: r.Header.Get("Origin"), IP: clientIP(r), PlainForm: true})
	back := p.back(r.Context(), f.Get("partner"), page)
	switch {
	case errors.Is(err, content.ErrRateLimited):
		p.page(w, http.StatusTooManyRequests, "Sign-up", content.ErrRateLimited.Error(), back)
	case err != nil:
		p.log.Error("widget: subscribe", "err", err)
		p.page(w, http.StatusInternalServerError, "Sign-up", "Sorry, that did not work. Please try again in a moment.", back)
	case res.Status == content.StatusRejected:
		p.page(w, http.StatusBadRequest, "Sign-up", res.Message, back)
	default:
		p.page(w, http.StatusOK, "Almost done", res.Message, back)
	}
}

func (p *widgetPages) confirm(w http.ResponseWriter, r *http.Request) {
	partner, err := p.svc.Confirm(r.Context(), r.URL.Query().Get("token"))
	var invalid *content.InvalidError
	switch {
	case errors.As(err, &invalid):
		p.page(w, http.StatusBadRequest, "Confirmation", "This link has expired or was already used. Sign up again to get a new one.", "")
	case err != nil:
		p.log.Error("widget: confirm", "err", err)
		p.page(w, http.StatusInternalServerError, "Confirmation", "Sorry, that did not work. Please try again in a moment.", "")
	default:
		name := "the newsletter"
		if partner != nil {
			name = partner.Name
		}
		p.page(w, http.StatusOK, "Subscribed", "Thank you: you are now subscribed to "+name+".", "")
	}
}

// frame is the iframe fallback for partner pages whose CSP forbids
// WebAssembly. It runs on the gateway's origin, and only inside the
// partner's own pages (frame-ancestors).
func (p *widgetPages) frame(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	partner := q.Get("partner")
	pt, err := p.svc.Partner(r.Context(), partner)
	if err != nil || pt == nil {
		http.NotFound(w, r)
		return
	}
	ancestors := []string{"'self'"}
	ancestors = append(ancestors, pt.Origins...)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; "+
		"style-src 'self'; frame-ancestors "+strings.Join(ancestors, " "))
	_ = pages.ExecuteTemplate(w, "frame.tmpl", map[string]string{
		"Partner": partner, "Locale": q.Get("locale"), "Page": safeBack(q.Get("page")),
	})
}

// clientIP is the reader's address (realIP has already replaced a trusted
// proxy's with the one it forwarded for), read as graph reads it.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
