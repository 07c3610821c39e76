package main

import (
	"flag"
	"fmt"
	"io"
	"sync"

	"github.com/couture/couture/channels"
)

func init() {
	register(&command{
		name:    "sync",
		args:    "[--once] [--account NAME]",
		summary: "fetch new messages and send the outbox (until Ctrl-C, or once)",
		run:     runSync,
	})
}

func runSync(e *env, args []string) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	once := fs.Bool("once", false, "catch up once, send what waits in the outbox, then exit")
	name := fs.String("account", "", "only this account")
	pos, err := flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("sync takes no arguments (use --account NAME)")
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	report := progressPrinter(e.stderr)
	if !*once {
		stop, err := e.startChannels(e.ctx, a, *name, report)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stderr, "syncing; press Ctrl-C to stop")
		<-e.ctx.Done()
		stop()
		return nil
	}
	eng := e.engine(a, *name, report)
	defer eng.Stop()
	syncErr := eng.SyncOnce(e.ctx, *name)
	// Answers queued while offline leave now that the accounts answered.
	send := e.sender(a, eng, *name)
	defer send.Stop()
	if _, err := e.outbox(a, send).Flush(e.ctx); err != nil && syncErr == nil {
		return err
	}
	return syncErr
}

// progressPrinter prints status changes on w, one line each:
// "shop: INBOX 3200/12000", "bot: offline: connection refused". It is safe
// for the Engine's goroutines to call at once.
func progressPrinter(w io.Writer) func(channels.Status) {
	var mu sync.Mutex
	return func(s channels.Status) {
		var line string
		switch {
		case s.State == channels.StateSyncing && s.Progress != (channels.Progress{}):
			line = s.Progress.String()
		case s.State == channels.StateSyncing:
			return // "syncing" with nothing to count says nothing
		default:
			line = s.String()
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%s: %s\n", s.Account, oneLine(line))
	}
}
