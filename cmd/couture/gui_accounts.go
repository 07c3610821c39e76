package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/ui"
)

// guiAccounts is the GUI's account management (ui.Accounts): the settings
// dialog does exactly what `couture account add|list|test|remove` does,
// through the same functions, and the running sync engine follows: an
// added account starts syncing, a removed one stops.
type guiAccounts struct {
	e   *env
	a   *appState
	eng *channels.Engine // the GUI's running engine; nil when not syncing
}

// startGUIChannels starts syncing every account and sending the outbox for
// the GUI, and returns the ui.Accounts the GUI manages them with. stop ends
// both and waits for them; statuses reach the GUI as inbox.AccountStatus
// changes on the Desk.
func (e *env) startGUIChannels(ctx context.Context, a *appState) (acc *guiAccounts, stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	eng := e.engine(a, "", nil)
	if err := eng.Start(ctx); err != nil {
		cancel()
		return nil, nil, err
	}
	ob := e.outbox(a, eng)
	var wg sync.WaitGroup
	wg.Go(func() { ob.Run(ctx) })
	return &guiAccounts{e: e, a: a, eng: eng}, func() {
		cancel()
		wg.Wait()
		eng.Stop()
	}, nil
}

// openDemo opens the demo business in a second Couture process (`couture
// --demo`, a throw-away store), so the user's own store stays open and
// untouched in this one.
func openDemo() error {
	exe, err := os.Executable()
	if err != nil {
		return inbox.Wrap(inbox.Unavailable, err, "cannot find the couture program to start the demo")
	}
	cmd := exec.Command(exe, "--demo")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return inbox.Wrap(inbox.Unavailable, err, "cannot start the demo")
	}
	go cmd.Wait() // reap it when it exits
	return nil
}

// List implements ui.Accounts: the configured accounts with the engine's
// live status, or the last saved one.
func (g *guiAccounts) List() ([]ui.Account, error) {
	all, err := channels.LoadAccounts(g.a.store)
	if err != nil {
		return nil, err
	}
	status, err := channels.LoadStatuses(g.a.store)
	if err != nil {
		status = map[string]channels.Status{} // a damaged cache only loses the statuses
	}
	if g.eng != nil {
		for _, s := range g.eng.Statuses() {
			status[s.Account] = s
		}
	}
	out := make([]ui.Account, 0, len(all))
	for _, acc := range all {
		out = append(out, ui.Account{
			Name:     acc.Name,
			Kind:     acc.Kind,
			Settings: formSettings(acc.Settings),
			Details:  details(acc),
			Status:   uiStatus(status[acc.Name]),
		})
	}
	return out, nil
}

// Add implements ui.Accounts: it runs `couture account add KIND` with the
// form's fields as flags and the secret on standard input, so the GUI
// checks and stores accounts exactly as the CLI does; then it starts
// syncing the new account.
func (g *guiAccounts) Add(a ui.Account, secret string) error {
	args, err := addArgs(a, secret)
	if err != nil {
		return err
	}
	if err := runAccountAdd(g.quiet(secret), args); err != nil {
		return formError(err)
	}
	if g.eng != nil {
		if err := g.eng.Restart(a.Name); err != nil {
			return err
		}
	}
	return nil
}

// Test implements ui.Accounts. With settings it checks the account as
// filled in (the CLI's validation, then the channel's own test) without
// saving anything; without, the saved account a.Name, as `couture
// account test` does.
func (g *guiAccounts) Test(ctx context.Context, a ui.Account, secret string) ([]string, error) {
	var (
		ch  channels.Channel
		acc channels.Account
	)
	if len(a.Settings) == 0 && secret == "" {
		eng := g.e.engine(g.a, "", nil)
		defer eng.Stop()
		var err error
		if ch, acc, err = eng.Channel(a.Name); err != nil {
			return nil, err
		}
	} else {
		args, err := addArgs(a, secret)
		if err != nil {
			return nil, err
		}
		acc, secret, err = parseAccount(g.quiet(secret), args)
		if err != nil {
			return nil, formError(err)
		}
		if err := channels.ValidName(acc.Name); err != nil {
			return nil, err
		}
		all, err := channels.LoadAccounts(g.a.store)
		if err != nil {
			return nil, err
		}
		f := factories[acc.Kind]
		if f == nil {
			return nil, inbox.Errorf(inbox.Invalid, "this build of Couture has no %s channel", acc.Kind)
		}
		ch, err = f(acc, secret, channels.Deps{
			Blobs:  g.a.store,
			Phones: g.a.desk.Phones(),
			Own:    channels.OwnAddresses(append(all, acc)),
			Logger: slog.Default().With("account", acc.Name),
		})
		if err != nil {
			return nil, err
		}
		if c, ok := ch.(io.Closer); ok {
			defer c.Close()
		}
	}
	t, ok := ch.(channels.Tester)
	if !ok {
		return nil, inbox.Errorf(inbox.Invalid, "the %s channel cannot check its settings on its own; add the account and watch its status", acc.Kind)
	}
	return t.Test(ctx)
}

