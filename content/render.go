package content

import (
	"bytes"
	"fmt"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

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

// PlainText strips tags from sanitised HTML, for excerpts, reading time and
// search: every "<…>" becomes a space (a "<" with no ">" after it stays),
// entities are decoded and white space is collapsed. A scan and one pass,
// not a regular expression and strings.Fields: it runs over every story
// when the related index is built at start-up, where those took a second
// at 100k stories.
func PlainText(htmlBody string) string {
	var b strings.Builder
	b.Grow(len(htmlBody))
	s := htmlBody
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return collapseSpace(html.UnescapeString(b.String()))
}

// collapseSpace is strings.Join(strings.Fields(s), " ") in one pass and
// one allocation, copying whole words.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	word := -1 // where the current word began
	for i := 0; i <= len(s); {
		space, n := true, 1 // the end of s ends a word too
		if i < len(s) {
			if c := s[i]; c < utf8.RuneSelf {
				space = asciiSpace[c]
			} else {
				var r rune
				r, n = utf8.DecodeRuneInString(s[i:])
				space = unicode.IsSpace(r)
			}
		}
		switch {
		case space && word >= 0:
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s[word:i])
			word = -1
		case !space && word < 0:
			word = i
		}
		i += n
	}
	return b.String()
}

// asciiSpace is the ASCII white space strings.Fields splits on.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}
