package inbox

import "time"

// t0 is the fixed start of every test story: 29 March 2026, 09:00 UTC.
var t0 = time.Date(2026, 3, 29, 9, 0, 0, 0, time.UTC)

// at returns t0 plus min minutes; min < 0 stands for "no time" (zero).
func at(min int) time.Time {
	if min < 0 {
		return time.Time{}
	}
	return t0.Add(time.Duration(min) * time.Minute)
}

// minutes renders t as minutes after t0 for failure messages, -1 for zero.
func minutes(t time.Time) int {
	if t.IsZero() {
		return -1
	}
	return int(t.Sub(t0) / time.Minute)
}
