package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
	"github.com/couture/couture/storage/storagetest"
	bolt "go.etcd.io/bbolt"
)

// benchSize returns the corpus size: 1,000,000 messages for 50,000
// customers by default; COUTURE_BENCH_MESSAGES scales it down for a quick run.
func benchSize() (messages, customers int) {
	messages, customers = 1_000_000, 50_000
	if s := os.Getenv("COUTURE_BENCH_MESSAGES"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			messages, customers = n, max(n/20, 1)
		}
	}
	return messages, customers
}

// BenchmarkLargeStore ingests a generated inbox and measures what a person
// feels: ingestion rate (beside a reference: the same messages put as JSON
// into a bare bbolt bucket, 5,000 per transaction), store size, open time,
// first timeline page of the busiest customer, and search latency.
func BenchmarkLargeStore(b *testing.B) {
	nmsg, ncust := benchSize()
	corpus := storagetest.Corpus{Customers: ncust, Messages: nmsg, Largest: nmsg / 50, Seed: 42}
	for range b.N {
		dir := b.TempDir()
		ctx := context.Background()

		// Reference: bare bbolt, same messages, same batch size.
		refStart := time.Now()
		ref, err := bolt.Open(filepath.Join(dir, "ref.db"), 0o600, &bolt.Options{NoFreelistSync: true})
		if err != nil {
			b.Fatal(err)
		}
		seq := uint64(0)
		err = corpus.Batches(5000, func(ms []inbox.Incoming) error {
			return ref.Update(func(tx *bolt.Tx) error {
				bk, err := tx.CreateBucketIfNotExists([]byte("m"))
				if err != nil {
					return err
				}
				for i := range ms {
					seq++
					v, _ := json.Marshal(&ms[i].Message)
					if err := bk.Put([]byte(fmt.Sprintf("%016x", seq)), v); err != nil {
						return err
					}
				}
				return nil
			})
		})
		ref.Close()
		if err != nil {
			b.Fatal(err)
		}
		refRate := float64(nmsg) / time.Since(refStart).Seconds()

		sdir := filepath.Join(dir, "store")
		s, err := storage.Open(sdir, nil)
		if err != nil {
			b.Fatal(err)
		}
		desk := inbox.NewDesk(s, nil)
		start := time.Now()
		if err := corpus.Fill(ctx, desk); err != nil {
			b.Fatal(err)
		}
		ingest := time.Since(start)
		rate := float64(nmsg) / ingest.Seconds()
		idxStart := time.Now()
		if err := s.WaitIndexed(ctx); err != nil {
			b.Fatal(err)
		}
		indexing := time.Since(idxStart)
		s.Close()
		fi, _ := os.Stat(filepath.Join(sdir, "couture.db"))

		openStart := time.Now()
		s, err = storage.Open(sdir, nil)
		if err != nil {
			b.Fatal(err)
		}
		desk = inbox.NewDesk(s, nil)
		opened := time.Since(openStart)
		cs, err := desk.Customers(inbox.Filter{})
		if err != nil {
			b.Fatal(err)
		}
		listed := time.Since(openStart) - opened
		busiest := cs[0]
		for _, c := range cs {
			if c.MessageCount > busiest.MessageCount {
				busiest = c
			}
		}
		pageStart := time.Now()
		p, err := desk.Timeline(busiest.ID, "", 50)
		if err != nil || len(p.Messages) != 50 {
			b.Fatalf("first page: %d messages, %v", len(p.Messages), err)
		}
		page := time.Since(pageStart)

		queries := []string{"gâteau chocolat", "livraison", "refund", "wedding cake", "allergie gluten", "caramel", "Client 17", "pistachio lemon", "horaires", "loyalty card"}
		var lat []time.Duration
		for range 5 {
			for _, q := range queries {
				t := time.Now()
				if _, err := desk.Search(ctx, q, 20); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
		}
		slices.Sort(lat)
		p95 := lat[len(lat)*95/100]
		s.Close()

		b.ReportMetric(rate, "msg/s")
		b.ReportMetric(rate/refRate, "x-bare-bbolt")
		b.ReportMetric(float64(fi.Size())/(1<<20), "MB")
		b.ReportMetric(float64(opened.Microseconds())/1000, "open-ms")
		b.ReportMetric(float64(page.Microseconds())/1000, "page-ms")
		b.ReportMetric(float64(p95.Microseconds())/1000, "search-p95-ms")
		fmt.Printf("\nLarge store: %d messages, %d customers (busiest: %d messages)\n", nmsg, len(cs), busiest.MessageCount)
		fmt.Printf("  ingestion          %8.0f msg/s   (bare bbolt reference %8.0f msg/s, ratio %.2f)\n", rate, refRate, rate/refRate)
		fmt.Printf("  indexing (bleve)   %8.0f msg/s   (%s, in the background)\n", float64(nmsg)/indexing.Seconds(), indexing.Round(time.Millisecond))
		fmt.Printf("  store size         %8.1f MB\n", float64(fi.Size())/(1<<20))
		fmt.Printf("  open               %8.1f ms\n", float64(opened.Microseconds())/1000)
		fmt.Printf("  customer list      %8.1f ms (%d customers, sorted by waiting)\n", float64(listed.Microseconds())/1000, len(cs))
		fmt.Printf("  first page         %8.1f ms (50 messages of the busiest customer)\n", float64(page.Microseconds())/1000)
		fmt.Printf("  search p95         %8.1f ms (median %.1f ms, %d queries)\n", float64(p95.Microseconds())/1000, float64(lat[len(lat)/2].Microseconds())/1000, len(lat))
	}
}
