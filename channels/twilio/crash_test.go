package twilio

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	fake "github.com/couture/couture/internal/fakes/twilio"
	"github.com/couture/couture/phone"
	"github.com/couture/couture/storage"
)

// addMany stores n inbound messages from a few people on both channels,
// every third one with a picture, and returns their SIDs.
func addMany(f *fake.Server, n int) []string {
	people := []string{anna, bruno, "+33698765432"}
	var sids []string
	for i := range n {
		from, to := people[i%len(people)], bizSMS
		if i%2 == 1 {
			from, to = "whatsapp:"+from, "whatsapp:"+bizWA
		}
		var m fake.Message
		if i%3 == 0 {
			m = f.AddInbound(from, to, "photo", fake.Media{ContentType: "image/jpeg", Data: []byte{byte(i), byte(i >> 8), 0xd8}})
		} else {
			m = f.AddInbound(from, to, "message")
		}
		sids = append(sids, m.SID)
	}
	return sids
}

func checkAllOnce(t *testing.T, e *env, sids []string) {
	t.Helper()
	all := e.twilioMessages() // fails on duplicates
	if len(all) != len(sids) {
		t.Errorf("stored %d messages, want %d", len(all), len(sids))
	}
	for i, sid := range sids {
		m, ok := all[sid]
		if !ok {
			t.Errorf("message %s lost", sid)
			continue
		}
		if i%3 == 0 && len(m.Attachments) != 1 {
			t.Errorf("photo %s stored without its media", sid)
		}
	}
	if n := len(e.customers()); n != 3 {
		t.Errorf("%d customers, want 3 (SMS and WhatsApp of a number are one)", n)
	}
}

func TestCrashMidBatchLosesAndDoublesNothing(t *testing.T) {
	tests := []struct {
		name          string
		before, after func(cancel context.CancelFunc) func(n int, b inbox.Batch) error
	}{
		{
			name: "cancelled before the second commit",
			before: func(cancel context.CancelFunc) func(int, inbox.Batch) error {
				return func(n int, _ inbox.Batch) error {
					if n == 2 {
						cancel()
					}
					return nil
				}
			},
		},
		{
			name: "process dies right after the second commit",
			after: func(context.CancelFunc) func(int, inbox.Batch) error {
				return func(n int, _ inbox.Batch) error {
					if n == 2 {
						return errors.New("crash after commit")
					}
					return nil
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.opts.BatchSize = 40
			e.opts.PageSize = 25
			e.ch = e.channel()
			sids := addMany(e.fake, 150)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.before != nil {
				e.sink.before = tc.before(cancel)
			}
			if tc.after != nil {
				e.sink.after = tc.after(cancel)
			}
			err := e.ch.Sync(ctx, e.sink, false)
			if tc.after != nil && err == nil {
				t.Fatal("Sync hid the failed commit")
			}
			if tc.before != nil && err != nil {
				t.Fatalf("Sync after cancel = %v, want nil", err)
			}
			got := len(e.twilioMessages())
			if got == 0 || got >= len(sids) {
				t.Fatalf("the crash left %d of %d messages: it did not land mid-sync", got, len(sids))
			}
			e.sink.before, e.sink.after = nil, nil
			downloads := e.fake.MediaDownloads()
			e.ch = e.channel()
			e.syncOnce()
			checkAllOnce(t, e, sids)
			// Media of committed messages are not fetched again: only those
			// of the messages after the committed ones (oldest first).
			uncommitted := 0
			for i := got; i < len(sids); i++ {
				if i%3 == 0 {
					uncommitted++
				}
			}
			if again := e.fake.MediaDownloads() - downloads; again > uncommitted {
				t.Errorf("resync downloaded %d media, want at most the %d of uncommitted messages", again, uncommitted)
			}
		})
	}
}

// TestKillDuringSync runs the sync in a child process, kills it with
// SIGKILL in the middle of a batch, and resumes in this process on the same
// store: nothing lost, nothing doubled.
func TestKillDuringSync(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	fk := newFake(t)
	sids := addMany(fk, 300)
	fk.SetDelay(2 * time.Millisecond)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSyncProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "COUTURE_TWILIO_HELPER_STORE="+dir, "COUTURE_TWILIO_HELPER_API="+fk.URL)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The child lists both inboxes, then downloads media batch after batch:
	// kill it once it is well into the media.
	if err := fk.WaitMediaDownloads(ctx, 60); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	st, err := storage.Open(dir, nil)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	e := newEnvOn(t, fk, st)
	before := len(e.twilioMessages())
	if before == 0 || before >= len(sids) {
		t.Fatalf("the kill left %d of %d messages: it did not land mid-sync", before, len(sids))
	}
	t.Logf("killed with %d of %d messages committed", before, len(sids))
	fk.SetDelay(0)
	e.syncOnce()
	checkAllOnce(t, e, sids)
}

// TestHelperSyncProcess is the child of TestKillDuringSync.
func TestHelperSyncProcess(t *testing.T) {
	dir := os.Getenv("COUTURE_TWILIO_HELPER_STORE")
	if dir == "" {
		t.Skip("helper process of TestKillDuringSync")
	}
	st, err := storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	desk := inbox.NewDesk(st, &inbox.Options{Phones: phone.Normalizer{}})
	a := channels.Account{Name: testAccount, Kind: channels.KindTwilio, Settings: map[string]string{
		channels.SetAPIURL: os.Getenv("COUTURE_TWILIO_HELPER_API"), channels.SetAccountSID: testSID,
		channels.SetFrom: bizSMS, channels.SetWhatsAppFrom: bizWA,
	}}
	ch, err := NewWithOptions(a, testToken, channels.Deps{Blobs: st, Phones: phone.Normalizer{}},
		&Options{PollInterval: 50 * time.Millisecond, BatchSize: 30})
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Sync(context.Background(), &deskSink{desk: desk, account: testAccount}, false)
	t.Fatalf("Sync returned before the kill: %v", err)
}
