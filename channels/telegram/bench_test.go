package telegram

import (
	"context"
	"testing"
	"time"

	"github.com/couture/couture/internal/channeltest"
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

	arrivals := channeltest.NewArrivals(messages)
	e.Sink.OnDone = arrivals.Record
	ctx := context.Background()
	stop := e.Background(ctx, e.ch)
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
		arrivals.Wait(b, messages)
		for _, s := range batch {
			latencies = append(latencies, arrivals.At(s.ext).Sub(e.fake.AcceptedAt(s.id)))
		}
	}
	if err := stop(); err != nil {
		b.Fatal(err)
	}
	p50, p95 := channeltest.ReportLatency(b, latencies)
	b.Logf("Telegram: %d messages, accepted → timeline: median %v, p95 %v", len(latencies), p50, p95)
}
