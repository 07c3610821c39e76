package ui

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/couture/couture/inbox"
)

// newTestSettings opens the accounts dialog in a test window of the main
// window's size.
func newTestSettings(t *testing.T, acc *fakeAccounts) (*settingsDialog, fyne.Window, *int) {
	t.Helper()
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(1100, 720))
	changed := 0
	d := newSettingsDialog(acc, inline, w, func() { changed++ })
	return d, w, &changed
}

func TestSettingsDialogAddsAnEmailAccount(t *testing.T) {
	useEnglish(t)
	acc := &fakeAccounts{lines: []string{"IMAP imap.example.com:993: login ok, 12 folders", "SMTP smtp.example.com:587: STARTTLS, login ok"}}
	d, w, changed := newTestSettings(t, acc)
	d.show()
	test.Tap(findButton(t, w.Canvas(), "Add an account"))

	for key, text := range map[string]string{
		"name":    "shop",
		"address": "Shop@Example.com",
		"secret":  "s3cret pass",
		"imap":    "imap.example.com:993",
		"smtp":    "smtp.example.com:587",
	} {
		typeInto(w, d.entries[key], text)
	}
	test.Tap(findButton(t, w.Canvas(), "Test"))
	if len(acc.tested) != 1 || acc.tested[0].Name != "shop" {
		t.Fatalf("tested %+v, want the account as filled in", acc.tested)
	}
	if got := texts(t, d.addResult); !slices.Equal(got, acc.lines) {
		t.Errorf("test result %q, want %q", got, acc.lines)
	}

	test.Tap(findButton(t, w.Canvas(), "Add the account"))
	if len(acc.added) != 1 {
		t.Fatalf("added %+v", acc.added)
	}
	want := map[string]string{"address": "Shop@Example.com", "imap": "imap.example.com:993", "smtp": "smtp.example.com:587"}
	if a := acc.added[0]; a.Name != "shop" || a.Kind != KindEmail || !maps.Equal(a.Settings, want) || acc.secrets[0] != "s3cret pass" {
		t.Errorf("added %+v with secret %q; want settings %v", a, acc.secrets[0], want)
	}
	if *changed != 1 {
		t.Errorf("onChanged called %d times", *changed)
	}
	// Back on the list, with the new account and a word about it.
	if got := texts(t, d.listBox); len(got) == 0 || got[0] != "shop" {
		t.Errorf("list %q, want the new account", got)
	}
	if got := texts(t, d.listResult); len(got) != 1 || !strings.Contains(got[0], "Account shop added") {
		t.Errorf("list result %q", got)
	}
}

func TestSettingsDialogChecksTheFormFirst(t *testing.T) {
	useEnglish(t)
	tests := []struct {
		name string
		kind string
		fill map[string]string
		want string
	}{
		{"empty e-mail form", "E-mail", nil, "Please fill in: Account name, E-mail address, IMAP server, SMTP server."},
		{"e-mail without password", "E-mail", map[string]string{"name": "shop", "address": "a@b.c", "imap": "h:993", "smtp": "h:587"},
			"Please give the password (or, under Advanced, an OAuth2 token command)."},
		{"twilio without token", "SMS & WhatsApp (Twilio)", map[string]string{"name": "sms", "account-sid": "AC1", "from": "+33612345678"}, "Please fill in: Auth token."},
		{"matrix", "Matrix", map[string]string{"name": "mx"}, "Please fill in: Homeserver, User id, Password."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := &fakeAccounts{}
			d, w, _ := newTestSettings(t, acc)
			d.showAdd()
			test.Tap(findButton(t, w.Canvas(), tt.kind))
			for k, v := range tt.fill {
				typeInto(w, d.entries[k], v)
			}
			test.Tap(findButton(t, w.Canvas(), "Add the account"))
			if got := texts(t, d.addResult); len(got) != 1 || got[0] != tt.want {
				t.Errorf("result %q, want %q", got, tt.want)
			}
			if len(acc.added)+len(acc.tested) > 0 {
				t.Errorf("an incomplete form reached Accounts: %+v %+v", acc.added, acc.tested)
			}
		})
	}
}

