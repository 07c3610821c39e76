package email

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/dovecot"
)

// oneChannel is a channels.ChannelSource of one account, for an Outbox
// over a test's channel.
type oneChannel struct {
	c *Channel
	a channels.Account
}

func (s oneChannel) Accounts() ([]channels.Account, error) { return []channels.Account{s.a}, nil }

func (s oneChannel) Channel(string) (channels.Channel, channels.Account, error) {
	return s.c, s.a, nil
}

// flushOutbox runs one pass of a new Outbox (as after a restart) over the
// channel and returns its error.
func flushOutbox(t testing.TB, k *deskSink, c *Channel, a channels.Account) error {
	t.Helper()
	o := channels.NewOutbox(k.desk, &channels.OutboxOptions{Channels: oneChannel{c, a}, Logger: slog.New(slog.DiscardHandler)})
	_, err := o.Flush(context.Background())
	return err
}

// serverFlags returns the flags of every message in a folder, by UID, as
// another mail client sees them.
func serverFlags(t testing.TB, srv *dovecot.Server, user, folder string) map[imap.UID][]imap.Flag {
	t.Helper()
	cl := imapLogin(t, srv, user)
	defer func() { cl.Logout().Wait() }()
	if _, err := cl.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := cl.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := map[imap.UID][]imap.Flag{}
	for _, m := range msgs {
		out[m.UID] = m.Flags
	}
	return out
}

// setFlag sets (or clears) a flag on one UID of INBOX, as another mail
// client does.
func setFlag(t testing.TB, srv *dovecot.Server, user string, uid imap.UID, f imap.Flag, on bool) {
	t.Helper()
	cl := imapLogin(t, srv, user)
	defer func() { cl.Logout().Wait() }()
	if _, err := cl.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	op := imap.StoreFlagsAdd
	if !on {
		op = imap.StoreFlagsDel
	}
	if err := cl.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{f}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
}

// customerOf returns the stored customer of the message with this
// Message-ID.
func customerOf(t testing.TB, k *deskSink, id string) inbox.Customer {
	t.Helper()
	m, ok := k.byMessageID()[id]
	if !ok {
		t.Fatalf("message %s not stored", id)
	}
	c, err := k.store.Customer(m.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// servers are the two kinds of IMAP server the flag tests run against:
// one that tells what changed since a MODSEQ (RFC 7162), one that does not.
var servers = []struct {
	name string
	opts *dovecot.Options
}{
	{"CONDSTORE", nil},
	{"without CONDSTORE", &dovecot.Options{NoCondStore: true}},
}

func TestReadOnAnotherClientIsReadInCouture(t *testing.T) {
	t.Parallel()
	for _, tt := range servers {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := dovecot.Start(t, tt.opts)
			ids := srv.Seed("alice", "INBOX", 6) // 0 and 3 are seen
			srv.Seed("alice", "Archive", 3)
			k, c := alice(t, srv)
			log := watchCommands(c)
			syncOnce(t, c, k)
			if c := customerOf(t, k, ids[1]); c.Unread != 1 {
				t.Fatalf("customer of message 1: unread %d before, want 1", c.Unread)
			}

			setFlag(t, srv, "alice", 2, imap.FlagSeen, true)  // message 1 read elsewhere
			setFlag(t, srv, "alice", 1, imap.FlagSeen, false) // message 0 marked unread
			k.reset()
			log.reset()
			syncOnce(t, c, k)
			stored := k.byMessageID()
			if !stored[ids[1]].Seen || stored[ids[0]].Seen {
				t.Errorf("store: message 1 seen %v, message 0 seen %v; want true, false", stored[ids[1]].Seen, stored[ids[0]].Seen)
			}
			if c := customerOf(t, k, ids[1]); c.Unread != 0 {
				t.Errorf("customer of message 1: unread %d, want 0", c.Unread)
			}
			if c := customerOf(t, k, ids[0]); c.Unread != 1 {
				t.Errorf("customer of message 0: unread %d, want 1", c.Unread)
			}
			if !slices.Equal(k.seen[true], []string{ids[1]}) || !slices.Equal(k.seen[false], []string{ids[0]}) {
				t.Errorf("reported seen %v, unseen %v", k.seen[true], k.seen[false])
			}
			if added, _, _ := k.totals(); added != 0 {
				t.Errorf("a flag change added %d messages", added)
			}
			if tt.opts != nil {
				// One FETCH of the flags per folder with messages (the
				// empty Sent is not even selected); one more for the
				// Message-IDs of the two that changed.
				fetches := 0
				for _, cmd := range log.list() {
					if cmd == "UID FETCH" || cmd == "FETCH" {
						fetches++
					}
				}
				if want := 2 + 1; fetches != want { // INBOX, Archive
					t.Errorf("resync sent %d FETCH commands, want %d: %v", fetches, want, log.list())
				}
			}

			// Nothing changed since: nothing reported, nothing written.
			resyncIsQuiet(t, c, k)
		})
	}
}

