package storage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
	"github.com/couture/couture/storage/storagetest"
	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 3, 28, 9, 0, 0, 0, time.UTC)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newDesk(tb testing.TB, s inbox.Store) (*inbox.Desk, *clock) {
	c := &clock{now: t0.Add(72 * time.Hour)}
	return inbox.NewDesk(s, &inbox.Options{Clock: c.Now}), c
}

func email(addr string) inbox.Identity { return inbox.Identity{Kind: inbox.KindEmail, Address: addr} }
func phone(n string) inbox.Identity    { return inbox.Identity{Kind: inbox.KindPhone, Address: n} }

func msg(ch inbox.ChannelKind, dir inbox.Direction, party inbox.Identity, ext string, at time.Time, text string) inbox.Incoming {
	return inbox.Incoming{Message: inbox.Message{
		Channel: ch, Direction: dir, Party: party, ExternalID: ext, SentAt: at, Text: text,
	}}
}

func ingest(tb testing.TB, d *inbox.Desk, account string, ms ...inbox.Incoming) inbox.IngestResult {
	tb.Helper()
	res, err := d.Ingest(context.Background(), inbox.Batch{Account: account, Messages: ms})
	if err != nil {
		tb.Fatalf("ingest: %v", err)
	}
	return res
}

func timeline(tb testing.TB, d *inbox.Desk, id inbox.CustomerID) []inbox.Message {
	tb.Helper()
	p, err := d.Timeline(id, "", 1000)
	if err != nil {
		tb.Fatalf("timeline %d: %v", id, err)
	}
	return p.Messages
}

func TestIngestTwiceIsNoDuplicate(t *testing.T) {
	d, _ := newDesk(t, storagetest.MustOpen(t, nil))
	batch := []inbox.Incoming{
		msg(inbox.ChannelEmail, inbox.In, email("anna@example.org"), "m1@x", t0, "Bonjour, un gâteau pour samedi ?"),
		msg(inbox.ChannelEmail, inbox.In, email("anna@example.org"), "m2@x", t0.Add(time.Hour), "Sans gluten si possible"),
		msg(inbox.ChannelSMS, inbox.In, phone("+33612345678"), "SM1", t0.Add(2*time.Hour), "Is the shop open?"),
	}
	first := ingest(t, d, "mail", batch...)
	second := ingest(t, d, "mail", batch...)
	if first.Added != 3 || first.NewCustomers != 2 {
		t.Fatalf("first ingest = %+v, want 3 added, 2 customers", first)
	}
	if second.Added != 0 || second.Duplicates != 3 {
		t.Fatalf("second ingest = %+v, want 0 added, 3 duplicates", second)
	}
	cs, _ := d.Customers(inbox.Filter{})
	if len(cs) != 2 {
		t.Fatalf("customers = %d, want 2", len(cs))
	}
	// Same external id inside one batch counts once too.
	dup := ingest(t, d, "mail", msg(inbox.ChannelSMS, inbox.In, phone("+33612345678"), "SM2", t0, "a"), msg(inbox.ChannelSMS, inbox.In, phone("+33612345678"), "SM2", t0, "a"))
	if dup.Added != 1 || dup.Duplicates != 1 {
		t.Fatalf("in-batch duplicate = %+v", dup)
	}
}

