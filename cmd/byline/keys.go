package main

import (
	"context"
	"fmt"
	"io"
)

func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("keys: want a subcommand: byline keys create --name N [flags]")
	}
	var (
		cfg  Config
		name string
	)
	fs := flagSet("keys create", "keys create --name N [flags]", &cfg, getenv, stderr)
	fs.StringVar(&name, "name", "", "who the key is for, e.g. newsdesk (required)")
	if err := parse(fs, args[1:], &cfg); err != nil {
		return err
	}
	if name == "" {
		return usagef("keys create: --name is required")
	}
	svc, db, err := openService(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := svc.CreateKey(ctx, name)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, token)
	fmt.Fprintf(stderr, "editor key %q created; it is shown only this once. Send it as: Authorization: Bearer <key>\n", name)
	return nil
}
