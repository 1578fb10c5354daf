package server

import (
	"embed"
	"html"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// ArticlePageQuery is the query a frontend sends for a whole article page;
// the explorer opens with it, and the benchmarks send it.
var ArticlePageQuery = mustRead("static/article_page.graphql")

var indexPage = strings.Replace(mustRead("static/index.html"), "{{QUERY}}", html.EscapeString(ArticlePageQuery), 1)

func mustRead(name string) string {
	b, err := static.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: cannot be missing
	}
	return string(b)
}

// explorerCSP: the explorer is its own stylesheet and script, calling
// /graphql on this origin; only the gateway's pages may frame it.
const explorerCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"form-action 'none'; base-uri 'none'; frame-ancestors 'self'"

func index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", explorerCSP)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write([]byte(indexPage))
}
