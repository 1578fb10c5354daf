package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/bylinehq/byline/widget/assets"
)

// TestWidgetAssetEncoding: the loader and the hashed files go out in the
// smallest encoding the client takes, decode to the plain bytes, say so in
// Vary, and carry their caching rules (the loader 5 minutes, hashed files a
// year, immutable).
func TestWidgetAssetEncoding(t *testing.T) {
	a := newWidgetAssets()
	m, _, built := assets.Built()
	type target struct{ name, path, cacheControl, contentType string }
	targets := []target{{"loader", "/widget/v1/loader.js", "public, max-age=300", "text/javascript; charset=utf-8"}}
	if built {
		targets = append(targets, target{"module", "/widget/v1/" + m.Wasm, "public, max-age=31536000, immutable", "application/wasm"})
	} else {
		t.Log("widget not built (make widget): checking the loader only")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /widget/v1/loader.js", a.serveLoader)
	mux.HandleFunc("GET /widget/v1/{file}", a.serveFile)
	fetch := func(path, ae string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if ae != "" {
			req.Header.Set("Accept-Encoding", ae)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w
	}
	for _, tg := range targets {
		plain := fetch(tg.path, "")
		if plain.Code != http.StatusOK || plain.Body.Len() == 0 {
			t.Fatalf("%s: %d, %d bytes", tg.name, plain.Code, plain.Body.Len())
		}
		for _, c := range []struct {
			ae, want string
		}{
			{"", ""},
			{"identity", ""},
			{"gzip, deflate, br, zstd", "br"},
			{"gzip", "gzip"},
			{"br;q=0, gzip", "gzip"},
			{"gzip;q=0, br;q=0", ""},
		} {
			w := fetch(tg.path, c.ae)
			h := w.Header()
			if got := h.Get("Content-Encoding"); got != c.want {
				t.Errorf("%s, Accept-Encoding %q: Content-Encoding %q, want %q", tg.name, c.ae, got, c.want)
				continue
			}
			if h.Get("Vary") != "Accept-Encoding" || h.Get("Cache-Control") != tg.cacheControl || h.Get("Content-Type") != tg.contentType {
				t.Errorf("%s, %q: Vary %q, Cache-Control %q, Content-Type %q", tg.name, c.ae, h.Get("Vary"), h.Get("Cache-Control"), h.Get("Content-Type"))
			}
			var r io.Reader = w.Body
			switch c.want {
			case "br":
				r = brotli.NewReader(w.Body)
			case "gzip":
				zr, err := gzip.NewReader(w.Body)
				if err != nil {
					t.Fatalf("%s: %v", tg.name, err)
				}
				r = zr
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, plain.Body.Bytes()) {
				t.Errorf("%s, %q: decodes to %d bytes (%v), want the plain %d", tg.name, c.ae, len(got), err, plain.Body.Len())
			}
			if c.want != "" && w.Body.Len() >= plain.Body.Len() {
				t.Errorf("%s, %s: %d bytes, not smaller than %d", tg.name, c.want, w.Body.Len(), plain.Body.Len())
			}
		}
	}
}
