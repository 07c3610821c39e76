package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/dovecot"
)

// imapLogin opens a plain IMAP session to srv as user, for tests that
// change the mailbox behind the channel's back.
func imapLogin(t testing.TB, srv *dovecot.Server, user string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(srv.IMAP, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, srv.Password(user)).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFirstSync(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	inboxIDs := srv.Seed("alice", "INBOX", 120)
	sentIDs := srv.Seed("alice", "Sent", 10)
	srv.Seed("alice", "Archive", 5)
	srv.Seed("alice", "Projects/2024", 4)
	for _, f := range []string{"Junk", "Trash", "Drafts"} {
		srv.Seed("alice", f, 3)
	}
	k, c := alice(t, srv)
	c.batchCount = 50
	syncOnce(t, c, k)

	added, dups, _ := k.totals()
	if want := 120 + 10 + 5 + 4; added != want || dups != 0 {
		t.Errorf("added %d (duplicates %d), want %d: every folder but Junk, Trash and Drafts", added, dups, want)
	}
	stored := k.byMessageID()
	for _, id := range inboxIDs {
		m, ok := stored[id]
		if !ok {
			t.Fatalf("INBOX message %s missing", id)
		}
		if m.Direction != inbox.In || m.Raw == "" || m.ReceivedAt.IsZero() {
			t.Errorf("INBOX message %s: direction %s, raw %q, received %v", id, m.Direction, m.Raw, m.ReceivedAt)
		}
	}
	seen := 0
	for i, id := range inboxIDs {
		if stored[id].Seen {
			seen++
		}
		if want := i%3 == 0; stored[id].Seen != want {
			t.Errorf("message %d: seen %v, want %v (from the \\Seen flag)", i, stored[id].Seen, want)
		}
	}
	for _, id := range sentIDs {
		if m := stored[id]; m.Direction != inbox.Out || !strings.HasSuffix(m.Party.Address, ".example") {
			t.Errorf("Sent message %s: direction %s, party %v: want outbound to the customer", id, m.Direction, m.Party)
		}
	}

	// History comes newest first: the first INBOX batch holds the newest.
	k.mu.Lock()
	first := k.batches[0]
	k.mu.Unlock()
	if first.CursorKey != "folder:INBOX" || len(first.Messages) != 50 {
		t.Fatalf("first batch: %s with %d messages", first.CursorKey, len(first.Messages))
	}
	if !slices.ContainsFunc(first.Messages, func(in inbox.Incoming) bool { return MessageIDOf(in.Message.ExternalID) == inboxIDs[119] }) {
		t.Errorf("the newest INBOX message is not in the first batch")
	}
	cur := k.cursor(t, "INBOX")
	if !cur.Done || cur.Last != 120 || cur.Oldest != 1 || cur.UIDValidity == 0 || cur.ModSeq == 0 {
		t.Errorf("INBOX cursor = %+v", cur)
	}
	var inboxProgress []channels.Progress
	for _, p := range k.progress {
		if p.Folder == "INBOX" {
			inboxProgress = append(inboxProgress, p)
		}
	}
	if len(inboxProgress) == 0 || inboxProgress[len(inboxProgress)-1] != (channels.Progress{Account: "alice", Folder: "INBOX", Done: 120, Total: 120}) {
		t.Errorf("INBOX progress = %v", inboxProgress)
	}
	if last := k.progress[len(k.progress)-1]; last.Done != last.Total || last.Total == 0 {
		t.Errorf("last progress %v does not say caught up", last)
	}
}

func TestResyncWithoutChangeCostsOneRoundTrip(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	srv.Seed("alice", "INBOX", 30)
	srv.Seed("alice", "Sent", 5)
	srv.Seed("alice", "Archive", 5)
	k, c := alice(t, srv)
	log := watchCommands(c)
	syncOnce(t, c, k)
	k.reset()
	log.reset()

	syncOnce(t, c, k)
	if added, dups, commits := k.totals(); commits != 0 || added != 0 || dups != 0 {
		t.Errorf("resync wrote %d batches (%d added, %d duplicates), want none", commits, added, dups)
	}
	cmds := log.list()
	// With LIST-STATUS and CONDSTORE the whole account is one LIST; the
	// rest is logging in and out.
	want := []string{"AUTHENTICATE", "LIST", "LOGOUT"}
	if !slices.Equal(slices.DeleteFunc(cmds, func(s string) bool { return s == "CAPABILITY" }), want) {
		t.Errorf("resync sent %v, want %v", cmds, want)
	}
}

func TestNewMailWhileIdleArrivesWithinTwoSeconds(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	srv.Seed("alice", "INBOX", 10)
	k, c := alice(t, srv)
	log := watchCommands(c)
	syncInBackground(t, c, k)
	waitCommand(t, log, "IDLE", 30*time.Second)
	k.reset()

	for round := range 2 { // IDLE goes on after the first arrival
		m := dovecot.Generate(1000+round, dovecot.Address("alice"), false)
		start := time.Now()
		srv.Deliver("alice", m.Raw)
		waitAdded(t, k, 1, 2*time.Second)
		t.Logf("round %d: new mail stored %v after delivery", round, time.Since(start).Round(time.Millisecond))
		if _, ok := k.byMessageID()[m.MessageID]; !ok {
			t.Fatalf("delivered message %s not stored", m.MessageID)
		}
		k.reset()
		waitCommand(t, log, "IDLE", 10*time.Second)
	}
}

// waitCommand waits until the channel sends the named command.
func waitCommand(t testing.TB, log *commandLog, name string, limit time.Duration) {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case c := <-log.sent:
			if c == name {
				return
			}
		case <-deadline:
			t.Fatalf("no %s command within %v; sent %v", name, limit, log.list())
		}
	}
}

