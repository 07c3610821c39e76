package telegram

import (
	"context"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/internal/channeltest"
	fake "github.com/couture/couture/internal/fakes/telegram"
)

// injectMany queues n messages from a few people, every third one a photo,
// and returns the messages the store must hold: their external ids, each
// with its number of files.
func injectMany(f *fake.Server, n int) map[string]int {
	people := []fake.User{anna, bruno, {ID: 5500000003, FirstName: "Chloé"}}
	want := map[string]int{}
	for i := range n {
		from := people[i%len(people)]
		if i%3 == 0 {
			want[extID(f.SendPhoto(from, "photo "+itoa(int64(i)), []byte("jpeg "+itoa(int64(i)))))] = 1
		} else {
			want[extID(f.SendText(from, "message "+itoa(int64(i))))] = 0
		}
	}
	return want
}

func TestCrashMidBatchLosesAndDoublesNothing(t *testing.T) {
	for _, crash := range channeltest.Crashes {
		t.Run(crash.Name, func(t *testing.T) {
			e := newEnv(t)
			want := injectMany(e.fake, 250) // three batches of at most 100
			crash.Run(t, e.Sink, e.ch)
			channeltest.MidSync(t, "crash", len(e.telegramMessages()), len(want))

			e.ch = e.channel()
			e.syncOnce()
			channeltest.HoldsOnce(t, e.telegramMessages(), want)
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
	want := injectMany(fk, 300)
	fk.SetDelay(2 * time.Millisecond) // a batch takes a while: the kill lands inside one
	dir := t.TempDir()

	cmd := channeltest.StartChild(t, dir, fk.URL)
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

	e := newEnvOn(t, fk, channeltest.KillAndReopen(t, cmd, dir))
	before := len(e.telegramMessages())
	channeltest.MidSync(t, "kill", before, len(want))
	t.Logf("killed with %d of %d messages committed", before, len(want))
	fk.SetDelay(0)
	e.syncOnce()
	channeltest.HoldsOnce(t, e.telegramMessages(), want)
}

// TestHelperSyncProcess is the child of TestKillDuringSync: it syncs until
// killed.
func TestHelperSyncProcess(t *testing.T) {
	channeltest.RunChild(t, testAccount, func(api string, deps channels.Deps) (channels.Channel, error) {
		return NewWithOptions(account(api), testToken, deps, &Options{PollTimeout: time.Second})
	})
}