func TestWaitingAndOrder(t *testing.T) {
	d, _ := newDesk(t, storagetest.MustOpen(t, nil))
	anna, bob := email("anna@example.org"), email("bob@example.org")
	ingest(t, d, "mail",
		msg(inbox.ChannelEmail, inbox.In, bob, "b1", t0.Add(2*time.Hour), "hello"),
		msg(inbox.ChannelEmail, inbox.In, anna, "a1", t0, "first"),
		msg(inbox.ChannelEmail, inbox.In, anna, "a2", t0.Add(3*time.Hour), "second"),
	)
	cs, _ := d.Customers(inbox.Filter{})
	if cs[0].Name != "anna" || !cs[0].WaitingSince.Equal(t0) {
		t.Fatalf("first customer = %s waiting since %v, want anna since %v", cs[0].Name, cs[0].WaitingSince, t0)
	}
	// The business answers anna (its own copy from a Sent folder): she no
	// longer waits, and goes pending.
	ingest(t, d, "mail", msg(inbox.ChannelEmail, inbox.Out, anna, "a3", t0.Add(4*time.Hour), "answer"))
	cs, _ = d.Customers(inbox.Filter{})
	if cs[0].Name != "bob" || cs[1].Name != "anna" || !cs[1].WaitingSince.IsZero() || cs[1].Status != inbox.Pending {
		t.Fatalf("after answer: %s then %s (waiting %v, %s)", cs[0].Name, cs[1].Name, cs[1].WaitingSince, cs[1].Status)
	}
	// A backfilled older inbound message does not make her wait again.
	ingest(t, d, "mail", msg(inbox.ChannelEmail, inbox.In, anna, "a0", t0.Add(-time.Hour), "older"))
	c, _ := d.Customer(cs[1].ID)
	if !c.WaitingSince.IsZero() || c.MessageCount != 4 {
		t.Fatalf("after backfill: waiting %v, count %d", c.WaitingSince, c.MessageCount)
	}
	tl := timeline(t, d, c.ID)
	for i := 1; i < len(tl); i++ {
		if tl[i].SentAt.Before(tl[i-1].SentAt) {
			t.Fatalf("timeline out of order at %d", i)
		}
	}
}

