package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/testenv"
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
		{"partners add", []string{"partners", "add", "acme", "--name", "Acme News", "--origins", "https://acme.example,http://localhost:3000"}, "partner acme added (2 origins)", "", false},
		{"partners add updates", []string{"partners", "add", "acme", "--name", "Acme", "--origins", "https://acme.example"}, "partner acme updated (1 origins)", "", false},
		{"partners add keeps omitted flags", []string{"partners", "add", "acme", "--origins", "https://acme.example,https://www.acme.example"}, "updated (2 origins)", "", false},
		{"partners add a bad origin", []string{"partners", "add", "bad", "--name", "Bad", "--origins", "ftp://x/y"}, "", "not an origin", false},
		{"partners add needs a name for a new partner", []string{"partners", "add", "nameless"}, "", "", true},
		{"partners add needs an id", []string{"partners", "add", "--name", "X"}, "", "", true},
		{"partners list", []string{"partners", "list"}, "acme  Acme  en      https://acme.example,https://www.acme.example", "", false},
		{"partners add an incentive file", []string{"partners", "add", "acme", "--incentive-url", "/widget/files/mongolia-mining-report.html", "--incentive-title", "Report", "--reply-to", "desk@acme.example"}, "partner acme updated", "", false},
		{"partners list shows the incentive", []string{"partners", "list"}, "https://www.acme.example  /widget/files/mongolia-mining-report.html", "", false},
		{"partners add a file the gateway lacks", []string{"partners", "add", "acme", "--incentive-url", "/widget/files/nope.pdf", "--incentive-title", "Nope"}, "", "has no file", false},
		{"partners add an incentive page", []string{"partners", "add", "acme", "--incentive-url", "https://acme.example/gift"}, "partner acme updated", "", false},
		{"partners add an incentive without a title", []string{"partners", "add", "untitled", "--name", "U", "--incentive-url", "https://u.example/gift"}, "", "incentive-title", false},
		{"partners add a bad reply address", []string{"partners", "add", "acme", "--reply-to", "not an address"}, "", "reply-to", false},
		{"subscribers export", []string{"subscribers", "export"}, "email,partner,status,consented_at,source_url,created_at\n", "", false},
		{"subscribers export with the status time", []string{"subscribers", "export", "--status-time"}, "email,partner,status,consented_at,source_url,created_at,status_at\n", "", false},
		{"subscribers forget", []string{"subscribers", "forget", "nobody@example.com"}, "erased 0 subscriptions", "", false},
		{"subscribers forget needs an address", []string{"subscribers", "forget"}, "", "", true},
		{"subscribers needs a subcommand", []string{"subscribers"}, "", "", true},
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

// TestCLIErrorsAreOneLine runs the real binary: a command line it cannot
// use exits 2 with one line on stderr that names the problem, never a bare
// usage dump.
func TestCLIErrorsAreOneLine(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cli.db")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "byline: no command given"},
		{"unknown command", []string{"frobnicate"}, `byline: unknown command "frobnicate"`},
		{"unknown flag", []string{"partners", "add", "demo", "--nmae", "X"}, "byline: partners add: flag provided but not defined: -nmae"},
		{"new partner without a name", []string{"partners", "add", "acme", "--origins", "https://acme.example"}, "byline: partners add: --name is required for a new partner"},
		{"partner without an id", []string{"partners", "add", "--name", "Acme"}, "byline: partners add: the partner's id is required (usage: byline partners add <id> [flags])"},
		{"keys without a name", []string{"keys", "create"}, "byline: keys create: --name is required"},
		{"import without a directory", []string{"import"}, "byline: import: want one directory"},
		{"a purge target of no known kind", []string{"serve", "--purge", "ftp://cdn.example/"}, `byline: serve: --purge "ftp://cdn.example/": unknown scheme "ftp"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runProcess(t, db, c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if c.name == "no command" { // the usage, then the one line
				lines = lines[len(lines)-1:]
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], c.want) {
				t.Errorf("stderr = %q, want one line starting %q", stderr, c.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
	t.Run("an update keeps what it does not name", func(t *testing.T) {
		if code, _, stderr := runProcess(t, db, "partners", "add", "acme", "--name", "Acme News", "--locale", "mn", "--accent", "#112233"); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if code, _, stderr := runProcess(t, db, "partners", "add", "acme", "--origins", "https://acme.example"); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		svc, store, err := openService(context.Background(), &Config{DB: db})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		p, err := svc.Partner(context.Background(), "acme")
		if err != nil || p == nil {
			t.Fatalf("partner: %v %v", p, err)
		}
		if p.Name != "Acme News" || p.Locale != "mn" || p.Theme.Accent != "#112233" || strings.Join(p.Origins, ",") != "https://acme.example" {
			t.Errorf("after the update: %+v", *p)
		}
	})
}

// runProcess runs the test binary as byline with args and returns its exit
// code and output.
func runProcess(t *testing.T, db string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "BYLINE_TEST_AS_BYLINE=1", "BYLINE_DATABASE_URL="+db)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatal(err)
	return 0, "", ""
}

func TestCSVCellNeutralisesFormulas(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain address", "reader@example.com", "reader@example.com"},
		{"empty", "", ""},
		{"equals", "=HYPERLINK(\"http://x\")@example.com", "'=HYPERLINK(\"http://x\")@example.com"},
		{"plus", "+1+1@example.com", "'+1+1@example.com"},
		{"minus", "-2@example.com", "'-2@example.com"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab", "\t=1", "'\t=1"},
		{"carriage return", "\r=1", "'\r=1"},
		{"formula later in the cell", "a=1@example.com", "a=1@example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := csvCell(c.in); got != c.want {
				t.Errorf("csvCell(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// TestSubscribersExportIsNotAFormula exports a real subscriber whose address
// a spreadsheet would run as a formula.
func TestSubscribersExportIsNotAFormula(t *testing.T) {
	env := map[string]string{"BYLINE_DATABASE_URL": filepath.Join(t.TempDir(), "csv.db")}
	cfg := &Config{DB: env["BYLINE_DATABASE_URL"], Now: testenv.Clock()}
	svc, db, err := openService(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := svc.EnsureDemoPartner(ctx); err != nil {
		t.Fatal(err)
	}
	const addr = "-2+3@example.com"
	res, err := svc.Subscribe(ctx, content.SubscribeInput{Email: addr, Partner: "demo", Consent: true, PageURL: "https://news.example.com/x"}, content.RequestMeta{IP: "192.0.2.1"})
	db.Close()
	if err != nil || res.Status != content.StatusPending {
		t.Fatalf("subscribe: %+v %v", res, err)
	}
	out, _, err := runCLI(t, env, "subscribers", "export")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "\n'"+addr+",demo,") {
		t.Errorf("export does not neutralise %q:\n%s", addr, out)
	}
}
