package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	faketg "github.com/couture/couture/internal/fakes/telegram"
	"github.com/couture/couture/ui"
)

// newGUIAccounts opens a store in a temporary directory, with the secrets
// in the encrypted file, and the GUI's account management over it (no
// engine running).
func newGUIAccounts(t *testing.T) *guiAccounts {
	t.Helper()
	t.Setenv("COUTURE_SECRETS", "file")
	e := &env{dataDir: t.TempDir(), stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, ctx: context.Background()}
	a, err := e.open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	return &guiAccounts{e: e, a: a}
}

func TestGUIAccountsAddListRemove(t *testing.T) {
	g := newGUIAccounts(t)
	shop := ui.Account{Name: "shop", Kind: ui.KindEmail, Settings: map[string]string{
		"address": "Hello@Shop.example", "imap": "imap.shop.example:993", "smtp": "smtp.shop.example:587",
		"aliases": "sales@shop.example", "allow-insecure": "",
	}}
	if err := g.Add(shop, "Corr3ct-Horse"); err != nil {
		t.Fatal(err)
	}
	if err := g.Add(ui.Account{Name: "sms", Kind: ui.KindTwilio, Settings: map[string]string{"account-sid": "AC0123", "from": "+33 6 12 34 56 78"}}, "auth-token"); err != nil {
		t.Fatal(err)
	}
	list, err := g.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "shop" || list[1].Name != "sms" {
		t.Fatalf("accounts %+v", list)
	}
	// The CLI's normalization, under the form's keys.
	if s := list[0].Settings; s["address"] != "hello@shop.example" || s["imap-security"] != "tls" || s["smtp-security"] != "starttls" || s["username"] != "hello@shop.example" {
		t.Errorf("shop settings %v", s)
	}
	if list[1].Settings["from"] != "+33612345678" || list[1].Details != "sms +33612345678" || list[1].Status.State != ui.StateNew {
		t.Errorf("sms account %+v", list[1])
	}
	if secret, err := g.e.secretStore().Get("shop"); err != nil || secret != "Corr3ct-Horse" {
		t.Errorf("shop's secret %q, %v", secret, err)
	}

	if err := g.Remove("sms"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.e.secretStore().Get("sms"); inbox.ErrorCode(err) != inbox.NotFound {
		t.Errorf("the removed account's secret is still there: %v", err)
	}
	if list, _ := g.List(); len(list) != 1 {
		t.Errorf("accounts after the removal: %+v", list)
	}
}

func TestGUIAccountsRefuseAsTheCLIDoes(t *testing.T) {
	g := newGUIAccounts(t)
	if err := g.Add(ui.Account{Name: "bot", Kind: ui.KindTelegram}, "123:abc"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		a      ui.Account
		secret string
		want   string
	}{
		{"taken name", ui.Account{Name: "BOT", Kind: ui.KindTelegram}, "x", `an account named "bot" exists already`},
		{"bad name", ui.Account{Name: "my shop", Kind: ui.KindTelegram}, "x", `account name "my shop"`},
		{"no port", ui.Account{Name: "m", Kind: ui.KindEmail, Settings: map[string]string{"address": "a@b.example", "imap": "imap.b.example", "smtp": "smtp.b.example:587"}}, "pw",
			`IMAP server "imap.b.example" must be host:port`},
		{"plaintext", ui.Account{Name: "m", Kind: ui.KindEmail, Settings: map[string]string{"address": "a@b.example", "imap": "imap.b.example:143", "imap-security": "none", "smtp": "smtp.b.example:587"}}, "pw",
			"IMAP security none would send the password in clear"},
		{"bad address", ui.Account{Name: "m", Kind: ui.KindEmail, Settings: map[string]string{"address": "not an address", "imap": "i:993", "smtp": "s:465"}}, "pw", "not an address"},
		{"sid", ui.Account{Name: "t", Kind: ui.KindTwilio, Settings: map[string]string{"account-sid": "SK1", "from": "+33612345678"}}, "tok", `Account SID "SK1" must start with AC`},
		{"homeserver", ui.Account{Name: "x", Kind: ui.KindMatrix, Settings: map[string]string{"homeserver": "matrix.example", "user": "@a:b"}}, "pw", `Homeserver "matrix.example" must be an http or https URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := g.Add(tt.a, tt.secret)
			if err == nil || !strings.Contains(inbox.Explain(err), tt.want) {
				t.Fatalf("Add: %v, want a message with %q", err, tt.want)
			}
			if strings.Contains(inbox.Explain(err), "--") {
				t.Errorf("the message names a CLI flag: %q", inbox.Explain(err))
			}
			if c := inbox.ErrorCode(err); c == "" {
				t.Errorf("error without a code: %v", err)
			}
		})
	}
	if list, _ := g.List(); len(list) != 1 {
		t.Errorf("a refused account was saved: %+v", list)
	}
	if s, _ := g.e.secretStore().Get("bot"); s != "123:abc" {
		t.Errorf("the existing account's secret changed to %q", s)
	}
}

func TestGUIAccountsTestAgainstTheFakeBotAPI(t *testing.T) {
	g := newGUIAccounts(t)
	srv := faketg.New("4242:good-token")
	defer srv.Close()
	form := ui.Account{Name: "bot", Kind: ui.KindTelegram, Settings: map[string]string{"api-url": srv.URL}}

	// As filled in, before it is saved.
	lines, err := g.Test(context.Background(), form, "4242:good-token")
	if err != nil || len(lines) == 0 || !strings.Contains(lines[0], "bot token accepted") {
		t.Fatalf("test of the form: %q, %v", lines, err)
	}
	if list, _ := g.List(); len(list) != 0 {
		t.Fatalf("a test saved the account: %+v", list)
	}
	if _, err := g.Test(context.Background(), form, "4242:wrong"); inbox.ErrorCode(err) != inbox.Auth {
		t.Errorf("wrong token: %v, want an auth error", err)
	}

	// Saved: tested by name with its stored secret.
	if err := g.Add(form, "4242:good-token"); err != nil {
		t.Fatal(err)
	}
	if lines, err := g.Test(context.Background(), ui.Account{Name: "bot"}, ""); err != nil || len(lines) == 0 {
		t.Errorf("test of the saved account: %q, %v", lines, err)
	}
	if _, err := g.Test(context.Background(), ui.Account{Name: "nobody"}, ""); inbox.ErrorCode(err) != inbox.NotFound {
		t.Errorf("unknown account: %v", err)
	}
}

func TestUIStatus(t *testing.T) {
	s := uiStatus(channels.Status{Account: "shop", State: channels.StateSyncing, Progress: channels.Progress{Folder: "INBOX", Done: 3200, Total: 12000}})
	if s.State != ui.StateSyncing || s.Folder != "INBOX" || s.Done != 3200 || s.Total != 12000 {
		t.Errorf("uiStatus = %+v", s)
	}
	// The GUI's states are the engine's.
	for _, st := range []channels.State{channels.StateSyncing, channels.StateIdle, channels.StateOffline, channels.StateError, channels.StateAuthFailed} {
		switch ui.AccountState(st) {
		case ui.StateSyncing, ui.StateIdle, ui.StateOffline, ui.StateError, ui.StateAuthFailed:
		default:
			t.Errorf("engine state %q unknown to the GUI", st)
		}
	}
}
