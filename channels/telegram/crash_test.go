package telegram

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	fake "github.com/couture/couture/internal/fakes/telegram"
	"github.com/couture/couture/phone"
	"github.com/couture/couture/storage"
)

// injectMany queues n messages from a few people, every third one a photo,
// and returns their external ids.
func injectMany(f *fake.Server, n int) []string {
	people := []fake.User{anna, bruno, {ID: 5500000003, FirstName: "Chloé"}}
	var ids []string
	for i := range n {
		from := people[i%len(people)]
		var u fake.Update
		if i%3 == 0 {
			u = f.SendPhoto(from, "photo "+itoa(int64(i)), []byte("jpeg "+itoa(int64(i))))
		} else {
			u = f.SendText(from, "message "+itoa(int64(i)))
		}
		ids = append(ids, extID(u))
	}
	return ids
}

// checkAllOnce fails unless the store holds exactly the messages ids, each
// once, photos with their file.
func checkAllOnce(t *testing.T, e *env, ids []string) {
	t.Helper()
	all := e.telegramMessages() // fails on duplicates
	if len(all) != len(ids) {
		t.Errorf("stored %d messages, want %d", len(all), len(ids))
	}
	for i, id := range ids {
		m, ok := all[id]
		if !ok {
			t.Errorf("message %s lost", id)
			continue
		}
		if i%3 == 0 && len(m.Attachments) != 1 {
			t.Errorf("photo %s stored without its file", id)
		}
	}
}

func TestCrashMidBatchLosesAndDoublesNothing(t *testing.T) {
	tests := []struct {
		name string
		// crash runs in the sink around commit n; it returns the error
		// Commit gives the channel.
		before, after func(cancel context.CancelFunc) func(n int, b inbox.Batch) error
	}{
		{
			name: "cancelled before the second commit",
			before: func(cancel context.CancelFunc) func(int, inbox.Batch) error {
				return func(n int, _ inbox.Batch) error {
					if n == 2 {
						cancel() // the Desk then refuses to write
					}
					return nil
				}
			},
		},
		{
			name: "process dies right after the second commit",
			after: func(cancel context.CancelFunc) func(int, inbox.Batch) error {
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
			ids := injectMany(e.fake, 250) // three batches of at most 100
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
			got := len(e.telegramMessages())
			if got == 0 || got >= len(ids) {
				t.Fatalf("the crash left %d of %d messages: it did not land mid-sync", got, len(ids))
			}

			e.sink.before, e.sink.after = nil, nil
			e.ch = e.channel()
			e.syncOnce()
			checkAllOnce(t, e, ids)
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
	fk := fake.New(testToken)
	defer fk.Close()
	ids := injectMany(fk, 300)
	fk.SetDelay(2 * time.Millisecond) // a batch takes a while: the kill lands inside one
	dir := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSyncProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "COUTURE_TELEGRAM_HELPER_STORE="+dir, "COUTURE_TELEGRAM_HELPER_API="+fk.URL)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The second getUpdates follows the first commit; then let the child
	// download part of the next batch's photos.
	if err := fk.WaitCall(ctx, "getUpdates", 2); err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, c := range fk.Calls() {
		if c.Method == "getFile" {
			files++
		}
	}
	if err := fk.WaitCall(ctx, "getFile", files+10); err != nil {
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
	before := len(e.telegramMessages())
	if before == 0 || before >= len(ids) {
		t.Fatalf("the kill left %d of %d messages: it did not land mid-sync", before, len(ids))
	}
	t.Logf("killed with %d of %d messages committed", before, len(ids))
	fk.SetDelay(0)
	e.syncOnce()
	checkAllOnce(t, e, ids)
}

// TestHelperSyncProcess is the child of TestKillDuringSync: it syncs until
// killed.
func TestHelperSyncProcess(t *testing.T) {
	dir := os.Getenv("COUTURE_TELEGRAM_HELPER_STORE")
	if dir == "" {
		t.Skip("helper process of TestKillDuringSync")
	}
	st, err := storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	desk := inbox.NewDesk(st, &inbox.Options{Phones: phone.Normalizer{}})
	a := channels.Account{Name: testAccount, Kind: channels.KindTelegram,
		Settings: map[string]string{channels.SetAPIURL: os.Getenv("COUTURE_TELEGRAM_HELPER_API")}}
	ch, err := NewWithOptions(a, testToken, channels.Deps{Blobs: st, Phones: phone.Normalizer{}}, &Options{PollTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Sync(context.Background(), &deskSink{desk: desk, account: testAccount}, false)
	t.Fatalf("Sync returned before the kill: %v", err)
}