func TestSettingsDialogShowsTheDomainMessage(t *testing.T) {
	useEnglish(t)
	acc := &fakeAccounts{addErr: inbox.Wrap(inbox.Invalid, errors.New("strconv.Atoi: parsing \"99999\""), `IMAP server "imap.example.com:99999" must be host:port`)}
	d, w, changed := newTestSettings(t, acc)
	d.showAdd()
	test.Tap(findButton(t, w.Canvas(), "Telegram"))
	test.Tap(findButton(t, w.Canvas(), "E-mail"))
	for k, v := range map[string]string{"name": "shop", "address": "a@b.c", "secret": "pw", "imap": "imap.example.com:99999", "smtp": "h:587"} {
		typeInto(w, d.entries[k], v)
	}
	test.Tap(findButton(t, w.Canvas(), "Add the account"))
	if got := texts(t, d.addResult); len(got) != 1 || got[0] != `IMAP server "imap.example.com:99999" must be host:port` {
		t.Errorf("result %q: want the domain message alone", got)
	}
	if *changed != 0 {
		t.Error("onChanged called after a refused add")
	}
}

func TestSettingsDialogTestsAndRemovesASavedAccount(t *testing.T) {
	useEnglish(t)
	acc := &fakeAccounts{
		list:    []Account{{Name: "shop-sms", Kind: KindTwilio, Details: "sms +33612345678"}},
		lines:   []string{"Twilio account AC…: active"},
		testErr: inbox.Errorf(inbox.Auth, "Twilio refused the auth token (error 20003)"),
	}
	d, w, changed := newTestSettings(t, acc)
	d.show()
	test.Tap(d.rowTest["shop-sms"])
	if len(acc.tested) != 1 || acc.tested[0].Name != "shop-sms" || len(acc.tested[0].Settings) != 0 {
		t.Fatalf("tested %+v, want the saved account by name", acc.tested)
	}
	want := []string{"Test of shop-sms:", "Twilio account AC…: active", "Twilio refused the auth token (error 20003)"}
	if got := texts(t, d.listResult); !slices.Equal(got, want) {
		t.Errorf("result %q, want %q", got, want)
	}

	test.Tap(d.rowRemove["shop-sms"])
	test.Tap(findButton(t, w.Canvas(), "Yes"))
	if !slices.Equal(acc.removed, []string{"shop-sms"}) || *changed != 1 {
		t.Errorf("removed %q, onChanged %d times", acc.removed, *changed)
	}
	if len(d.list) != 0 {
		t.Errorf("list after the removal: %+v", d.list)
	}
}

func TestSettingsDialogGolden(t *testing.T) {
	for _, l := range looks {
		t.Run(l.name, func(t *testing.T) {
			useLook(t, l)
			acc := &fakeAccounts{
				list: []Account{
					{Name: "shop-mail", Kind: KindEmail, Details: "bonjour@fournil.example imap mail.fournil.example:993 (tls)", Status: AccountStatus{State: StateIdle}},
					{Name: "shop-telegram", Kind: KindTelegram, Details: "bot", Status: AccountStatus{State: StateAuthFailed, Reason: "the bot token was refused (401 Unauthorized)"}},
				},
				lines: []string{"Bot @fournil_bot (id 4242): token ok", "Webhook: none, updates by polling"},
			}
			d, w, _ := newTestSettings(t, acc)
			d.show()
			test.Tap(d.rowTest["shop-telegram"])
			assertGolden(t, "settings_list_"+l.name+".png", w)

			test.Tap(d.addButton)
			typeInto(w, d.entries["name"], "support")
			typeInto(w, d.entries["address"], "support@fournil.example")
			typeInto(w, d.entries["secret"], "hunter2")
			typeInto(w, d.entries["imap"], "mail.fournil.example")
			typeInto(w, d.entries["smtp"], "mail.fournil.example:587")
			acc.addErr = inbox.Errorf(inbox.Invalid, `IMAP server "mail.fournil.example" must be host:port`)
			test.Tap(d.saveBtn)
			w.Canvas().Unfocus()
			assertGolden(t, "settings_add_"+l.name+".png", w)
		})
	}
}
