package main

import (
	"fmt"
	"os"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"

	"github.com/couture/couture/assets"
	"github.com/couture/couture/ui"
)

func init() {
	register(&command{name: "gui", summary: "open the desktop app (the default)", run: func(e *env, args []string) error {
		if len(args) > 0 {
			return usagef("gui takes no arguments")
		}
		return runGUI(e)
	}})
}

func runGUI(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	// The window syncs every account and sends the outbox while it is open;
	// its accounts dialog adds, tests and removes accounts on that engine
	// (gui_accounts.go).
	if err := ensureAnswers(a.desk); err != nil {
		return err
	}
	accounts, stop, err := e.startGUIChannels(e.ctx, a)
	if err != nil {
		return err
	}
	defer stop()
	opts := guiOptions(a)
	opts.Desktop = ui.Desktop{Accounts: accounts, OpenDemo: openDemo}
	return ui.Run(a.desk, opts)
}

// guiOptions passes the window what the Desk does not hand out: the blobs of
// attachments, the channel limits and the agent's name.
func guiOptions(a *appState) *ui.Options {
	return &ui.Options{
		Author: author(),
		Blobs:  a.store,
		Limits: func(ch inbox.ChannelKind, text string, last, now time.Time) (ui.Limit, error) {
			l, err := channels.Check(ch, text, last, now)
			return ui.Limit{Chars: l.Chars, Max: l.Max, Segments: l.Segments, Encoding: l.Encoding, Warning: l.Warning}, err
		},
	}
}

// runDemoGUI opens the GUI on a throw-away store filled with the demo
// business; the store is deleted when the window closes.
func runDemoGUI(e *env) error {
	dir, err := os.MkdirTemp("", "couture-demo-")
	if err != nil {
		return err
	}
	defer func() {
		e.close()
		os.RemoveAll(dir)
	}()
	e.dataDir, e.throwaway = dir, true
	a, err := e.open()
	if err != nil {
		return err
	}
	sum, err := assets.LoadDemo(e.ctx, a.desk, a.clock)
	if err != nil {
		return fmt.Errorf("load the demo: %w", err)
	}
	fmt.Fprintf(e.stderr, "demo: %d customers, %d messages in a throw-away store\n", sum.Customers, sum.Messages)
	if err := ensureAnswers(a.desk); err != nil {
		return err
	}
	opts := guiOptions(a)
	opts.Demo = true
	return ui.Run(a.desk, opts)
}