func TestWithoutCondStoreNewMailBringsItsFlags(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, &dovecot.Options{NoCondStore: true})
	srv.Seed("alice", "INBOX", 3)
	k, c := alice(t, srv)
	syncOnce(t, c, k)
	if cur := k.cursor(t, "INBOX"); !cur.Flags || cur.ModSeq != 0 || imap.UIDSet(cur.Unseen).String() != "2:3" {
		t.Fatalf("cursor without CONDSTORE = %+v, want flags kept, unseen 2:3", cur)
	}
	fresh := dovecot.Generate(700, dovecot.Address("alice"), false)
	srv.Deliver("alice", fresh.Raw)
	syncOnce(t, c, k)
	if cur := k.cursor(t, "INBOX"); imap.UIDSet(cur.Unseen).String() != "2:4" {
		t.Errorf("unseen after new mail = %s, want 2:4", imap.UIDSet(cur.Unseen))
	}
	// Read elsewhere: the next sync sees it.
	setFlag(t, srv, "alice", 4, imap.FlagSeen, true)
	k.reset()
	syncOnce(t, c, k)
	if !k.byMessageID()[fresh.MessageID].Seen || !slices.Equal(k.seen[true], []string{fresh.MessageID}) {
		t.Errorf("new message read elsewhere: seen %v, reported %v", k.byMessageID()[fresh.MessageID].Seen, k.seen)
	}
}

func TestMarkReadInCouturePutsSeenOnTheServer(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	ids := srv.Seed("alice", "INBOX", 6) // 0 and 3 are seen
	k := newDeskSink(t, "alice")
	a := account(srv, "alice")
	c := newChannel(t, k, a, srv.Password("alice"))
	syncOnce(t, c, k)

	cust := customerOf(t, k, ids[2])
	if _, err := k.desk.MarkRead(cust.ID); err != nil {
		t.Fatal(err)
	}
	if q, _ := k.store.FlagQueue(); len(q) != 1 {
		t.Fatalf("queued %+v, want one \\Seen", q)
	}
	if err := flushOutbox(t, k, c, a); err != nil {
		t.Fatal(err)
	}
	flags := serverFlags(t, srv, "alice", "INBOX")
	if !slices.Contains(flags[3], imap.FlagSeen) {
		t.Errorf("UID 3 flags on the server: %v, want \\Seen", flags[3])
	}
	if slices.Contains(flags[2], imap.FlagSeen) {
		t.Errorf("UID 2 (another customer) got \\Seen too")
	}
	if q, _ := k.store.FlagQueue(); len(q) != 0 {
		t.Errorf("queue after the flush: %+v", q)
	}
	// The sync reads the change back and finds nothing to do.
	k.reset()
	syncOnce(t, c, k)
	if c := customerOf(t, k, ids[2]); c.Unread != 0 || !k.byMessageID()[ids[2]].Seen {
		t.Errorf("after the resync: unread %d, seen %v", c.Unread, k.byMessageID()[ids[2]].Seen)
	}
}

func TestAnswerMarksTheOriginalAnswered(t *testing.T) {
	t.Parallel()
	s := newSendSetup(t, dovecot.SMTPOptions{})
	ids := s.srv.Seed("alice", "INBOX", 3)
	syncOnce(t, s.c, s.k)
	cust := customerOf(t, s.k, ids[1])
	ans, err := s.k.desk.Reply(context.Background(), inbox.Reply{Customer: cust.ID, Channel: inbox.ChannelEmail, Text: "It is ready.", Author: "Anna"})
	if err != nil {
		t.Fatal(err)
	}
	a := account(s.srv, "alice", func(m map[string]string) {
		m[channels.SetSMTP], m[channels.SetSMTPSecurity], m[channels.SetCAFile] = s.smtp.Addr, SecurityStartTLS, s.smtp.CAFile
	})
	if err := flushOutbox(t, s.k, s.c, a); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.k.desk.Message(ans.ID); m.State != inbox.StateSent {
		t.Fatalf("answer is %s (%s)", m.State, m.Error)
	}
	flags := serverFlags(t, s.srv, "alice", "INBOX")
	if !slices.Contains(flags[2], imap.FlagAnswered) {
		t.Errorf("the message answered (UID 2) has flags %v, want \\Answered", flags[2])
	}
	if slices.Contains(flags[1], imap.FlagAnswered) || slices.Contains(flags[3], imap.FlagAnswered) {
		t.Errorf("other messages got \\Answered: %v", flags)
	}
}

