package cache

import (
	"sync"
	"testing"
)

func TestValidEntry(t *testing.T) {
	var s stamps
	e := &entry{Tags: []string{"Article:a", "list:Article"}, localStart: s.start()}
	steps := []struct {
		name  string
		apply []string
		want  bool
	}{
		{"nothing stamped since it began", nil, true},
		{"an unrelated tag stamped", []string{"Article:b"}, true},
		{"still valid, from memory", nil, true},
		{"one of its tags stamped", []string{"list:Article"}, false},
		{"stays invalid", nil, false},
		{"stays invalid after more stamps", []string{"Article:c"}, false},
	}
	for _, st := range steps {
		if st.apply != nil {
			s.apply(st.apply)
		}
		if got := s.validEntry(e); got != st.want {
			t.Fatalf("%s: validEntry = %v, want %v", st.name, got, st.want)
		}
	}
	if later := (&entry{Tags: e.Tags, localStart: s.start()}); !s.validEntry(later) {
		t.Fatal("an entry begun after the stamps is invalid")
	}
}

// TestValidEntryRacingApply: an entry checked while its tag is being stamped
// is never found valid once the stamp is visible.
func TestValidEntryRacingApply(t *testing.T) {
	for i := 0; i < 2000; i++ {
		var s stamps
		e := &entry{Tags: []string{"t"}, localStart: s.start()}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); s.apply([]string{"other"}); s.apply([]string{"t"}) }()
		go func() { defer wg.Done(); s.validEntry(e) }()
		wg.Wait()
		if s.validEntry(e) {
			t.Fatalf("run %d: entry still valid after its tag was stamped", i)
		}
	}
}
