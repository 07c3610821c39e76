package storage

import (
	"bytes"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkSmallBlobs stores e-mail-sized blobs (3.5 KB) in batches of 500,
// each batch committed as an ingestion commits it: the cost a first sync
// pays for keeping raw messages.
func BenchmarkSmallBlobs(b *testing.B) {
	s, err := Open(b.TempDir(), &Options{NoIndex: true, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := bytes.Repeat([]byte("Bonjour, ma commande n'est pas arrivée. "), 90)
	b.SetBytes(int64(len(body)))
	n := 0
	for b.Loop() {
		raw := append(fmt.Appendf(nil, "Message-ID: <%d@example.org>\r\n\r\n", n), body...)
		n++
		if _, _, err := s.Put(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
		if n%500 == 0 {
			if err := s.update(func(*bolt.Tx) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	}
}
