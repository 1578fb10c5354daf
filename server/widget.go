package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

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

// widgetPages serve what has no JavaScript: the form's answer, the pages
// behind the emails' links, the incentive files and the iframe fallback.
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

// routes adds the widget's pages to the edge's routes.
func (p *widgetPages) routes(route func(pattern, name string, h http.Handler)) {
	route("POST /widget/subscribe", "widget_subscribe", http.HandlerFunc(p.subscribe))
	route("GET /widget/confirm", "widget_confirm", p.newsletterPage(p.svc.ConfirmPage, false))
	route("POST /widget/confirm", "widget_confirm", p.newsletterPage(p.svc.ConfirmPage, true))
	route("GET /widget/unsubscribe", "widget_unsubscribe", p.newsletterPage(p.svc.UnsubscribePage, false))
	route("POST /widget/unsubscribe", "widget_unsubscribe", p.newsletterPage(p.svc.UnsubscribePage, true))
	route("GET /widget/files/{name}", "widget_file", http.HandlerFunc(p.file))
	route("GET /widget/frame", "widget_frame", http.HandlerFunc(p.frame))
}

// newsletterPage serves a page behind an email's link. A GET only shows
// (its one button posts the token back); a POST acts: the button's, or a
// mail client's RFC 8058 one-click POST ("List-Unsubscribe=One-Click", as
// a form or multipart body) to the List-Unsubscribe URL, whose token is in
// the query. Neither needs a cookie, a script or a second step.
func (p *widgetPages) newsletterPage(show func(ctx context.Context, token, lang string, post bool) (*content.NewsletterPage, error), post bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := r.Header.Get("Accept-Language")
		token := r.URL.Query().Get("token")
		if post {
			r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
			if err := r.ParseMultipartForm(16 << 10); err != nil && !errors.Is(err, http.ErrNotMultipart) {
				p.newsletterError(w, http.StatusBadRequest, lang)
				return
			}
			if t := r.PostFormValue("token"); t != "" {
				token = t
			}
		}
		pg, err := show(r.Context(), token, lang, post)
		if err != nil {
			p.log.Error("widget: newsletter page", "path", r.URL.Path, "err", err)
			p.newsletterError(w, http.StatusInternalServerError, lang)
			return
		}
		status := http.StatusOK
		if pg.State == content.PageInvalid {
			status = http.StatusBadRequest
		}
		p.renderNewsletter(w, status, r.URL.Path, pg)
	})
}

func (p *widgetPages) newsletterError(w http.ResponseWriter, status int, lang string) {
	pg := content.ErrorPage(lang)
	p.renderNewsletter(w, status, "", pg)
}

// renderNewsletter writes pg. The theme is a nonce'd style element (the
// page allows no other inline style); the token is in the URL, so the
// page sends no Referer to the incentive or anywhere else.
func (p *widgetPages) renderNewsletter(w http.ResponseWriter, status int, action string, pg *content.NewsletterPage) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	n := hex.EncodeToString(nonce)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'nonce-"+n+"'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, "newsletter.tmpl", struct {
		*content.NewsletterPage
		Nonce, Action string
	}{pg, n, action}); err != nil {
		p.log.Error("widget: render newsletter page", "err", err)
	}
}

//go:embed files
var incentiveFiles embed.FS

// ServesFile reports whether the gateway has the incentive file name, for
// a partner's --incentive-url FilesPath+name.
func ServesFile(name string) bool {
	if !content.ValidFileName(name) {
		return false
	}
	_, err := fs.Stat(incentiveFiles, "files/"+name)
	return err == nil
}

// file serves an incentive file, only through a link the gateway signed
// and before it expires.
func (p *widgetPages) file(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	lang := r.Header.Get("Accept-Language")
	msg, err := p.svc.CheckFileLink(r.Context(), name, r.URL.Query(), lang)
	var invalid *content.InvalidError
	switch {
	case errors.Is(err, content.ErrLinkExpired):
		p.renderNewsletter(w, http.StatusGone, "", content.MessagePage(lang, msg))
		return
	case errors.As(err, &invalid):
		p.renderNewsletter(w, http.StatusForbidden, "", content.MessagePage(lang, msg))
		return
	case err != nil:
		p.log.Error("widget: file link", "err", err)
		p.newsletterError(w, http.StatusInternalServerError, lang)
		return
	}
	raw, err := fs.ReadFile(incentiveFiles, "files/"+name)
	if err != nil || !content.ValidFileName(name) {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	// The link is the reader's: no shared cache keeps the file, and the
	// file (the gateway's own, trusted) may style itself but run nothing.
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(raw))
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

// Files lists the incentive files the gateway serves.
func Files() []string {
	entries, _ := fs.ReadDir(incentiveFiles, "files")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
