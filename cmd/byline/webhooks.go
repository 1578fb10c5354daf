package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/webhook"
)

const webhooksUsage = "byline webhooks add <id> --url URL --events E,E… | byline webhooks list | byline webhooks remove <id>"

func webhooksCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("webhooks: want a subcommand: %s", webhooksUsage)
	}
	switch args[0] {
	case "add":
		return webhooksAdd(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		return webhooksList(ctx, args[1:], getenv, stdout, stderr)
	case "remove":
		return webhooksRemove(ctx, args[1:], getenv, stdout, stderr)
	}
	return usagef("webhooks: unknown subcommand %q: want %s", args[0], webhooksUsage)
}

// leadingID takes the id a subcommand names before its flags ("webhooks
// add rebuild --url …"); the flag package stops at it otherwise. An id may
// also come after the flags.
func leadingID(args []string) ([]string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[:1:1], args[1:]
	}
	return nil, args
}

func webhooksAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "webhooks add <id> --url URL --events E,E… [flags]"
	var (
		cfg         Config
		rawURL, evs string
	)
	fs := flagSet("webhooks add", usage, &cfg, getenv, stderr)
	fs.StringVar(&rawURL, "url", "", "where events are POSTed: an absolute http(s) URL (required)")
	fs.StringVar(&evs, "events", "", "comma-separated events to send, of "+kinds()+" (required)")
	id, rest := leadingID(args)
	if err := parse(fs, rest, &cfg); err != nil {
		return err
	}
	ids := append(id, fs.Args()...)
	switch {
	case len(ids) != 1:
		return usagef("webhooks add: want one webhook id, got %d (usage: byline %s)", len(ids), usage)
	case rawURL == "":
		return usagef("webhooks add: --url is required (usage: byline %s)", usage)
	case evs == "":
		return usagef("webhooks add: --events is required: name some of %s", kinds())
	}
	var events []content.ChangeKind
	for e := range strings.SplitSeq(evs, ",") {
		if e = strings.TrimSpace(e); e != "" {
			events = append(events, content.ChangeKind(e))
		}
	}
	svc, db, err := openService(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	secret, err := svc.AddWebhook(ctx, ids[0], rawURL, events)
	if errors.Is(err, content.ErrWebhookExists) {
		return fmt.Errorf("webhooks add: webhook %q exists: remove it first, or pick another id (see byline webhooks list)", ids[0])
	}
	if err != nil {
		return fmt.Errorf("webhooks add: %w", err)
	}
	fmt.Fprintln(stdout, secret)
	fmt.Fprintf(stderr, "webhook %q added: %s → %s. Its signing secret is shown only this once: check each %s against it.\n",
		ids[0], evs, rawURL, webhook.SignatureHeader)
	return nil
}

func kinds() string {
	var out []string
	for _, k := range content.WebhookEvents() {
		out = append(out, string(k))
	}
	return strings.Join(out, ",")
}

func webhooksList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flagSet("webhooks list", "webhooks list [flags]", &cfg, getenv, stderr)
	if err := parse(fs, args, &cfg); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("webhooks list: takes no arguments, got %q (usage: byline webhooks list)", fs.Arg(0))
	}
	svc, db, err := openService(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := svc.Webhooks(ctx)
	if err != nil {
		return fmt.Errorf("webhooks list: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tURL\tEVENTS\tCREATED\tPENDING\tFAILED")
	for _, w := range list {
		evs := make([]string, len(w.Events))
		for i, e := range w.Events {
			evs[i] = string(e)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", w.ID, w.URL, strings.Join(evs, ","), w.CreatedAt.UTC().Format(time.RFC3339), w.Pending, w.Failed)
	}
	return tw.Flush()
}

func webhooksRemove(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "webhooks remove <id> [flags]"
	var cfg Config
	fs := flagSet("webhooks remove", usage, &cfg, getenv, stderr)
	id, rest := leadingID(args)
	if err := parse(fs, rest, &cfg); err != nil {
		return err
	}
	ids := append(id, fs.Args()...)
	if len(ids) != 1 {
		return usagef("webhooks remove: want one webhook id, got %d (usage: byline %s)", len(ids), usage)
	}
	svc, db, err := openService(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	err = svc.RemoveWebhook(ctx, ids[0])
	if content.IsNotFound(err) {
		return fmt.Errorf("webhooks remove: no webhook %q (see byline webhooks list)", ids[0])
	}
	if err != nil {
		return fmt.Errorf("webhooks remove: %w", err)
	}
	fmt.Fprintf(stdout, "webhook %s removed, with what was still queued for it\n", ids[0])
	return nil
}

// runWebhooks queues and sends webhook deliveries until ctx ends.
func runWebhooks(ctx context.Context, svc *content.Service, log *slog.Logger) {
	webhook.Run(ctx, svc, log, webhook.Options{})
}
