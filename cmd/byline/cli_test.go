package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return out.String(), errb.String(), err
}

func TestCLI(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"BYLINE_DATABASE_URL": filepath.Join(dir, "cli.db")}
	articles := filepath.Join(dir, "articles")
	if err := os.MkdirAll(articles, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(articles, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("one.md", "---\ntitle: One\nsection: news\npublished: 2024-01-01\n---\nText.\n")

	cases := []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
		usage   bool
	}{
		{"no command", nil, "", "", true},
		{"unknown command", []string{"frobnicate"}, "", "", true},
		{"version", []string{"version"}, "byline", "", false},
		{"version --help", []string{"version", "--help"}, "usage: byline version", "", false},
		{"version takes no arguments", []string{"version", "now"}, "", "", true},
		{"import", []string{"import", articles}, "imported 1 articles", "", false},
		{"import again is idempotent", []string{"import", articles}, "imported 1 articles", "", false},
		{"import needs a dir", []string{"import"}, "", "", true},
		{"import a missing dir", []string{"import", filepath.Join(dir, "nope")}, "", "not a directory", false},
		{"keys create", []string{"keys", "create", "--name", "desk"}, "byl_", "", false},
		{"keys create needs a name", []string{"keys", "create"}, "", "", true},
		{"bad redis url", []string{"import", "--redis", "http://x", articles}, "", "--redis", false},
		{"partners add", []string{"partners", "add", "acme", "--name", "Acme News", "--origins", "https://acme.example,http://localhost:3000"}, "partner acme saved (2 origins)", "", false},
		{"partners add updates", []string{"partners", "add", "acme", "--name", "Acme", "--origins", "https://acme.example"}, "(1 origins)", "", false},
		{"partners add a bad origin", []string{"partners", "add", "bad", "--name", "Bad", "--origins", "ftp://x/y"}, "", "not an origin", false},
		{"partners add needs a name", []string{"partners", "add", "acme"}, "", "", true},
		{"partners list", []string{"partners", "list"}, "acme  Acme", "", false},
		{"subscribers export", []string{"subscribers", "export"}, "email,partner,status,consented_at,source_url,created_at\n", "", false},
		{"subscribers export one partner", []string{"subscribers", "export", "--partner", "acme"}, "email,partner,status", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := runCLI(t, env, c.args...)
			switch {
			case c.usage:
				if !errors.Is(err, errUsage) {
					t.Fatalf("want a usage error, got %v", err)
				}
			case c.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want error %q, got %v", c.wantErr, err)
				}
			case err != nil:
				t.Fatal(err)
			}
			if !strings.Contains(out, c.wantOut) {
				t.Fatalf("stdout %q lacks %q", out, c.wantOut)
			}
		})
	}
	t.Run("bad batch names the file and writes nothing", func(t *testing.T) {
		write("two.md", "---\ntitle: Two\nsection: news\npublished: 2024-01-02\n---\nText.\n")
		write("three.md", "---\ntitle: [unclosed\n---\n")
		_, _, err := runCLI(t, env, "import", articles)
		if err == nil || !strings.Contains(err.Error(), "three.md") {
			t.Fatalf("want an error naming three.md, got %v", err)
		}
		svc, db, _ := openService(context.Background(), &Config{DB: env["BYLINE_DATABASE_URL"]})
		defer db.Close()
		if a, _ := svc.Article(context.Background(), "two"); a != nil {
			t.Fatal("two.md was imported from a failed batch")
		}
	})
	t.Run("help", func(t *testing.T) {
		for _, cmd := range [][]string{{"serve", "--help"}, {"import", "--help"}, {"keys", "create", "--help"}} {
			_, stderr, err := runCLI(t, env, cmd...)
			if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "BYLINE_DATABASE_URL") {
				t.Errorf("%v: %v, %q", cmd, err, stderr)
			}
		}
	})
}