// secondReadInCouture starts a server with three messages in alice's
// INBOX, syncs them and marks the second one read in Couture: \Seen then
// waits in the flag queue for the server (UID 2).
func secondReadInCouture(t *testing.T) (*dovecot.Server, *deskSink, channels.Account, *Channel) {
	t.Helper()
	srv := dovecot.Start(t, nil)
	ids := srv.Seed("alice", "INBOX", 3)
	k := newDeskSink(t, "alice")
	a := account(srv, "alice")
	c := newChannel(t, k, a, srv.Password("alice"))
	syncOnce(t, c, k)
	if _, err := k.desk.MarkRead(customerOf(t, k, ids[1]).ID); err != nil {
		t.Fatal(err)
	}
	return srv, k, a, c
}

func TestQueuedFlagsWaitForTheServer(t *testing.T) {
	t.Parallel()
	srv, k, a, c := secondReadInCouture(t)

	// Offline: the server cannot be reached.
	dial := c.dial
	c.dial = func(context.Context, string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	if err := flushOutbox(t, k, c, a); err != nil {
		t.Fatalf("offline flush: %v; an unreachable server is no outbox error", err)
	}
	if q, _ := k.store.FlagQueue(); len(q) != 1 {
		t.Fatalf("queue while offline: %+v", q)
	}
	// Back online, after a restart (a new Outbox, a new Channel).
	c.dial = dial
	c = newChannel(t, k, a, srv.Password("alice"))
	if err := flushOutbox(t, k, c, a); err != nil {
		t.Fatal(err)
	}
	if q, _ := k.store.FlagQueue(); len(q) != 0 {
		t.Errorf("queue once online: %+v", q)
	}
	if flags := serverFlags(t, srv, "alice", "INBOX"); !slices.Contains(flags[2], imap.FlagSeen) {
		t.Errorf("UID 2 flags %v, want \\Seen", flags[2])
	}
}

func TestFlagOfAnExpungedMessageIsDropped(t *testing.T) {
	t.Parallel()
	srv, k, a, c := secondReadInCouture(t)
	// Another client deletes the message for good.
	setFlag(t, srv, "alice", 2, imap.FlagDeleted, true)
	other := imapLogin(t, srv, "alice")
	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := other.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	other.Logout().Wait()

	log := watchCommands(c)
	if err := flushOutbox(t, k, c, a); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if q, _ := k.store.FlagQueue(); len(q) != 0 {
		t.Errorf("queue still holds %+v", q)
	}
	if slices.Contains(log.list(), "UID STORE") {
		t.Errorf("stored flags on nothing: %v", log.list())
	}
	// No loop: the next pass has nothing to do and does not connect.
	log.reset()
	if err := flushOutbox(t, k, c, a); err != nil || len(log.list()) != 0 {
		t.Errorf("second flush: %v, commands %v", err, log.list())
	}
}

func TestReadElsewhereWhileIdleArrives(t *testing.T) {
	t.Parallel()
	for _, tt := range servers {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := dovecot.Start(t, tt.opts)
			ids := srv.Seed("alice", "INBOX", 3) // 0 is seen
			k, c := alice(t, srv)
			log := watchCommands(c)
			syncInBackground(t, c, k)
			waitCommand(t, log, "IDLE", 30*time.Second)

			setFlag(t, srv, "alice", 2, imap.FlagSeen, true)
			// The server's notice ends IDLE; INBOX is read again, then
			// the channel idles anew.
			waitCommand(t, log, "IDLE", 10*time.Second)
			if !k.byMessageID()[ids[1]].Seen || customerOf(t, k, ids[1]).Unread != 0 {
				t.Errorf("read elsewhere during IDLE: seen %v, unread %d", k.byMessageID()[ids[1]].Seen, customerOf(t, k, ids[1]).Unread)
			}
		})
	}
}
