package twilio

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/couture/couture/internal/channeltest"
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

	arrivals := channeltest.NewArrivals(messages)
	e.Sink.OnDone = arrivals.Record
	stop := e.Background(context.Background(), e.ch)

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
		arrivals.Wait(b, messages)
		for _, sid := range sids {
			latencies = append(latencies, arrivals.At(sid).Sub(e.fake.AcceptedAt(sid)))
		}
	}
	if err := stop(); err != nil {
		b.Fatal(err)
	}
	p50, p95 := channeltest.ReportLatency(b, latencies)
	b.Logf("Twilio (poll every %v): %d messages, accepted → timeline: median %v, p95 %v", benchInterval, len(latencies), p50, p95)
}
