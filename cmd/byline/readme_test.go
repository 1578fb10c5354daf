package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/bylinehq/byline/internal/testenv"
)

// TestReadmeCommands runs every shell block of the README that calls the
// gateway, as pasted, against a gateway on the sample content, and compares
// each answer with the JSON block the README shows after it. A README whose
// first example cannot run is the first thing a newcomer meets.
func TestReadmeCommands(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		testenv.Missing(t, "curl", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := fencedBlocks(string(readme))
	a := newApp(t)
	host := strings.TrimPrefix(a.srv.URL, "http://")
	ran := 0
	for i, b := range blocks {
		if b.lang != "sh" || !strings.Contains(b.text, "curl ") || !strings.Contains(b.text, "localhost:8080") {
			continue
		}
		ran++
		t.Run(firstLine(b.text), func(t *testing.T) {
			cmd := exec.Command("sh", "-e", "-c", strings.ReplaceAll(b.text, "localhost:8080", host))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v: %s", err, stderr.String())
			}
			if i+1 >= len(blocks) || blocks[i+1].lang != "json" {
				t.Fatalf("no json block follows to show the answer; got %s", out)
			}
			var got, want any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("the answer is not JSON: %s", out)
			}
			if err := json.Unmarshal([]byte(blocks[i+1].text), &want); err != nil {
				t.Fatalf("the README's shown answer is not JSON: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the README shows\n%s\nbut the gateway answers\n%s", blocks[i+1].text, out)
			}
		})
	}
	if ran == 0 {
		t.Fatal("the README has no shell block that calls the gateway")
	}
}

type fenced struct{ lang, text string }

// fencedBlocks returns a Markdown document's ``` blocks in order.
func fencedBlocks(doc string) []fenced {
	var (
		out  []fenced
		cur  *fenced
		body strings.Builder
	)
	for _, line := range strings.Split(doc, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &fenced{lang: strings.TrimSpace(strings.TrimPrefix(line, "```"))}
			body.Reset()
		case cur != nil && strings.TrimSpace(line) == "```":
			cur.text = body.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(line + "\n")
		}
	}
	return out
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	if len(l) > 60 {
		l = l[:60]
	}
	return l
}
