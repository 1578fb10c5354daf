package main

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestKeysCLI creates, lists and revokes a key from the command line while
// a gateway serves the same database: the revoked key is refused on the
// very next request.
func TestKeysCLI(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "keys.db")
	a := newAppOn(t, dsn)
	env := map[string]string{"BYLINE_DATABASE_URL": dsn}
	cli := func(args ...string) string {
		t.Helper()
		out, _, err := runCLI(t, env, args...)
		if err != nil {
			t.Fatalf("byline %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	token := strings.TrimSpace(cli("keys", "create", "--name", "newsdesk"))
	other := strings.TrimSpace(cli("keys", "create", "--name", "sport"))
	id := strings.Split(token, "_")[1]

	row := func(list, id string) string {
		t.Helper()
		for _, line := range strings.Split(list, "\n") {
			if strings.HasPrefix(line, id+" ") {
				return strings.Join(strings.Fields(line), " ")
			}
		}
		t.Fatalf("keys list has no row for %s:\n%s", id, list)
		return ""
	}
	list := cli("keys", "list")
	if !strings.HasPrefix(list, "ID") || !strings.Contains(list, "LAST USED") || !strings.Contains(list, "REVOKED") {
		t.Fatalf("keys list header:\n%s", list)
	}
	rfc3339 := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`
	if r := row(list, id); !regexp.MustCompile(`^` + id + ` newsdesk ` + rfc3339 + ` never -$`).MatchString(r) {
		t.Fatalf("a new key's row = %q, want id, name, created, never used, not revoked", r)
	}

	const upsert = `mutation($in:ArticleInput!){upsertArticle(input:$in){slug}}`
	write := func(token, title string) string {
		t.Helper()
		r := a.query(upsert, map[string]any{"in": map[string]any{"slug": seedSlug, "title": title}}, "Authorization", "Bearer "+token)
		if r.code() == "" && len(r.Errors) > 0 {
			t.Fatalf("errors without a code: %s", r.Raw)
		}
		return r.code()
	}
	if code := write(token, "Before the revocation"); code != "" {
		t.Fatalf("a fresh key: %s", code)
	}
	if r := row(cli("keys", "list"), id); strings.Contains(r, "never") {
		t.Errorf("a used key's row = %q, want its last use", r)
	}

	out := cli("keys", "revoke", id)
	if !strings.Contains(out, "key "+id+" (newsdesk) revoked") {
		t.Errorf("revoke said %q", out)
	}
	if code := write(token, "After the revocation"); code != "UNAUTHENTICATED" {
		t.Fatalf("the next request with a revoked key: code %q, want UNAUTHENTICATED", code)
	}
	if code := write(other, "With another key"); code != "" {
		t.Fatalf("another key after a revocation: %s", code)
	}
	if r := row(cli("keys", "list"), id); !regexp.MustCompile(` ` + rfc3339 + `$`).MatchString(r) {
		t.Errorf("a revoked key's row = %q, want its revocation time last", r)
	}
	// Flags may come after the id, and again is harmless.
	if out := cli("keys", "revoke", id, "--db", dsn); !strings.Contains(out, "revoked") {
		t.Errorf("revoking again said %q", out)
	}

	cases := []struct {
		name    string
		args    []string
		usage   string // the usage error's start; "" for another error
		wantErr string
	}{
		{"no subcommand", []string{"keys"}, "keys: want a subcommand", ""},
		{"unknown subcommand", []string{"keys", "delete", id}, `keys: unknown subcommand "delete"`, ""},
		{"revoke without an id", []string{"keys", "revoke"}, "keys revoke: want one key id, got 0", ""},
		{"revoke two ids", []string{"keys", "revoke", id, "0123456789ab"}, "keys revoke: want one key id, got 2", ""},
		{"revoke an unknown flag", []string{"keys", "revoke", id, "--force"}, "keys revoke: flag provided but not defined", ""},
		{"list takes no arguments", []string{"keys", "list", "all"}, "keys list: takes no arguments", ""},
		{"revoke an unknown id", []string{"keys", "revoke", "0123456789ab"}, "", `keys revoke: no key with id "0123456789ab"`},
		{"revoke a malformed id", []string{"keys", "revoke", "newsdesk"}, "", "is not a key id"},
		{"create a name with an escape", []string{"keys", "create", "--name", "desk\x1b[2J"}, "", "control characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := runCLI(t, env, c.args...)
			switch {
			case c.usage != "":
				if !errors.Is(err, errUsage) || !strings.HasPrefix(err.Error(), c.usage) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("want one-line usage error %q…, got %v", c.usage, err)
				}
			case err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), c.wantErr):
				t.Fatalf("want an error containing %q, got %v", c.wantErr, err)
			}
		})
	}
}

// TestKeysCLIErrorsAreOneLine runs the real binary: exit 2 and one line.
func TestKeysCLIErrorsAreOneLine(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cli.db")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"revoke without an id", []string{"keys", "revoke"}, "byline: keys revoke: want one key id"},
		{"no subcommand", []string{"keys"}, "byline: keys: want a subcommand: byline keys create --name N | byline keys list | byline keys revoke <id>"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runProcess(t, db, c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], c.want) {
				t.Errorf("stderr = %q, want one line starting %q", stderr, c.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}
