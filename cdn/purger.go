// Package cdn purges a CDN by surrogate key after every committed write:
// Varnish (xkey), Fastly and Cloudflare. Its outbox is the invalidation log
// itself: the purger keeps a cursor in the database and moves it only once
// a batch's purge has landed, so a CDN that is down loses nothing; its
// purges wait, are retried with backoff and are sent coalesced.
package cdn

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/bylinehq/byline/content"
)

// Log is what the purger reads and where it keeps its place.
type Log interface {
	Invalidations(ctx context.Context, after int64, limit int) ([]content.Invalidation, error)
	LastInvalidation(ctx context.Context) (int64, error)
	Cursor(ctx context.Context, name string) (id int64, at time.Time, ok bool, err error)
	MoveCursor(ctx context.Context, name string, from, to int64, at time.Time) (bool, error)
}

// Target sends one purge of keys.
type Target interface {
	Purge(ctx context.Context, keys []string) error
	String() string
}

const (
	cursorName = "cdn-purge"
	batch      = 200 // writes coalesced into one purge
	// logLife is a little less than the invalidation log keeps its rows
	// (an hour): a purger that has not moved for longer may have missed
	// writes, and purges everything instead.
	logLife    = 50 * time.Minute
	maxBackoff = 30 * time.Second
	idleMark   = 10 * time.Minute
)

// everything is the tag every cached answer carries.
const everything = "all"

// Purger moves the cursor through the invalidation log, purging as it goes.
type Purger struct {
	log    Log
	target Target
	logger *slog.Logger
	poll   time.Duration
	now    func() time.Time
}

// New builds a purger; poll is how often it looks for new writes.
func New(log Log, target Target, logger *slog.Logger, poll time.Duration) *Purger {
	return &Purger{log: log, target: target, logger: logger, poll: poll, now: time.Now}
}

// Run purges until ctx ends.
func (p *Purger) Run(ctx context.Context) {
	backoff := p.poll
	for {
		err := p.Step(ctx)
		wait := p.poll
		if err != nil {
			p.logger.Warn("cdn: purge failed; retrying", "target", p.target.String(), "err", err, "in", backoff)
			wait, backoff = backoff, min(2*backoff, maxBackoff)
		} else {
			backoff = p.poll
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Step purges the writes after the cursor, one coalesced batch at a time,
// until none is left or a purge fails.
func (p *Purger) Step(ctx context.Context) error {
	for {
		from, at, ok, err := p.log.Cursor(ctx, cursorName)
		if err != nil {
			return err
		}
		if !ok {
			// A purger's first start: what was written before it is
			// not its to purge.
			last, err := p.log.LastInvalidation(ctx)
			if err != nil {
				return err
			}
			if _, err := p.log.MoveCursor(ctx, cursorName, 0, last, p.now()); err != nil {
				return err
			}
			continue
		}
		invs, err := p.log.Invalidations(ctx, from, batch)
		if err != nil {
			return err
		}
		if len(invs) == 0 {
			if p.now().Sub(at) > idleMark {
				// Nothing to purge: say so now and then, so that a long
				// quiet spell is not taken for a purger that was away.
				_, err = p.log.MoveCursor(ctx, cursorName, from, from, p.now())
			}
			return err
		}
		keys := coalesce(invs)
		if p.now().Sub(at) > logLife {
			keys = []string{everything} // the log may have dropped writes since
		}
		if len(keys) > 0 { // a change that touched no cached answer purges nothing
			if err := p.target.Purge(ctx, keys); err != nil {
				return fmt.Errorf("cdn: purge %d keys: %w", len(keys), err)
			}
		}
		to := invs[len(invs)-1].ID
		moved, err := p.log.MoveCursor(ctx, cursorName, from, to, p.now())
		if err != nil {
			return err
		}
		if moved {
			p.logger.Debug("cdn: purged", "writes", len(invs), "keys", len(keys), "through", to)
		}
	}
}

// coalesce is the distinct tags of a batch of writes, in a stable order.
func coalesce(invs []content.Invalidation) []string {
	seen := map[string]bool{}
	var keys []string
	for _, inv := range invs {
		for _, t := range inv.Tags {
			if !seen[t] {
				seen[t] = true
				keys = append(keys, t)
			}
		}
	}
	slices.Sort(keys)
	if seen[everything] {
		return []string{everything}
	}
	return keys
}

// chunks splits keys into groups of at most n keys and size bytes joined.
func chunks(keys []string, n, size int) [][]string {
	var out [][]string
	var cur []string
	length := 0
	for _, k := range keys {
		if len(cur) > 0 && (len(cur) == n || length+1+len(k) > size) {
			out = append(out, cur)
			cur, length = nil, 0
		}
		cur = append(cur, k)
		length += len(k) + 1
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

var client = &http.Client{Timeout: 10 * time.Second}
