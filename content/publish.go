package content

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// PublishStore is what publishing on time needs of the store.
type PublishStore interface {
	// NextPublication is the earliest publication time not yet
	// announced (after now, before any announcement); ok is false when
	// there is none.
	NextPublication(ctx context.Context, now time.Time) (time.Time, bool, error)
	// AnnounceDue logs, once across gateways, the invalidation build makes
	// of the stories whose time came since the last announcement. last is
	// the kind of each due story's latest change the log still keeps.
	AnnounceDue(ctx context.Context, now time.Time, build func(due []*ArticleRecord, last map[string]ChangeKind) *Invalidation) (*Invalidation, error)
}

// scheduleFor is how long the next publication time is trusted between
// looks at the store. Every write, here or on another gateway, makes it
// look again at once (ScheduleChanged); this only bounds how long a missed
// notice can last.
const scheduleFor = 30 * time.Second

// schedule remembers the next publication time.
type schedule struct {
	mu     sync.Mutex
	read   time.Time // when next was read; zero: not known
	next   time.Time
	exists bool
	// begun: this service has announced once. Until then it announces on
	// its first look even when nothing is due, so that a store that never
	// announced starts counting from that look, not from the first story
	// due (which the first announcement, announcing nothing, would lose).
	begun bool
}

func (s *schedule) forget() {
	s.mu.Lock()
	s.read = time.Time{}
	s.mu.Unlock()
}

// NextChange is when the next scheduled publication can change public
// answers; ok is false when nothing is scheduled. Every cached answer must
// be fresh at most until then: a list, an article's null, a related list
// computed before it would otherwise stay fresh after it.
func (s *Service) NextChange(ctx context.Context) (time.Time, bool, error) {
	ps := s.store.Publish
	if ps == nil {
		return time.Time{}, false, nil
	}
	now := s.cfg.Now()
	s.sched.mu.Lock()
	if !s.sched.read.IsZero() && now.Sub(s.sched.read) < scheduleFor && now.Sub(s.sched.read) >= 0 {
		next, exists := s.sched.next, s.sched.exists
		s.sched.mu.Unlock()
		return next, exists, nil
	}
	s.sched.mu.Unlock()
	next, exists, err := ps.NextPublication(ctx, now)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("content: next change: %w", err)
	}
	s.sched.mu.Lock()
	s.sched.read, s.sched.next, s.sched.exists = now, next, exists
	s.sched.mu.Unlock()
	return next, exists, nil
}

// Now is the domain's clock: what "published" and "scheduled" are
// measured against.
func (s *Service) Now() time.Time { return s.cfg.Now() }

// ScheduleChanged drops the remembered next publication: a write (here or
// on another gateway) may have scheduled a story sooner.
func (s *Service) ScheduleChanged() { s.sched.forget() }

// PublishDue announces the stories whose publication time has come: it
// invalidates as their write would (the story, its section, tags, authors
// and every list, which also drops related lists), once across gateways,
// and brings the related index up to date. It asks the store only when the
// remembered next publication is due (and once on its first call, which
// starts the schedule of a store that never announced), so calling it
// often is cheap.
func (s *Service) PublishDue(ctx context.Context) (int, error) {
	ps := s.store.Publish
	if ps == nil {
		return 0, nil
	}
	next, exists, err := s.NextChange(ctx)
	if err != nil {
		return 0, err
	}
	s.sched.mu.Lock()
	begun := s.sched.begun
	s.sched.mu.Unlock()
	if begun && (!exists || next.After(s.cfg.Now())) {
		return 0, nil
	}
	var n int
	inv, err := ps.AnnounceDue(ctx, s.cfg.Now(), func(due []*ArticleRecord, last map[string]ChangeKind) *Invalidation {
		n = len(due)
		inv := &Invalidation{Tags: writeTags(due...)}
		inv.Kind, inv.Slugs = wentLive(due, last)
		return inv
	})
	s.sched.forget()
	if err != nil {
		return 0, fmt.Errorf("content: publish due: %w", err)
	}
	s.sched.mu.Lock()
	s.sched.begun = true
	s.sched.mu.Unlock()
	if inv != nil {
		s.invalidated(ctx, inv)
	}
	return n, nil
}