// waitAdded waits until commits added n messages.
func waitAdded(t testing.TB, k *deskSink, n int, limit time.Duration) {
	t.Helper()
	deadline := time.After(limit)
	got := 0
	for got < n {
		select {
		case r := <-k.commits:
			got += r.Added
		case <-deadline:
			t.Fatalf("%d of %d new messages stored within %v", got, n, limit)
		}
	}
}

func TestFlagChangesFollowTheServer(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	ids := srv.Seed("alice", "INBOX", 6) // 0 and 3 are seen
	k, c := alice(t, srv)
	syncOnce(t, c, k)
	if k.byMessageID()[ids[1]].Seen || !k.byMessageID()[ids[0]].Seen {
		t.Fatal("seed flags not as expected")
	}

	// Another mail client reads message 1 and marks message 0 unread.
	other := imapLogin(t, srv, "alice")
	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := other.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := other.Store(imap.UIDSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	k.reset()
	syncOnce(t, c, k)
	if !slices.Equal(k.seen[true], []string{ids[1]}) || !slices.Equal(k.seen[false], []string{ids[0]}) {
		t.Errorf("SetSeen got seen %v, unseen %v; want [%s], [%s]", k.seen[true], k.seen[false], ids[1], ids[0])
	}
	stored := k.byMessageID()
	if !stored[ids[1]].Seen || stored[ids[0]].Seen {
		t.Errorf("store: message 1 seen %v, message 0 seen %v", stored[ids[1]].Seen, stored[ids[0]].Seen)
	}
	if added, _, _ := k.totals(); added != 0 {
		t.Errorf("a flag change added %d messages", added)
	}
	// And nothing more to do afterwards.
	resyncIsQuiet(t, c, k)
}

func TestExpungedAndMovedMessagesMakeNoDuplicates(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	ids := srv.Seed("alice", "INBOX", 10)
	k, c := alice(t, srv)
	syncOnce(t, c, k)
	before := len(k.messages())

	other := imapLogin(t, srv, "alice")
	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	// Delete message 3 for good, move message 5 to Archive.
	if err := other.Store(imap.UIDSetNum(3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := other.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Move(imap.UIDSetNum(5), "Archive").Wait(); err != nil {
		t.Fatal(err)
	}
	fresh := dovecot.Generate(500, dovecot.Address("alice"), false)
	srv.Deliver("alice", fresh.Raw)
	other.Logout().Wait()

	k.reset()
	syncOnce(t, c, k)
	added, dups, _ := k.totals()
	if added != 1 || dups != 1 {
		t.Errorf("after expunge, move and one new message: added %d, duplicates %d; want 1 and 1", added, dups)
	}
	stored := k.byMessageID()
	if len(stored) != before+1 {
		t.Errorf("store holds %d messages, want %d", len(stored), before+1)
	}
	if _, ok := stored[ids[2]]; !ok {
		t.Errorf("the expunged message left the timeline; it is the business's record")
	}
	if _, ok := stored[fresh.MessageID]; !ok {
		t.Errorf("new message missing")
	}
}

func TestUIDValidityChangeRefetchesWithoutDuplicates(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	srv.Seed("alice", "INBOX", 25)
	k, c := alice(t, srv)
	syncOnce(t, c, k)
	old := k.cursor(t, "INBOX")

	srv.ResetUIDValidity("alice", "INBOX")
	k.reset()
	syncOnce(t, c, k)
	cur := k.cursor(t, "INBOX")
	if cur.UIDValidity == old.UIDValidity {
		t.Fatalf("UIDVALIDITY still %d after the reset; the test did not reset it", cur.UIDValidity)
	}
	added, dups, _ := k.totals()
	if added != 0 || dups != 25 {
		t.Errorf("after a UIDVALIDITY change: added %d, duplicates %d; want 0 and 25", added, dups)
	}
	if !cur.Done || cur.Last != 25 {
		t.Errorf("cursor after the refetch = %+v", cur)
	}
	if len(k.messages()) != 25 {
		t.Errorf("store holds %d messages", len(k.messages()))
	}
}

// bigMessage returns a message with an attachment of size bytes.
func bigMessage(id string, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Big Sender <big@customer.example>\r\nTo: alice@couture.test\r\nSubject: Scans of the dress\r\n"+
		"Date: Mon, 2 Jan 2023 10:00:00 +0000\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHere are the scans.\r\n"+
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"scans.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", id)
	line := strings.Repeat("QUJD", 19) + "\r\n" // 57 bytes of "ABC…" per 76-char line
	for n := 0; n < size; n += 57 {
		b.WriteString(line)
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

func TestBigAttachmentDoesNotStopOtherMail(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	before := srv.Seed("alice", "INBOX", 5)
	srv.Deliver("alice", bigMessage("big@customer.example", 30<<20))
	after := srv.Seed("alice", "INBOX", 5)

	t.Run("fetched whole", func(t *testing.T) {
		k, c := alice(t, srv)
		c.batchBytes = 8 << 20
		syncOnce(t, c, k)
		stored := k.byMessageID()
		for _, id := range append(before, after...) {
			if _, ok := stored[id]; !ok {
				t.Errorf("message %s missing", id)
			}
		}
		big := stored["big@customer.example"]
		if len(big.Attachments) != 1 || big.Attachments[0].Size < 30<<20 || big.Attachments[0].Blob == "" {
			t.Fatalf("big message attachments = %+v", big.Attachments)
		}
	})
	t.Run("over the size limit", func(t *testing.T) {
		k, c := alice(t, srv)
		c.maxSize = 10 << 20
		syncOnce(t, c, k)
		stored := k.byMessageID()
		if len(stored) != 11 {
			t.Errorf("stored %d messages, want 11", len(stored))
		}
		big := stored["big@customer.example"]
		if big.Subject != "Scans of the dress" || !strings.Contains(big.Warning, "over the 10 MB limit") {
			t.Errorf("big message: subject %q, warning %q", big.Subject, big.Warning)
		}
		if cur := k.cursor(t, "INBOX"); !cur.Done || len(cur.Retry) != 0 {
			t.Errorf("cursor = %+v", cur)
		}
	})
}

func TestUnreadableMessageDoesNotStopOthers(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	srv.Seed("alice", "INBOX", 4)
	broken := dovecot.Generate(900, dovecot.Address("alice"), false)
	path := srv.Put("alice", "INBOX", broken.Raw, "S")
	srv.Seed("alice", "INBOX", 4)
	// Dovecot 2.3 drops the connection when it cannot read a message file.
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	k, c := alice(t, srv)
	// The Engine retries a failed Sync; each try learns which message
	// breaks the connection, until the others are stored.
	var errs []string
	for len(errs) < 6 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := c.Sync(ctx, k, true)
		cancel()
		if err == nil {
			break
		}
		if inbox.ErrorCode(err) != inbox.Unavailable {
			t.Fatalf("try %d: %v, want a temporary error", len(errs)+1, err)
		}
		errs = append(errs, inbox.Explain(err))
	}
	t.Logf("%d failed tries before the others were stored: %q", len(errs), errs)
	if len(errs) > 3 {
		t.Fatalf("still failing after %d tries", len(errs))
	}
	if n := len(k.messages()); n != 8 {
		t.Errorf("stored %d messages beside the unreadable one, want 8", n)
	}
	cur := k.cursor(t, "INBOX")
	if len(cur.Retry) != 1 || !cur.Done {
		t.Fatalf("cursor %+v: want the unreadable message in Retry", cur)
	}
	// Once readable again, the next start (a new Channel) stores it.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	c = newChannel(t, k, account(srv, "alice"), srv.Password("alice"))
	syncOnce(t, c, k)
	if _, ok := k.byMessageID()[broken.MessageID]; !ok {
		t.Errorf("message not stored once readable")
	}
	if cur := k.cursor(t, "INBOX"); len(cur.Retry) != 0 {
		t.Errorf("cursor still retries %v", cur.Retry)
	}
}

func TestRefusedFetchIsRetried(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	srv.Seed("alice", "INBOX", 5)
	k, c := alice(t, srv)
	syncOnce(t, c, k)
	// The cursor as a sync leaves it when the server answered NO for UID 3.
	cur := k.cursor(t, "INBOX")
	cur.Retry = map[imap.UID]int{3: 1}
	b := mustJSON(cur)
	if _, err := k.Commit(context.Background(), inbox.Batch{CursorKey: CursorKey("INBOX"), Cursor: b}); err != nil {
		t.Fatal(err)
	}
	k.reset()
	syncOnce(t, c, k)
	if _, dups, _ := k.totals(); dups != 1 {
		t.Errorf("retry of UID 3 gave %d duplicates, want 1 (already stored)", dups)
	}
	if cur := k.cursor(t, "INBOX"); len(cur.Retry) != 0 {
		t.Errorf("Retry = %v after a good fetch", cur.Retry)
	}
}

func TestDroppedConnectionResumesWithoutDuplicates(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	srv.Seed("alice", "INBOX", 300)
	proxy := startCutProxy(t, srv.IMAP, 1<<20)
	k := newDeskSink(t, "alice")
	c := newChannel(t, k, account(srv, "alice", func(s map[string]string) { s[channels.SetIMAP] = proxy.addr }), srv.Password("alice"))
	c.batchCount = 25
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := c.Sync(ctx, k, true)
	if err == nil {
		t.Fatal("sync through a connection cut after 1 MB succeeded")
	}
	if inbox.ErrorCode(err) != inbox.Unavailable {
		t.Errorf("error %v has code %q, want unavailable (retry)", err, inbox.ErrorCode(err))
	}
	added1, _, commits := k.totals()
	if commits == 0 || added1 == 0 || added1 >= 300 {
		t.Fatalf("before the cut: %d commits, %d added; want some but not all", commits, added1)
	}
	t.Logf("cut after %d messages: %s", added1, inbox.Explain(err))

	k.reset()
	syncOnce(t, c, k) // the proxy lets the second connection through
	added2, dups, _ := k.totals()
	if added1+added2 != 300 || dups != 0 {
		t.Errorf("resume added %d after %d (duplicates %d); want 300 in all, none twice", added2, added1, dups)
	}
	if n := len(k.messages()); n != 300 {
		t.Errorf("store holds %d messages", n)
	}
}

func TestWrongPasswordIsAnAuthError(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	k := newDeskSink(t, "alice")
	c := newChannel(t, k, account(srv, "alice"), "not-the-password")
	err := c.Sync(context.Background(), k, true)
	if inbox.ErrorCode(err) != inbox.Auth {
		t.Fatalf("error %v has code %q, want auth", err, inbox.ErrorCode(err))
	}
	msg := inbox.Explain(err)
	if !strings.Contains(msg, "refused the login of alice") || !strings.Contains(msg, "password") || strings.Contains(msg, "not-the-password") {
		t.Errorf("message %q: want a clear message without the password", msg)
	}
	lines, err := c.Test(context.Background())
	if inbox.ErrorCode(err) != inbox.Auth || len(lines) != 2 || !strings.Contains(lines[0], "refused the login") {
		t.Errorf("Test = %q, %v", lines, err)
	}
}

func TestTLSWithSelfSignedCertificate(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	srv.Seed("alice", "INBOX", 3)
	tests := []struct {
		name, addr, security, caFile string
		code                         inbox.Code
	}{
		{"implicit TLS with ca_file", srv.IMAPS, SecurityTLS, srv.CAFile, ""},
		{"STARTTLS with ca_file", srv.IMAP, SecurityStartTLS, srv.CAFile, ""},
		{"implicit TLS without ca_file", srv.IMAPS, SecurityTLS, "", inbox.Invalid},
		{"STARTTLS without ca_file", srv.IMAP, SecurityStartTLS, "", inbox.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newDeskSink(t, "alice")
			c := newChannel(t, k, account(srv, "alice", func(s map[string]string) {
				s[channels.SetIMAP], s[channels.SetIMAPSecurity], s[channels.SetCAFile] = tt.addr, tt.security, tt.caFile
			}), srv.Password("alice"))
			err := c.Sync(context.Background(), k, true)
			if inbox.ErrorCode(err) != tt.code || (tt.code == "" && err != nil) {
				t.Fatalf("sync: %v (code %q), want code %q", err, inbox.ErrorCode(err), tt.code)
			}
			if tt.code != "" {
				if !strings.Contains(inbox.Explain(err), "--ca-file") {
					t.Errorf("message %q does not say how to fix it", inbox.Explain(err))
				}
				return
			}
			if n := len(k.messages()); n != 3 {
				t.Errorf("stored %d messages over TLS", n)
			}
		})
	}
}

func TestFoldersByNameWithoutSpecialUse(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, &dovecot.Options{NoSpecialUse: true})
	srv.Seed("alice", "INBOX", 2)
	srv.Seed("alice", "Sent", 2)
	for _, f := range []string{"Junk", "Trash", "Drafts", "Spam", "Deleted Items"} {
		srv.Seed("alice", f, 1)
	}
	k, c := alice(t, srv)
	syncOnce(t, c, k)
	if n := len(k.messages()); n != 4 {
		t.Errorf("stored %d messages, want the 4 of INBOX and Sent", n)
	}
	lines, err := c.Test(context.Background())
	if err == nil {
		t.Fatal("Test passed with SMTP on port 1")
	}
	if !strings.Contains(lines[0], `Sent folder "Sent"`) || !strings.Contains(lines[0], "3 synced (INBOX, Sent, Archive)") || !strings.Contains(lines[0], "CONDSTORE") {
		t.Errorf("IMAP test line %q", lines[0])
	}
	if inbox.ErrorCode(err) != inbox.Unavailable || !strings.HasPrefix(lines[1], "SMTP 127.0.0.1:1 (none): cannot reach") {
		t.Errorf("SMTP test line %q, error %v", lines[1], err)
	}
}

func TestCloseEndsARunningSync(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	k, c := alice(t, srv)
	log := watchCommands(c)
	done := make(chan error, 1)
	go func() { done <- c.Sync(context.Background(), k, false) }()
	waitCommand(t, log, "IDLE", 30*time.Second)
	c.Close()
	select {
	case err := <-done:
		if inbox.ErrorCode(err) != inbox.Unavailable {
			t.Errorf("Sync after Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Sync still running after Close")
	}
}

var _ = tls.VersionTLS12
var _ = filepath.Join

func TestMarkSeenReachesTheServer(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	ids := srv.Seed("alice", "INBOX", 6) // 0 and 3 are seen
	k, c := alice(t, srv)
	syncOnce(t, c, k)
	if err := c.MarkSeen(context.Background(), []string{ids[1], ids[2], "unknown@nowhere"}, true); err != nil {
		t.Fatal(err)
	}
	if err := c.MarkSeen(context.Background(), []string{ids[3]}, false); err != nil {
		t.Fatal(err)
	}
	other := imapLogin(t, srv, "alice")
	if _, err := other.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := other.Fetch(imap.UIDSet{{Start: 1, Stop: 6}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var seen []imap.UID
	for _, m := range msgs {
		if slices.Contains(m.Flags, imap.FlagSeen) {
			seen = append(seen, m.UID)
		}
	}
	if !slices.Equal(seen, []imap.UID{1, 2, 3}) {
		t.Errorf("seen on the server: %v, want [1 2 3]", seen)
	}
	// Sync reads the change back without storing anything.
	k.reset()
	syncOnce(t, c, k)
	if added, _, _ := k.totals(); added != 0 || !k.byMessageID()[ids[1]].Seen || k.byMessageID()[ids[3]].Seen {
		t.Errorf("after MarkSeen and sync: added %d, seen %v %v", added, k.byMessageID()[ids[1]].Seen, k.byMessageID()[ids[3]].Seen)
	}
}

func TestSentFolderHoldsOwnMailFromAnyAddress(t *testing.T) {
	t.Parallel()
	srv := dovecot.Start(t, nil)
	srv.Put("alice", "Sent", []byte("From: The Shop <shop@couture.test>\r\nTo: Carla <carla@customer.example>\r\n"+
		"Subject: Your order\r\nDate: Mon, 2 Jan 2023 10:00:00 +0000\r\nMessage-ID: <from-alias@couture.test>\r\n\r\nIt ships today.\r\n"), "S")
	k, c := alice(t, srv) // shop@ is no configured alias
	syncOnce(t, c, k)
	m, ok := k.byMessageID()["from-alias@couture.test"]
	if !ok || m.Direction != inbox.Out || m.Party.Address != "carla@customer.example" {
		t.Errorf("Sent message from an unlisted own address: %+v (found %v); want outbound to carla", m, ok)
	}
}
