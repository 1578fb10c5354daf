package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/server"
)

func partnersCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list") {
		return usagef("partners: want a subcommand: byline partners add <id> [flags] | byline partners list")
	}
	var (
		cfg                     Config
		name, origins, locale   string
		accent, background, txt string
		incentiveURL, title     string
		replyTo                 string
	)
	usage := "partners list [flags]"
	if args[0] == "add" {
		usage = "partners add <id> [flags]"
	}
	fs := flagSet("partners "+args[0], usage, &cfg, getenv, stderr)
	if args[0] == "add" {
		fs.StringVar(&name, "name", "", "the partner's name (required for a new partner)")
		fs.StringVar(&origins, "origins", "", "comma-separated origins allowed to embed the widget, e.g. https://news.example.com")
		fs.StringVar(&locale, "locale", "en", "the widget's default locale: en or mn")
		fs.StringVar(&accent, "accent", "", "theme accent colour, #rrggbb")
		fs.StringVar(&background, "background", "", "theme background colour, #rrggbb")
		fs.StringVar(&txt, "text", "", "theme text colour, #rrggbb")
		fs.StringVar(&incentiveURL, "incentive-url", "", "what a reader gets for confirming, linked only after the confirmation: an http(s) URL, or "+
			content.FilesPath+"NAME for a file the gateway serves (linked signed, for 7 days); \"\" removes it")
		fs.StringVar(&title, "incentive-title", "", "the incentive link's text, e.g. \"Mining report 2025\" (required with --incentive-url)")
		fs.StringVar(&replyTo, "reply-to", "", "the Reply-To of the partner's emails, e.g. editors@example.com; \"\" for none")
	}
	// The id comes first: "partners add acme --name …".
	rest := args[1:]
	id := ""
	if args[0] == "add" && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		id, rest = rest[0], rest[1:]
	}
	if err := parse(fs, rest, &cfg); err != nil {
		return err
	}
	if args[0] == "add" && id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
	}
	if args[0] == "add" && id == "" {
		return usagef("partners add: the partner's id is required (usage: byline %s)", usage)
	}
	a, err := openApp(ctx, &cfg, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer a.Close()
	if args[0] == "list" {
		list, err := a.svc.Partners(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tLOCALE\tORIGINS\tINCENTIVE")
		for _, p := range list {
			incentive := "-"
			if p.IncentiveURL != "" {
				incentive = p.IncentiveURL
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.ID, p.Name, p.Locale, strings.Join(p.Origins, ","), incentive)
		}
		return tw.Flush()
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	old, err := a.svc.Partner(ctx, id)
	if err != nil {
		return err
	}
	// An update changes what its flags name and keeps the rest.
	p := content.Partner{ID: id, Locale: locale}
	if old != nil {
		p = *old
		p.Origins = append([]string(nil), old.Origins...)
	} else if !set["name"] {
		return usagef("partners add: --name is required for a new partner")
	}
	if set["name"] {
		p.Name = name
	}
	if set["origins"] {
		p.Origins = splitList(origins)
	}
	if set["locale"] {
		p.Locale = locale
	}
	for flagName, v := range map[string]*string{"accent": &p.Theme.Accent, "background": &p.Theme.Background, "text": &p.Theme.Text,
		"incentive-url": &p.IncentiveURL, "incentive-title": &p.IncentiveTitle, "reply-to": &p.ReplyTo} {
		if set[flagName] {
			*v = fs.Lookup(flagName).Value.String()
		}
	}
	// A file of the gateway's must be one it has, or every reader who
	// confirms gets a dead link.
	if file, ok := strings.CutPrefix(strings.TrimSpace(p.IncentiveURL), content.FilesPath); ok && !server.ServesFile(file) {
		return fmt.Errorf("partners add %s: --incentive-url: the gateway has no file %q (it has: %s)", id, file, strings.Join(server.Files(), ", "))
	}
	if err := a.svc.SavePartner(ctx, p); err != nil {
		return fmt.Errorf("partners add %s: %w", id, err)
	}
	verb := "added"
	if old != nil {
		verb = "updated"
	}
	fmt.Fprintf(stdout, "partner %s %s (%d origins); running gateways see it within 5 s\n", id, verb, len(p.Origins))
	return nil
}

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var list []string
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimSpace(o); o != "" {
			list = append(list, o)
		}
	}
	return list
}

func subscribersCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const want = "subscribers: want a subcommand: byline subscribers export [--partner P] [--status-time] | byline subscribers forget <email>"
	if len(args) == 0 {
		return usagef(want)
	}
	switch args[0] {
	case "export":
		return exportSubscribers(ctx, args[1:], getenv, stdout, stderr)
	case "forget":
		return forgetSubscriber(ctx, args[1:], getenv, stdout, stderr)
	}
	return usagef(want)
}

func exportSubscribers(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		cfg        Config
		partner    string
		statusTime bool
	)
	fs := flagSet("subscribers export", "subscribers export [--partner P] [--status-time] [flags]", &cfg, getenv, stderr)
	fs.StringVar(&partner, "partner", "", "only this partner's subscribers")
	fs.BoolVar(&statusTime, "status-time", false, "add a status_at column: when the status began (sign-up, confirmation or unsubscription)")
	if err := parse(fs, args, &cfg); err != nil {
		return err
	}
	svc, db, err := openService(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	subs, err := svc.Subscribers(ctx, partner)
	if err != nil {
		return err
	}
	w := csv.NewWriter(stdout)
	// The header is the public contract's: the status time is a column
	// only when asked for, so that a consumer reading the six columns by
	// position keeps working.
	header := []string{"email", "partner", "status", "consented_at", "source_url", "created_at"}
	if statusTime {
		header = append(header, "status_at")
	}
	_ = w.Write(header)
	for _, s := range subs {
		row := []string{csvCell(s.Email), csvCell(s.Partner), content.ExportStatus(s.Status), s.ConsentedAt.Format(time.RFC3339),
			csvCell(s.SourceURL), s.CreatedAt.Format(time.RFC3339)}
		if statusTime {
			row = append(row, s.StatusAt().Format(time.RFC3339))
		}
		_ = w.Write(row)
	}
	w.Flush()
	return w.Error()
}

// forgetSubscriber erases a person (GDPR Art. 17): every subscription of
// the address goes, and only a keyed hash of it stays, so that the form
// cannot sign them up again.
func forgetSubscriber(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flagSet("subscribers forget", "subscribers forget <email> [flags]", &cfg, getenv, stderr)
	rest := args
	email := ""
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		email, rest = rest[0], rest[1:]
	}
	if err := parse(fs, rest, &cfg); err != nil {
		return err
	}
	if email == "" && fs.NArg() > 0 {
		email = fs.Arg(0)
	}
	if email == "" {
		return usagef("subscribers forget: the address is required (usage: byline subscribers forget <email>)")
	}
	svc, db, err := openService(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := svc.Forget(ctx, email)
	if err != nil {
		return fmt.Errorf("subscribers forget: %w", err)
	}
	fmt.Fprintf(stdout, "erased %d subscriptions and their emails; only a keyed hash of the address is kept, so sign-ups in its name are ignored\n", n)
	return nil
}

// csvCell keeps a reader-supplied value from running as a formula when the
// export is opened in a spreadsheet (OWASP "CSV injection"): a cell that
// starts with a formula trigger gets a leading apostrophe, which Excel,
// LibreOffice and Google Sheets show as text.
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
