// Command byline is the composition root: it parses flags and environment
// into one Config, opens the store, builds the content service and the HTTP
// edge, and runs a subcommand. It is the only package that knows every
// adapter.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "byline:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "byline:", err)
		os.Exit(1)
	}
}
