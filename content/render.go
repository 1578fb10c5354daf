package content

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Renderer turns an editor's body into HTML that is safe to put on a page.
// It is safe for concurrent use; build one and share it.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// NewRenderer builds the Markdown renderer and the sanitising policy.
func NewRenderer() *Renderer {
	p := bluemonday.UGCPolicy()
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.RequireNoFollowOnFullyQualifiedLinks(true)
	return &Renderer{
		md:     goldmark.New(goldmark.WithExtensions(extension.GFM)),
		policy: p,
	}
}

// Render returns sanitised HTML for source written in format.
func (r *Renderer) Render(source string, format BodyFormat) (string, error) {
	var raw string
	switch format {
	case FormatMarkdown, "":
		var buf bytes.Buffer
		if err := r.md.Convert([]byte(source), &buf); err != nil {
			return "", fmt.Errorf("content: render markdown: %w", err)
		}
		raw = buf.String()
	case FormatHTML:
		raw = source
	default:
		return "", Invalid("bodyFormat", "unknown body format %q", format)
	}
	return strings.TrimSpace(r.policy.Sanitize(raw)), nil
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// PlainText strips tags from sanitised HTML, for excerpts, reading time and
// search.
func PlainText(htmlBody string) string {
	s := tagRE.ReplaceAllString(htmlBody, " ")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}
