package channeltest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
)

// Crash is a way for a sync to die in the middle: at the second commit, so
// that part of the messages is stored and part is not.
type Crash struct {
	Name string
	// arm sets the Sink hook that crashes; cancel cancels the sync.
	arm func(s *Sink, cancel context.CancelFunc)
	// fails says Sync must return an error (a commit failed), rather than
	// nil (it was cancelled).
	fails bool
}

// Crashes are the crashes every channel must survive without losing or
// doubling a message when it syncs again.
var Crashes = []Crash{
	{
		Name: "cancelled before the second commit",
		arm: func(s *Sink, cancel context.CancelFunc) {
			s.Before = func(n int, _ inbox.Batch) error {
				if n == 2 {
					cancel() // the Desk then refuses to write
				}
				return nil
			}
		},
	},
	{
		Name: "process dies right after the second commit",
		arm: func(s *Sink, _ context.CancelFunc) {
			s.After = func(n int, _ inbox.Batch) error {
				if n == 2 {
					return errors.New("crash after commit")
				}
				return nil
			}
		},
		fails: true,
	},
}

// Run syncs ch into s (continuously, not once) until the crash, checks what
// Sync returned (nil after a cancel, the failed commit's error after a
// crash), and takes the crash's hook off s again.
func (c Crash) Run(t *testing.T, s *Sink, ch channels.Channel) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.arm(s, cancel)
	defer func() { s.Before, s.After = nil, nil }()
	err := ch.Sync(ctx, s, false)
	if c.fails && err == nil {
		t.Fatal("Sync hid the failed commit")
	}
	if !c.fails && err != nil {
		t.Fatalf("Sync after cancel = %v, want nil", err)
	}
}

// MidSync fails the test unless what (a crash, a kill) left some but not
// all of the total messages stored: it must land in the middle of a sync.
func MidSync(t testing.TB, what string, stored, total int) {
	t.Helper()
	if stored == 0 || stored >= total {
		t.Fatalf("the %s left %d of %d messages: it did not land mid-sync", what, stored, total)
	}
}

// The environment StartChild gives the child process.
const (
	childStore = "COUTURE_CHANNELTEST_STORE"
	childAPI   = "COUTURE_CHANNELTEST_API"
)

// StartChild starts this test binary again, running only
// TestHelperSyncProcess: a child process that syncs from the fake API at
// api into a store in dir until it is killed (see RunChild).
func StartChild(t *testing.T, dir, api string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSyncProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childStore+"="+dir, childAPI+"="+api)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// KillAndReopen kills the child process with SIGKILL, waits for it, and
// opens the store it left in dir; the store closes when the test ends.
func KillAndReopen(t *testing.T, cmd *exec.Cmd, dir string) *storage.Store {
	t.Helper()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	st, err := storage.Open(dir, nil)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// RunChild is the body of TestHelperSyncProcess. In the child StartChild
// started, it opens the store, builds the account's channel with open (on
// the fake API's URL, with the store for blobs) and syncs until killed;
// in any other process it skips the test.
func RunChild(t *testing.T, account string, open func(api string, deps channels.Deps) (channels.Channel, error)) {
	dir := os.Getenv(childStore)
	if dir == "" {
		t.Skip("helper process of TestKillDuringSync")
	}
	st, err := storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEnv(t, st, account)
	ch, err := open(os.Getenv(childAPI), e.Deps())
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Sync(context.Background(), e.Sink, false)
	t.Fatalf("Sync returned before the kill: %v", err)
}
