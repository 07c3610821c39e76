package main

import (
	"fmt"
	"os"

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
	return ui.Run(a.desk, &ui.Options{Desktop: ui.Desktop{Accounts: accounts, OpenDemo: openDemo}})
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
	return ui.Run(a.desk, &ui.Options{Demo: true})
}
