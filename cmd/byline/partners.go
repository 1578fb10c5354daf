package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bylinehq/byline/content"
)

func partnersCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list") {
		fmt.Fprint(stderr, "usage: byline partners add <id> --name N --origins O,O… | byline partners list\n")
		return errUsage
	}
	var (
		cfg                     Config
		name, origins, locale   string
		accent, background, txt string
	)
	fs := flagSet("partners "+args[0], "partners "+args[0]+" [flags]", &cfg, getenv, stderr)
	if args[0] == "add" {
		fs.StringVar(&name, "name", "", "the partner's name (required)")
		fs.StringVar(&origins, "origins", "", "comma-separated origins allowed to embed the widget, e.g. https://news.example.com")
		fs.StringVar(&locale, "locale", "en", "the widget's default locale: en or mn")
		fs.StringVar(&accent, "accent", "", "theme accent colour, #rrggbb")
		fs.StringVar(&background, "background", "", "theme background colour, #rrggbb")
		fs.StringVar(&txt, "text", "", "theme text colour, #rrggbb")
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
		fmt.Fprintln(tw, "ID\tNAME\tLOCALE\tORIGINS")
		for _, p := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ID, p.Name, p.Locale, strings.Join(p.Origins, ","))
		}
		return tw.Flush()
	}
	if id == "" || name == "" {
		fs.Usage()
		return errUsage
	}
	var list []string
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			list = append(list, o)
		}
	}
	p := content.Partner{ID: id, Name: name, Origins: list, Locale: locale,
		Theme: content.Theme{Accent: accent, Background: background, Text: txt}}
	if err := a.svc.SavePartner(ctx, p); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "partner %s saved (%d origins); running gateways see it within 5 s\n", id, len(list))
	return nil
}

func subscribersCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprint(stderr, "usage: byline subscribers export [--partner P]\n")
		return errUsage
	}
	var (
		cfg     Config
		partner string
	)
	fs := flagSet("subscribers export", "subscribers export [--partner P] [flags]", &cfg, getenv, stderr)
	fs.StringVar(&partner, "partner", "", "only this partner's subscribers")
	if err := parse(fs, args[1:], &cfg); err != nil {
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
	_ = w.Write([]string{"email", "partner", "status", "consented_at", "source_url", "created_at"})
	for _, s := range subs {
		_ = w.Write([]string{s.Email, s.Partner, s.Status, s.ConsentedAt.Format(time.RFC3339), s.SourceURL, s.CreatedAt.Format(time.RFC3339)})
	}
	w.Flush()
	return w.Error()
}
