package storage_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
	"github.com/couture/couture/storage/storagetest"
	bolt "go.etcd.io/bbolt"
)

// storeState is everything a store gives back about its customers and
// messages.
type storeState struct {
	Customers []inbox.Customer
	Timelines map[inbox.CustomerID][]inbox.Message
	Outbox    []inbox.Message
}

func readState(tb testing.TB, s *storage.Store) storeState {
	tb.Helper()
	cs, err := s.Customers()
	if err != nil {
		tb.Fatalf("customers: %v", err)
	}
	st := storeState{Customers: cs, Timelines: map[inbox.CustomerID][]inbox.Message{}}
	for _, c := range cs {
		p, err := s.Timeline(c.ID, "", 1000)
		if err != nil {
			tb.Fatalf("timeline %d: %v", c.ID, err)
		}
		st.Timelines[c.ID] = p.Messages
	}
	if st.Outbox, err = s.Outbox(); err != nil {
		tb.Fatalf("outbox: %v", err)
	}
	return st
}

// recordFormats returns the first byte of every customer and message
// record, by bucket and key.
func recordFormats(tb testing.TB, dir string) map[string]map[uint64]byte {
	tb.Helper()
	db, err := bolt.Open(filepath.Join(dir, "couture.db"), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	out := map[string]map[uint64]byte{}
	err = db.View(func(tx *bolt.Tx) error {
		for _, name := range []string{"customers", "messages"} {
			out[name] = map[uint64]byte{}
			err := tx.Bucket([]byte(name)).ForEach(func(k, v []byte) error {
				out[name][binary.BigEndian.Uint64(k)] = v[0]
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestJSONRecordsStillRead: a store whose customers and messages were
// written as JSON by an older Couture reads back exactly as the binary one
// did, its search index rebuilds from them, and a record is rewritten in
// binary when it next changes.
func TestJSONRecordsStillRead(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, clk := newDesk(t, s)
	paris := time.FixedZone("", 2*3600)
	anna, bob := email("anna@example.org"), phone("+33612345678")
	first := msg(inbox.ChannelEmail, inbox.In, anna, "m1@x", t0.In(paris), "Bonjour, un gâteau au chocolat pour samedi ?")
	first.Name = "Anna"
	first.Message.Subject = "Gâteau"
	first.Message.HTML = "<p>Bonjour</p>"
	first.Message.ThreadRefs = []string{"m0@x"}
	first.Message.Attachments = []inbox.Attachment{{Name: "photo.jpg", Type: "image/jpeg", Size: 2048, Blob: "sha256-1", ContentID: "p1", Inline: true}}
	first.Message.ReceivedAt = t0.Add(time.Minute)
	ingest(t, d, "mail", first,
		msg(inbox.ChannelSMS, inbox.In, bob, "SM1", t0.Add(time.Hour), "Is the shop open on Sunday?"),
		inbox.Incoming{Other: true, Message: inbox.Message{Channel: inbox.ChannelEmail, Direction: inbox.In, ExternalID: "news@x", SentAt: t0, Text: "Newsletter"}},
	)
	cs, err := d.Customers(inbox.Filter{})
	if err != nil || len(cs) != 2 {
		t.Fatalf("customers = %v, %v", cs, err)
	}
	annaID, _, _ := s.Owner(anna)
	bobID, _, _ := s.Owner(bob)
	if _, err := d.Reply(ctx, inbox.Reply{Customer: annaID, Channel: inbox.ChannelEmail, Text: "Oui, bien sûr.", Author: "marie"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Note(bobID, "marie", "Call back"); err != nil {
		t.Fatal(err)
	}
	clk.now = clk.now.Add(time.Hour)
	if _, err := d.Snooze(bobID, "marie", clk.now.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	mg, err := d.Merge(annaID, bobID, "same person")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Unmerge(mg.ID); err != nil {
		t.Fatal(err)
	}
	before := readState(t, s)
	// The binary records gave back what was ingested, zone included.
	want := first.Message
	want.ID, want.CustomerID, want.Account = 1, annaID, "mail"
	if got := before.Timelines[annaID][0]; !reflect.DeepEqual(got, want) {
		t.Fatalf("first message = %#v\nwant %#v", got, want)
	}
	s.Close()

	// Rewrite every customer and message as the older Couture wrote them.
	byID := map[inbox.MessageID]inbox.Message{}
	for _, tl := range before.Timelines {
		for _, m := range tl {
			byID[m.ID] = m
		}
	}
	db, err := bolt.Open(filepath.Join(dir, "couture.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		cb, mb := tx.Bucket([]byte("customers")), tx.Bucket([]byte("messages"))
		if n := cb.Stats().KeyN; n != len(before.Customers) {
			t.Fatalf("%d customer records, %d customers", n, len(before.Customers))
		}
		for _, c := range before.Customers {
			raw, _ := json.Marshal(c)
			if err := cb.Put(binary.BigEndian.AppendUint64(nil, uint64(c.ID)), raw); err != nil {
				return err
			}
		}
		if n := mb.Stats().KeyN; n != len(byID) {
			t.Fatalf("%d message records, %d messages on timelines", n, len(byID))
		}
		for id, m := range byID {
			raw, _ := json.Marshal(m)
			if err := mb.Put(binary.BigEndian.AppendUint64(nil, uint64(id)), raw); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	for bucket, recs := range recordFormats(t, dir) {
		for id, f := range recs {
			if f != '{' {
				t.Fatalf("%s %d is not JSON after the rewrite", bucket, id)
			}
		}
	}
	// The search index rebuilds from the JSON records.
	if err := os.RemoveAll(filepath.Join(dir, "index")); err != nil {
		t.Fatal(err)
	}

	s, err = storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := readState(t, s); !reflect.DeepEqual(got, before) {
		t.Fatalf("JSON records read back differently\n got %#v\nwant %#v", got, before)
	}
	hits, err := s.Search(ctx, "chocolat", 10)
	if err != nil || len(hits) != 1 || hits[0].CustomerID != annaID {
		t.Fatalf("search over JSON records = %v, %v", hits, err)
	}

	// A new message for Bob rewrites Bob in binary; Anna stays JSON until
	// she changes.
	d, _ = newDesk(t, s)
	ingest(t, d, "sms", msg(inbox.ChannelSMS, inbox.In, bob, "SM2", t0.Add(2*time.Hour), "Hello?"))
	var bobNew inbox.MessageID
	for _, m := range timeline(t, d, bobID) {
		bobNew = max(bobNew, m.ID)
	}
	annaFirst := before.Timelines[annaID][0].ID
	if _, err := s.UpdateMessage(annaFirst, func(m *inbox.Message) error { m.Warning = "checked"; return nil }); err != nil {
		t.Fatal(err)
	}
	after := readState(t, s)
	s.Close()

	formats := recordFormats(t, dir)
	for id, f := range formats["customers"] {
		if want := byte('{'); inbox.CustomerID(id) == bobID {
			if f == want {
				t.Errorf("customer %d (changed) is still JSON", id)
			}
		} else if f != want {
			t.Errorf("customer %d (unchanged) was rewritten: format %#x", id, f)
		}
	}
	for id, f := range formats["messages"] {
		changed := inbox.MessageID(id) == bobNew || inbox.MessageID(id) == annaFirst
		if changed && f == '{' {
			t.Errorf("message %d (new or changed) is JSON", id)
		}
		if !changed && f != '{' {
			t.Errorf("message %d (unchanged) was rewritten: format %#x", id, f)
		}
	}

	// Reading the mixed store gives what the store gave before the reopen.
	s, err = storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := readState(t, s); !reflect.DeepEqual(got, after) {
		t.Fatalf("mixed store reads back differently\n got %#v\nwant %#v", got, after)
	}
	for i, c := range after.Customers {
		if c.ID == annaID && !reflect.DeepEqual(c, before.Customers[i]) {
			t.Errorf("Anna changed without a write:\n got %#v\nwant %#v", c, before.Customers[i])
		}
	}
}

// BenchmarkCustomers lists every customer of a store with 50,000 of them
// (COUTURE_BENCH_MESSAGES/20 when set), as the desktop app does before it
// shows its window: binary records, then the same records rewritten as the
// JSON an older Couture wrote.
func BenchmarkCustomers(b *testing.B) {
	_, ncust := benchSize()
	dir := b.TempDir()
	s, err := storage.Open(dir, &storage.Options{NoIndex: true, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	corpus := storagetest.Corpus{Customers: ncust, Messages: 2 * ncust, Seed: 42}
	if err := corpus.Fill(context.Background(), inbox.NewDesk(s, nil)); err != nil {
		b.Fatal(err)
	}
	all, err := s.Customers()
	s.Close()
	if err != nil {
		b.Fatal(err)
	}
	list := func(b *testing.B) {
		s, err := storage.Open(dir, &storage.Options{NoIndex: true})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		desk := inbox.NewDesk(s, nil)
		b.Run("store", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if cs, err := s.Customers(); err != nil || len(cs) != len(all) {
					b.Fatalf("%d customers, %v", len(cs), err)
				}
			}
		})
		b.Run("desk", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := desk.Customers(inbox.Filter{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("binary", list)

	db, err := bolt.Open(filepath.Join(dir, "couture.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		cb := tx.Bucket([]byte("customers"))
		for _, c := range all {
			raw, _ := json.Marshal(c)
			if err := cb.Put(binary.BigEndian.AppendUint64(nil, uint64(c.ID)), raw); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("json", list)
}
