package matrix

import (
	"fmt"
	"testing"
	"time"

	"github.com/couture/couture/internal/channeltest"
	"github.com/couture/couture/internal/dendrite"
)

// BenchmarkDeliveryLatency measures, over 200 messages per iteration, the
// time from a customer's message accepted by Dendrite (their send returned
// an event id) to the store's timeline holding it (the sink's commit
// returned), with the channel long-polling /sync as in production. It
// reports the median and the 95th percentile; the aim is p95 ≤ 1 s.
func BenchmarkDeliveryLatency(b *testing.B) {
	srv := dendrite.Start(b)
	biz := newBusiness(b, srv, "shopbench")
	cust := newPeer(b, srv, "benchcustomer")
	room := cust.createDM(biz.user)
	first := cust.say(room, "warm-up")
	stop := biz.run(biz.channel())
	biz.sink.waitFor(b, "the warm-up message", func() bool { return biz.has(cust.user, first) })

	const n = 200
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range n {
			id := cust.say(room, fmt.Sprintf("message %d/%d", i, j))
			accepted := time.Now()
			var done time.Time
			biz.sink.waitFor(b, "message "+id, func() bool {
				biz.sink.mu.Lock()
				defer biz.sink.mu.Unlock()
				var ok bool
				done, ok = biz.sink.committed[id]
				return ok
			})
			lat = append(lat, max(done.Sub(accepted), 0))
		}
	}
	b.StopTimer()
	if err := stop(); err != nil {
		b.Fatal(err)
	}
	p50, p95 := channeltest.ReportLatency(b, lat)
	b.ReportMetric(0, "ns/op")
	b.Logf("Matrix delivery over %d messages: median %v, p95 %v, max %v (aim: p95 ≤ 1s)", len(lat), p50, p95, lat[len(lat)-1])
}
