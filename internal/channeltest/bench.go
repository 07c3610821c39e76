package channeltest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
)

// Arrivals records when each message reached the store, for the inbound
// latency benchmarks: Record is a Sink's OnDone.
type Arrivals struct {
	mu      sync.Mutex
	at      map[string]time.Time // by external id
	arrived chan struct{}        // one value a message
}

// NewArrivals returns Arrivals for bursts of at most n messages.
func NewArrivals(n int) *Arrivals {
	return &Arrivals{at: map[string]time.Time{}, arrived: make(chan struct{}, n)}
}

// Record notes that the messages of b were committed at at.
func (a *Arrivals) Record(b inbox.Batch, at time.Time) {
	a.mu.Lock()
	for _, in := range b.Messages {
		a.at[in.Message.ExternalID] = at
	}
	a.mu.Unlock()
	for range b.Messages {
		a.arrived <- struct{}{}
	}
}

// Wait blocks until n more messages have been committed; it fails the
// benchmark when none comes for 30 seconds.
func (a *Arrivals) Wait(tb testing.TB, n int) {
	tb.Helper()
	for range n {
		select {
		case <-a.arrived:
		case <-time.After(30 * time.Second):
			tb.Fatal("messages did not reach the store")
		}
	}
}

// At returns when the message with external id ext was committed (zero
// before it was).
func (a *Arrivals) At(ext string) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.at[ext]
}

// ReportLatency sorts latencies in place and reports their median and
// 95th percentile in milliseconds (metrics p50-ms and p95-ms), which it
// returns.
func ReportLatency(b *testing.B, latencies []time.Duration) (p50, p95 time.Duration) {
	slices.Sort(latencies)
	p50 = latencies[len(latencies)/2]
	p95 = latencies[len(latencies)*95/100]
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	return p50, p95
}