// Remove implements ui.Accounts as `couture account remove` does, and
// stops the account's sync.
func (g *guiAccounts) Remove(name string) error {
	if err := channels.RemoveAccount(g.a.store, name); err != nil {
		return err
	}
	if g.eng != nil {
		if err := g.eng.Restart(name); err != nil { // stops it: it no longer exists
			slog.Warn("stop the removed account", "account", name, "err", err)
		}
	}
	if err := g.e.secretStore().Delete(name); err != nil {
		return inbox.Wrap(inbox.Unavailable, err, "account "+name+" removed, but its password could not be deleted: "+inbox.Explain(err))
	}
	return nil
}

// quiet is the env `account add` runs in for the GUI: the same store and
// secret store, the secret on standard input, no output.
func (g *guiAccounts) quiet(secret string) *env {
	q := *g.e
	q.app = g.a
	q.stdin = strings.NewReader(secret + "\n")
	q.stdout, q.stderr = io.Discard, io.Discard
	return &q
}

// secretFlags is the flag each kind reads its secret with.
var secretFlags = map[string]string{
	channels.KindEmail:    "--password-stdin",
	channels.KindTelegram: "--token-stdin",
	channels.KindTwilio:   "--auth-token-stdin",
	channels.KindMatrix:   "--password-stdin",
}

// addArgs turns the form into the arguments of `couture account add`:
// the kind, then one flag per field (the form's keys are the flags' names).
func addArgs(a ui.Account, secret string) ([]string, error) {
	flag, ok := secretFlags[a.Kind]
	if !ok {
		return nil, inbox.Errorf(inbox.Invalid, "unknown account kind %q (one of email, telegram, twilio, matrix)", a.Kind)
	}
	args := []string{a.Kind, "--name=" + a.Name}
	keys := make([]string, 0, len(a.Settings))
	for k := range a.Settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := a.Settings[k]
		switch {
		case v == "":
		case k == "allow-insecure":
			if v == "true" {
				args = append(args, "--allow-insecure")
			}
		default:
			args = append(args, "--"+k+"="+v)
		}
	}
	if secret != "" {
		args = append(args, flag)
	}
	return args, nil
}

// parseAccount checks the arguments of `account add` as the CLI does and
// returns the account and its secret, saving nothing.
func parseAccount(e *env, args []string) (channels.Account, string, error) {
	switch args[0] {
	case channels.KindEmail:
		return emailAccount(e, args[1:])
	case channels.KindTelegram:
		return telegramAccount(e, args[1:])
	case channels.KindTwilio:
		return twilioAccount(e, args[1:])
	case channels.KindMatrix:
		return matrixAccount(e, args[1:])
	}
	return channels.Account{}, "", inbox.Errorf(inbox.Invalid, "unknown account kind %q", args[0])
}

// flagFields name the CLI's flags as the GUI's form labels them, so a
// message written for the command line reads right in the dialog.
var flagFields = strings.NewReplacer(
	"--name", "Account name",
	"--address", "E-mail address",
	"--imap-security", "IMAP security",
	"--smtp-security", "SMTP security",
	"--imap", "IMAP server",
	"--smtp", "SMTP server",
	"--username", "Login name",
	"--aliases", "Other own addresses",
	"--token-command", "OAuth2 token command",
	"--ca-file", "CA certificate",
	"--allow-insecure", "“Allow an unencrypted connection”",
	"--password-stdin", "the password",
	"--token-stdin", "the bot token",
	"--auth-token-stdin", "the auth token",
	"--account-sid", "Account SID",
	"--api-key", "API key SID",
	"--api-url", "API address",
	"--whatsapp-from", "WhatsApp sender",
	"--from", "SMS number",
	"--homeserver", "Homeserver",
	"--user", "User id",
)

// formError makes a CLI usage error an inbox.Invalid error, and names the
// form's fields instead of the flags in any domain message; other errors
// pass unchanged.
func formError(err error) error {
	var u usageError
	if errors.As(err, &u) {
		msg := strings.TrimPrefix(flagFields.Replace(u.msg), "account add ")
		return inbox.Errorf(inbox.Invalid, "%s", msg)
	}
	var d *inbox.Error
	if errors.As(err, &d) && strings.Contains(d.Message, "--") {
		return &inbox.Error{Code: d.Code, Message: flagFields.Replace(d.Message), Err: err}
	}
	return err
}

// formSettings renames the saved settings' keys to the form's (the flags'
// names): imap_security → imap-security.
func formSettings(s map[string]string) map[string]string {
	out := make(map[string]string, len(s))
	for k, v := range s {
		out[strings.ReplaceAll(k, "_", "-")] = v
	}
	return out
}

// uiStatus is the GUI's view of an account's sync status.
func uiStatus(s channels.Status) ui.AccountStatus {
	return ui.AccountStatus{
		State:       ui.AccountState(s.State),
		Folder:      s.Progress.Folder,
		Done:        s.Progress.Done,
		Total:       s.Progress.Total,
		Reason:      s.Reason,
		NextTry:     s.NextTry,
		LastSuccess: s.LastSuccess,
	}
}
