package twilio

import (
	"context"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/internal/channeltest"
	fake "github.com/couture/couture/internal/fakes/twilio"
)

// addMany stores n inbound messages from a few people on both channels,
// every third one with a picture, and returns their SIDs (oldest first).
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

// checkAllOnce fails unless the store holds exactly the messages sids,
// each once, pictures with their media, on the three customers.
func checkAllOnce(t *testing.T, e *env, sids []string) {
	t.Helper()
	want := map[string]int{}
	for i, sid := range sids {
		if i%3 == 0 {
			want[sid] = 1
		} else {
			want[sid] = 0
		}
	}
	channeltest.HoldsOnce(t, e.twilioMessages(), want)
	if n := len(e.Customers()); n != 3 {
		t.Errorf("%d customers, want 3 (SMS and WhatsApp of a number are one)", n)
	}
}

func TestCrashMidBatchLosesAndDoublesNothing(t *testing.T) {
	for _, crash := range channeltest.Crashes {
		t.Run(crash.Name, func(t *testing.T) {
			e := newEnv(t)
			e.opts.BatchSize = 40
			e.opts.PageSize = 25
			e.ch = e.channel()
			sids := addMany(e.fake, 150)
			crash.Run(t, e.Sink, e.ch)
			got := len(e.twilioMessages())
			channeltest.MidSync(t, "crash", got, len(sids))

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
	cmd := channeltest.StartChild(t, dir, fk.URL)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The child lists both inboxes, then downloads media batch after batch:
	// kill it once it is well into the media.
	if err := fk.WaitMediaDownloads(ctx, 60); err != nil {
		t.Fatal(err)
	}

	e := newEnvOn(t, fk, channeltest.KillAndReopen(t, cmd, dir))
	before := len(e.twilioMessages())
	channeltest.MidSync(t, "kill", before, len(sids))
	t.Logf("killed with %d of %d messages committed", before, len(sids))
	fk.SetDelay(0)
	e.syncOnce()
	checkAllOnce(t, e, sids)
}

// TestHelperSyncProcess is the child of TestKillDuringSync.
func TestHelperSyncProcess(t *testing.T) {
	channeltest.RunChild(t, testAccount, func(api string, deps channels.Deps) (channels.Channel, error) {
		a := channels.Account{Name: testAccount, Kind: channels.KindTwilio, Settings: settings(api)}
		return NewWithOptions(a, testToken, deps, &Options{PollInterval: 50 * time.Millisecond, BatchSize: 30})
	})
}
