package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bylinehq/byline/content"
)

const keysUsage = "byline keys create --name N | byline keys list | byline keys revoke <id>"

func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("keys: want a subcommand: %s", keysUsage)
	}
	switch args[0] {
	case "create":
		return keysCreate(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		return keysList(ctx, args[1:], getenv, stdout, stderr)
	case "revoke":
		return keysRevoke(ctx, args[1:], getenv, stdout, stderr)
	}
	return usagef("keys: unknown subcommand %q: want %s", args[0], keysUsage)
}

func keysCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		cfg  Config
		name string
	)
	fs := flagSet("keys create", "keys create --name N [flags]", &cfg, getenv, stderr)
	fs.StringVar(&name, "name", "", "who the key is for, e.g. newsdesk (required)")
	if err := parse(fs, args, &cfg); err != nil {
		return err
	}
	if name == "" {
		return usagef("keys create: --name is required")
	}
	if fs.NArg() > 0 {
		return usagef("keys create: takes no arguments, got %q (usage: byline keys create --name N)", fs.Arg(0))
	}
	svc, db, err := openService(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := svc.CreateKey(ctx, name)
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	fmt.Fprintln(stdout, token)
	fmt.Fprintf(stderr, "editor key %q created; it is shown only this once. Send it as: Authorization: Bearer <key>\n", name)
	return nil
}

func keysList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flagSet("keys list", "keys list [flags]", &cfg, getenv, stderr)
	if err := parse(fs, args, &cfg); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("keys list: takes no arguments, got %q (usage: byline keys list)", fs.Arg(0))
	}
	svc, db, err := openService(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := svc.Keys(ctx)
	if err != nil {
		return fmt.Errorf("keys list: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED\tLAST USED\tREVOKED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.CreatedAt.UTC().Format(time.RFC3339), stamp(k.LastUsedAt, "never"), stamp(k.RevokedAt, "-"))
	}
	return tw.Flush()
}

// stamp shows an optional time, or none when it is unset.
func stamp(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}

func keysRevoke(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	const usage = "keys revoke <id> [flags]"
	fs := flagSet("keys revoke", usage, &cfg, getenv, stderr)
	// The id comes first, "keys revoke 3f2a… --db …", or after the flags.
	var ids []string
	rest := args
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		ids, rest = rest[:1], rest[1:]
	}
	if err := parse(fs, rest, &cfg); err != nil {
		return err
	}
	ids = append(ids, fs.Args()...)
	if len(ids) != 1 {
		return usagef("keys revoke: want one key id, got %d (usage: byline %s; ids are in byline keys list)", len(ids), usage)
	}
	svc, db, err := openService(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	k, err := svc.RevokeKey(ctx, ids[0])
	if content.IsNotFound(err) {
		return fmt.Errorf("keys revoke: no key with id %q (see byline keys list)", ids[0])
	}
	if err != nil {
		return fmt.Errorf("keys revoke: %w", err)
	}
	fmt.Fprintf(stdout, "key %s (%s) revoked at %s; requests with it are refused from now on\n", k.ID, k.Name, stamp(k.RevokedAt, ""))
	return nil
}
