package twilio

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
)

// benchInterval is the polling interval of the benchmark. Latency is
// bounded by it: the production default (10 s) gives a p95 near 10 s, so
// the account's poll_interval setting is the knob for a faster inbox.
const benchInterval = 250 * time.Millisecond

// BenchmarkInboundLatency measures the time from a message accepted by the
// (fake) Twilio API to the customer's timeline updated in the store (the
// Desk's Ingest committed, fsync included), over 200 SMS and WhatsApp
// messages arriving every 10 ms from 20 numbers while Sync polls every
// benchInterval. It reports the median and the 95th percentile in
// milliseconds.
func BenchmarkInboundLatency(b *testing.B) {
	const messages = 200
	e := newEnv(b)
	e.opts = Options{PollInterval: benchInterval}
	e.ch = e.channel()

	var mu sync.Mutex
	committed := map[string]time.Time{}
	arrived := make(chan struct{}, messages)
	e.sink.onDone = func(batch inbox.Batch, at time.Time) {
		mu.Lock()
		for _, in := range batch.Messages {
			committed[in.Message.ExternalID] = at
		}
		mu.Unlock()
		for range batch.Messages {
			arrived <- struct{}{}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- e.ch.Sync(ctx, e.sink, false) }()

	numbers := make([]string, 20)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("+336123456%02d", i)
	}
	var latencies []time.Duration
	for b.Loop() {
		var sids []string
		tick := time.NewTicker(10 * time.Millisecond)
		for i := range messages {
			<-tick.C
			from, to := numbers[i%len(numbers)], bizSMS
			if i%2 == 1 {
				from, to = "whatsapp:"+from, "whatsapp:"+bizWA
			}
			sids = append(sids, e.fake.AddInbound(from, to, fmt.Sprintf("message %d", i)).SID)
		}
		tick.Stop()
		for range messages {
			select {
			case <-arrived:
			case <-time.After(30 * time.Second):
				b.Fatal("messages did not reach the store")
			}
		}
		mu.Lock()
		for _, sid := range sids {
			latencies = append(latencies, committed[sid].Sub(e.fake.AcceptedAt(sid)))
		}
		mu.Unlock()
	}
	cancel()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	slices.Sort(latencies)
	p50 := latencies[len(latencies)/2]
	p95 := latencies[len(latencies)*95/100]
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	b.Logf("Twilio (poll every %v): %d messages, accepted → timeline: median %v, p95 %v", benchInterval, len(latencies), p50, p95)
}
