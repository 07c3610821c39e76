package telegram

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
	fake "github.com/couture/couture/internal/fakes/telegram"
)

// BenchmarkInboundLatency measures the time from a message accepted by the
// (fake) Bot API to the customer's timeline updated in the store (the Desk's
// Ingest committed, fsync included), over 200 messages arriving every 5 ms
// from 20 people while Sync long-polls with its default options. It reports
// the median and the 95th percentile in milliseconds.
func BenchmarkInboundLatency(b *testing.B) {
	const messages = 200
	e := newEnv(b)
	e.opts = Options{} // production defaults: 25 s long poll
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
	if err := e.fake.WaitPolling(ctx); err != nil {
		b.Fatal(err)
	}

	people := make([]fake.User, 20)
	for i := range people {
		people[i] = fake.User{ID: 5600000000 + int64(i), FirstName: "Customer", LastName: itoa(int64(i))}
	}
	var latencies []time.Duration
	round := 0
	for b.Loop() {
		round++
		type sent struct {
			ext string
			id  int64
		}
		var batch []sent
		tick := time.NewTicker(5 * time.Millisecond)
		for i := range messages {
			<-tick.C
			u := e.fake.SendText(people[i%len(people)], "round "+itoa(int64(round))+" message "+itoa(int64(i)))
			batch = append(batch, sent{extID(u), u.UpdateID})
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
		for _, s := range batch {
			latencies = append(latencies, committed[s.ext].Sub(e.fake.AcceptedAt(s.id)))
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
	b.Logf("Telegram: %d messages, accepted → timeline: median %v, p95 %v", len(latencies), p50, p95)
}
