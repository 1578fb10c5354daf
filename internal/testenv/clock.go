package testenv

import (
	"fmt"
	"os"
	"time"
)

// ClockShiftEnv moves every test's "now" by a duration (e.g. 8760h), so CI
// can prove that no test depends on the day it runs.
const ClockShiftEnv = "BYLINE_TEST_CLOCK_SHIFT"

// Shift is the duration BYLINE_TEST_CLOCK_SHIFT asks for, zero when unset.
// A malformed value panics: a run meant to be shifted must not pass
// unshifted by accident.
func Shift() time.Duration {
	v := os.Getenv(ClockShiftEnv)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		panic(fmt.Sprintf("%s=%q: %v", ClockShiftEnv, v, err))
	}
	return d
}

// Clock is the wall clock moved by Shift: the clock a test hands to the
// domain when it wants "now", whatever day that is.
func Clock() func() time.Time {
	d := Shift()
	return func() time.Time { return time.Now().Add(d) }
}

// Fixed is a clock that always says t: for goldens whose scores decay with
// age.
func Fixed(t time.Time) func() time.Time {
	return func() time.Time { return t }
}