// A batch that fails half way leaves nothing behind, cursor included: the
// same as a crash before commit.
func TestFailedBatchLosesNothingAndKeepsNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := newDesk(t, s)
	ctx := context.Background()
	_, err = d.Ingest(ctx, inbox.Batch{Account: "sms", CursorKey: "c", Cursor: []byte("1"), Messages: []inbox.Incoming{
		msg(inbox.ChannelSMS, inbox.In, phone("+33612345678"), "SM1", t0, "one"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Ingest(ctx, inbox.Batch{Account: "sms", CursorKey: "c", Cursor: []byte("2"), Messages: []inbox.Incoming{
		msg(inbox.ChannelSMS, inbox.In, phone("+33612345678"), "SM2", t0.Add(time.Minute), "two"),
		msg(inbox.ChannelSMS, inbox.In, inbox.Identity{}, "SM3", t0.Add(2*time.Minute), "no party"),
	}})
	if err == nil {
		t.Fatal("batch with a message without party succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cur, _ := s.Cursor("sms", "c")
	if string(cur) != "1" {
		t.Fatalf("cursor = %q, want 1", cur)
	}
	_, n, _ := s.Counts()
	if n != 1 {
		t.Fatalf("messages = %d, want 1", n)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	dir := t.TempDir()
	s, err := storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	_, err = storage.Open(dir, &storage.Options{Timeout: 100 * time.Millisecond})
	if err == nil {
		t.Fatal("second open succeeded")
	}
	if inbox.ErrorCode(err) != inbox.Unavailable || !strings.Contains(inbox.Explain(err), "already open by another Couture") {
		t.Fatalf("error = %v (code %q)", err, inbox.ErrorCode(err))
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("second open took %v", el)
	}
}

func TestMigrations(t *testing.T) {
	dir := t.TempDir()
	s, err := storage.Open(dir, &storage.Options{NoIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	setSchema := func(v uint64) {
		db, err := bolt.Open(filepath.Join(dir, "couture.db"), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		err = db.Update(func(tx *bolt.Tx) error {
			if v == 0 {
				if err := tx.DeleteBucket([]byte("outbox")); err != nil {
					return err
				}
				return tx.Bucket([]byte("meta")).Delete([]byte("schema"))
			}
			b := make([]byte, 8)
			b[7] = byte(v)
			return tx.Bucket([]byte("meta")).Put([]byte("schema"), b)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A store from before versioning (no schema, a bucket missing) is
	// migrated to the current layout.
	setSchema(0)
	s, err = storage.Open(dir, &storage.Options{NoIndex: true})
	if err != nil {
		t.Fatalf("open old store: %v", err)
	}
	if _, err := s.Outbox(); err != nil {
		t.Fatalf("outbox after migration: %v", err)
	}
	s.Close()
	// A store from a newer Couture is refused with a clear message.
	setSchema(uint64(storage.SchemaVersion() + 1))
	_, err = storage.Open(dir, &storage.Options{NoIndex: true})
	if inbox.ErrorCode(err) != inbox.Conflict || !strings.Contains(err.Error(), "newer Couture") {
		t.Fatalf("open newer store: %v", err)
	}
}

func TestTimelinePaging(t *testing.T) {
	d, _ := newDesk(t, storagetest.MustOpen(t, &storage.Options{NoIndex: true}))
	anna := email("anna@example.org")
	var batch []inbox.Incoming
	for i := range 95 {
		batch = append(batch, msg(inbox.ChannelEmail, inbox.In, anna, fmt.Sprint("m", i), t0.Add(time.Duration(i)*time.Minute), fmt.Sprint(i)))
	}
	ingest(t, d, "mail", batch...)
	id := inbox.CustomerID(1)
	var all []string
	before := ""
	pages := 0
	for {
		p, err := d.Timeline(id, before, 20)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		var texts []string
		for _, m := range p.Messages {
			texts = append(texts, m.Text)
		}
		all = append(texts, all...)
		if p.Before == "" {
			break
		}
		before = p.Before
	}
	if pages != 5 || len(all) != 95 || all[0] != "0" || all[94] != "94" {
		t.Fatalf("pages %d, %d messages, first %q last %q", pages, len(all), all[0], all[len(all)-1])
	}
	for i, s := range all {
		if s != fmt.Sprint(i) {
			t.Fatalf("message %d = %q", i, s)
		}
	}
	if _, err := d.Timeline(id, "zz", 20); inbox.ErrorCode(err) != inbox.Invalid {
		t.Fatalf("bad cursor: %v", err)
	}
	if _, err := d.Timeline(999, "", 20); inbox.ErrorCode(err) != inbox.NotFound {
		t.Fatalf("unknown customer: %v", err)
	}
}

func snapshot(tb testing.TB, d *inbox.Desk, id inbox.CustomerID) string {
	tb.Helper()
	c, err := d.Customer(id)
	if err != nil {
		tb.Fatal(err)
	}
	b, _ := json.Marshal(struct {
		C  inbox.Customer
		TL []inbox.Message
	}{c, timeline(tb, d, id)})
	return string(b)
}

func TestMergeUnmergeRestoresExactly(t *testing.T) {
	d, clk := newDesk(t, storagetest.MustOpen(t, nil))
	anna, annaPhone := email("anna@example.org"), phone("+33612345678")
	ingest(t, d, "mail",
		msg(inbox.ChannelEmail, inbox.In, anna, "a1", t0, "cake order"),
		msg(inbox.ChannelEmail, inbox.Out, anna, "a2", t0.Add(time.Hour), "sure"),
	)
	ingest(t, d, "sms", msg(inbox.ChannelSMS, inbox.In, annaPhone, "s1", t0.Add(30*time.Minute), "it's Anna, about the cake"))
	if _, err := d.Note(2, "Camille", "probably Anna from the e-mail"); err != nil {
		t.Fatal(err)
	}
	before1, before2 := snapshot(t, d, 1), snapshot(t, d, 2)

	clk.now = clk.now.Add(time.Minute)
	m, err := d.Merge(1, 2, "same person")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := d.Customer(1)
	if !c.Has(annaPhone) || len(timeline(t, d, 1)) != 5 || !slicesContain(c.Merges, m.ID) {
		t.Fatalf("after merge: %+v, %d entries", c, len(timeline(t, d, 1)))
	}
	if _, err := d.Customer(2); inbox.ErrorCode(err) != inbox.NotFound {
		t.Fatalf("merged customer still there: %v", err)
	}
	if owner, _, _ := storeOf(d).Owner(annaPhone); owner != 1 {
		t.Fatalf("phone owner = %d", owner)
	}
	if _, err := d.Unmerge(m.ID); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, d, 1); got != before1 {
		t.Fatalf("customer 1 after unmerge:\n%s\nwant\n%s", got, before1)
	}
	if got := snapshot(t, d, 2); got != before2 {
		t.Fatalf("customer 2 after unmerge:\n%s\nwant\n%s", got, before2)
	}
	if _, err := d.Unmerge(m.ID); inbox.ErrorCode(err) != inbox.Conflict {
		t.Fatalf("second unmerge: %v", err)
	}
	// A message on the phone after the unmerge lands on customer 2 again.
	ingest(t, d, "sms", msg(inbox.ChannelSMS, inbox.In, annaPhone, "s2", t0.Add(2*time.Hour), "again"))
	if n := len(timeline(t, d, 2)); n != 3 {
		t.Fatalf("customer 2 has %d entries, want 3", n)
	}
}

func TestUnmergeSendsLaterMessagesHome(t *testing.T) {
	d, _ := newDesk(t, storagetest.MustOpen(t, &storage.Options{NoIndex: true}))
	anna, annaPhone := email("anna@example.org"), phone("+33612345678")
	ingest(t, d, "mail", msg(inbox.ChannelEmail, inbox.In, anna, "a1", t0, "one"))
	ingest(t, d, "sms", msg(inbox.ChannelSMS, inbox.In, annaPhone, "s1", t0, "two"))
	m, err := d.Merge(1, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, d, "sms", msg(inbox.ChannelSMS, inbox.In, annaPhone, "s2", t0.Add(time.Hour), "three"))
	ingest(t, d, "mail", msg(inbox.ChannelEmail, inbox.In, anna, "a2", t0.Add(time.Hour), "four"))
	if _, err := d.Unmerge(m.ID); err != nil {
		t.Fatal(err)
	}
	c1, _ := d.Customer(1)
	c2, _ := d.Customer(2)
	if c1.MessageCount != 2 || c2.MessageCount != 2 || len(timeline(t, d, 1)) != 2 || len(timeline(t, d, 2)) != 2 {
		t.Fatalf("counts %d/%d", c1.MessageCount, c2.MessageCount)
	}
	if tl := timeline(t, d, 2); tl[1].Text != "three" {
		t.Fatalf("customer 2 last = %q", tl[1].Text)
	}
}

func TestLinksAutoMerge(t *testing.T) {
	d, _ := newDesk(t, storagetest.MustOpen(t, &storage.Options{NoIndex: true}))
	p := phone("+33612345678")
	tg := inbox.Identity{Kind: inbox.KindTelegram, Address: "4242"}
	ingest(t, d, "sms", msg(inbox.ChannelSMS, inbox.In, p, "s1", t0, "sms"))
	ingest(t, d, "wa", msg(inbox.ChannelWhatsApp, inbox.In, p, "w1", t0.Add(time.Minute), "whatsapp"))
	in := msg(inbox.ChannelTelegram, inbox.In, tg, "t1", t0.Add(2*time.Minute), "telegram")
	res := ingest(t, d, "tg", in)
	if res.NewCustomers != 1 {
		t.Fatalf("telegram without contact card: %+v", res)
	}
	card := msg(inbox.ChannelTelegram, inbox.In, tg, "t2", t0.Add(3*time.Minute), "[contact]")
	card.Links = []inbox.Identity{p}
	res = ingest(t, d, "tg", card)
	if len(res.AutoMerges) != 1 {
		t.Fatalf("contact card did not merge: %+v", res)
	}
	cs, _ := d.Customers(inbox.Filter{})
	if len(cs) != 1 || len(cs[0].Identities) != 2 || cs[0].MessageCount != 5 {
		t.Fatalf("customers = %+v", cs)
	}
}

func TestReplyNoteResolveAndOutbox(t *testing.T) {
	d, clk := newDesk(t, storagetest.MustOpen(t, nil))
	anna := email("anna@example.org")
	in := msg(inbox.ChannelEmail, inbox.In, anna, "orig@x", t0, "Do you deliver?")
	in.Message.Subject = "Delivery"
	in.Message.Account = "shop"
	ingest(t, d, "shop", in)
	r, err := d.Reply(context.Background(), inbox.Reply{Customer: 1, Channel: inbox.ChannelEmail, Text: "Yes, in Lyon."})
	if err != nil {
		t.Fatal(err)
	}
	if r.State != inbox.StateQueued || r.Subject != "Re: Delivery" || r.Account != "shop" || r.To != "anna@example.org" || len(r.ThreadRefs) != 1 {
		t.Fatalf("reply = %+v", r)
	}
	if _, err := d.Reply(context.Background(), inbox.Reply{Customer: 1, Channel: inbox.ChannelSMS, Text: "x"}); inbox.ErrorCode(err) != inbox.Invalid {
		t.Fatalf("reply on a channel without identity: %v", err)
	}
	ob, _ := storeOf(d).Outbox()
	if len(ob) != 1 || ob[0].ID != r.ID {
		t.Fatalf("outbox = %+v", ob)
	}
	if _, err := storeOf(d).UpdateMessage(r.ID, func(m *inbox.Message) error { m.State = inbox.StateSent; return nil }); err != nil {
		t.Fatal(err)
	}
	if ob, _ := storeOf(d).Outbox(); len(ob) != 0 {
		t.Fatalf("outbox after send = %d", len(ob))
	}
	clk.now = clk.now.Add(time.Hour)
	c, err := d.Resolve(1, "Hugo")
	if err != nil || c.Status != inbox.Resolved {
		t.Fatalf("resolve: %v %v", c.Status, err)
	}
	st, err := d.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Resolved != 1 || st.MessagesTotal != 2 || st.FirstResponseMedian == nil || st.ResolutionMedian == nil {
		t.Fatalf("stats = %+v", st)
	}
	// A new inbound message on any channel reopens.
	clk.now = clk.now.Add(time.Hour)
	ingest(t, d, "shop", msg(inbox.ChannelEmail, inbox.In, anna, "new@x", clk.now, "One more thing"))
	c, _ = d.Customer(1)
	if c.Status != inbox.Open || c.WaitingSince.IsZero() {
		t.Fatalf("after new inbound: %s waiting %v", c.Status, c.WaitingSince)
	}
}

func TestSearch(t *testing.T) {
	s := storagetest.MustOpen(t, nil)
	d, _ := newDesk(t, s)
	ingest(t, d, "mail",
		msg(inbox.ChannelEmail, inbox.In, email("anna@example.org"), "a1", t0, "Je voudrais un gâteau au chocolat pour samedi"),
		msg(inbox.ChannelSMS, inbox.In, phone("+33612345678"), "s1", t0, "Do you have gluten-free bread?"),
	)
	hits, err := d.Search(context.Background(), "gateau", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].CustomerID != 1 || !strings.Contains(hits[0].Snippet, "gâteau") {
		t.Fatalf("hits = %+v", hits)
	}
	hits, _ = d.Search(context.Background(), "GLUTEN bread", 10)
	if len(hits) != 1 || hits[0].Channel != inbox.ChannelSMS {
		t.Fatalf("hits = %+v", hits)
	}
	if hits, _ := d.Search(context.Background(), "croissant", 10); len(hits) != 0 {
		t.Fatalf("unexpected hits %+v", hits)
	}
}

func TestSearchIndexRebuilds(t *testing.T) {
	dir := t.TempDir()
	s, err := storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := newDesk(t, s)
	ingest(t, d, "mail", msg(inbox.ChannelEmail, inbox.In, email("anna@example.org"), "a1", t0, "macarons framboise"))
	s.Close()
	if err := os.RemoveAll(filepath.Join(dir, "index")); err != nil {
		t.Fatal(err)
	}
	s, err = storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hits, err := s.Search(context.Background(), "framboise", 5)
	if err != nil || len(hits) != 1 {
		t.Fatalf("after rebuild: %v %v", hits, err)
	}
}

func TestBlobsBackupRestoreCompact(t *testing.T) {
	dir := t.TempDir()
	s, err := storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("croissant "), 100000)
	key, n, err := s.Put(bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("put: %v %d", err, n)
	}
	key2, _, _ := s.Put(bytes.NewReader(data))
	if key2 != key {
		t.Fatal("same bytes, different keys")
	}
	d, _ := newDesk(t, s)
	ingest(t, d, "mail", msg(inbox.ChannelEmail, inbox.In, email("anna@example.org"), "a1", t0, "one"))
	var buf bytes.Buffer
	if _, err := s.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	ingest(t, d, "mail", msg(inbox.ChannelEmail, inbox.In, email("anna@example.org"), "a2", t0, "two"))
	if _, _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if _, n, _ := s.Counts(); n != 2 {
		t.Fatalf("after compact: %d messages", n)
	}
	if err := storage.Restore(dir, bytes.NewReader(buf.Bytes())); inbox.ErrorCode(err) != inbox.Unavailable {
		t.Fatalf("restore while open: %v", err)
	}
	s.Close()

	other := t.TempDir()
	if err := storage.Restore(other, bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	r, err := storage.Open(other, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, n, _ := r.Counts(); n != 1 {
		t.Fatalf("restored %d messages, want 1", n)
	}
	rc, err := r.Open(key)
	if err != nil {
		t.Fatal(err)
	}
	got := new(bytes.Buffer)
	got.ReadFrom(rc)
	rc.Close()
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatal("restored blob differs")
	}
	if hits, err := r.Search(context.Background(), "one", 5); err != nil || len(hits) != 1 {
		t.Fatalf("search after restore: %v %v", hits, err)
	}
	if err := storage.Restore(t.TempDir(), strings.NewReader("not a tar")); inbox.ErrorCode(err) != inbox.Invalid {
		t.Fatalf("restore garbage: %v", err)
	}
	if _, err := r.Open(strings.Repeat("a", 64)); inbox.ErrorCode(err) != inbox.NotFound {
		t.Fatalf("missing blob: %v", err)
	}
}

func TestDeskEvents(t *testing.T) {
	d, _ := newDesk(t, storagetest.MustOpen(t, &storage.Options{NoIndex: true}))
	sub := d.Subscribe(16)
	defer sub.Close()
	ingest(t, d, "mail", msg(inbox.ChannelEmail, inbox.In, email("anna@example.org"), "a1", t0, "one"))
	<-sub.C
	ch := sub.Take()
	if len(ch) != 1 || ch[0].Customer != 1 || !ch[0].Inbound {
		t.Fatalf("changes = %+v", ch)
	}
}

func slicesContain[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func storeOf(d *inbox.Desk) inbox.Store { return d.Store() }

// A receipt's external id is indexed: the channel syncing our own sent
// message back adds nothing, and an echo synced before the receipt was
// recorded gives way to the queued message.
func TestReceiptClaimsExternalID(t *testing.T) {
	s := storagetest.MustOpen(t, &storage.Options{NoIndex: true})
	d, _ := newDesk(t, s)
	p := phone("+33612345678")
	ingest(t, d, "sms", msg(inbox.ChannelSMS, inbox.In, p, "SM1", t0, "hello"))
	send := func(text, sid string) inbox.Message {
		r, err := d.Reply(context.Background(), inbox.Reply{Customer: 1, Channel: inbox.ChannelSMS, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.UpdateMessage(r.ID, func(m *inbox.Message) error {
			m.ExternalID, m.State = sid, inbox.StateSent
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	send("first answer", "SM2")
	res := ingest(t, d, "sms", msg(inbox.ChannelSMS, inbox.Out, p, "SM2", t0.Add(time.Hour), "first answer"))
	if res.Added != 0 || res.Duplicates != 1 {
		t.Fatalf("echo after receipt: %+v", res)
	}
	// The echo arrives first this time.
	ingest(t, d, "sms", msg(inbox.ChannelSMS, inbox.Out, p, "SM3", t0.Add(2*time.Hour), "second answer"))
	send("second answer", "SM3")
	tl := timeline(t, d, 1)
	c, _ := d.Customer(1)
	if len(tl) != 3 || c.MessageCount != 3 {
		t.Fatalf("timeline has %d entries, count %d; want 3", len(tl), c.MessageCount)
	}
	for _, m := range tl {
		if m.ExternalID == "SM3" && m.State != inbox.StateSent {
			t.Fatalf("kept the echo, not the queued message: %+v", m)
		}
	}
}
