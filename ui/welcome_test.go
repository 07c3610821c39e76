package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

// newTestShell builds the shell around a stand-in main view, in a test
// window of the real size, and starts it (without its watcher).
func newTestShell(t *testing.T, a fyne.App, desk *inbox.Desk, opts Desktop, demo bool) (*shell, fyne.Window) {
	t.Helper()
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	w.SetTitle("Couture")
	s := newShell(a, w, desk, opts, demo, inline)
	t.Cleanup(s.close)
	s.status.now = func() time.Time { return testNow }
	w.SetContent(s.wrap(widget.NewLabel("the inbox")))
	w.Resize(fyne.NewSize(1100, 720))
	s.status.reload()
	s.countUnread()
	s.checkWelcome()
	return s, w
}

func TestWelcomeOnAFirstStart(t *testing.T) {
	tests := []struct {
		name     string
		accounts []Account
		demo     bool
		want     bool
	}{
		{"no account", nil, false, true},
		{"an account", []Account{{Name: "shop", Kind: KindEmail}}, false, false},
		{"the demo", nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := useEnglish(t)
			s, _ := newTestShell(t, a, newTestDesk(t), Desktop{Accounts: &fakeAccounts{list: tt.accounts}, OpenDemo: func() error { return nil }}, tt.demo)
			if got := s.welcome != nil; got != tt.want {
				t.Errorf("welcome shown %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWelcomeButtons(t *testing.T) {
	a := useEnglish(t)
	acc := &fakeAccounts{}
	demos := 0
	s, w := newTestShell(t, a, newTestDesk(t), Desktop{Accounts: acc, OpenDemo: func() error { demos++; return nil }}, false)

	test.Tap(findButton(t, w.Canvas(), "Open the demo"))
	if demos != 1 {
		t.Errorf("OpenDemo called %d times", demos)
	}

	// "Add an account" opens the form; adding one leaves the welcome.
	test.Tap(findButton(t, w.Canvas(), "Add an account"))
	d := s.settings
	if d == nil || d.content.Objects[0] != d.addPage {
		t.Fatal("Add an account did not open the add form")
	}
	test.Tap(findButton(t, w.Canvas(), "Telegram"))
	typeInto(w, d.entries["name"], "shop-bot")
	typeInto(w, d.entries["secret"], "123:abc")
	test.Tap(findButton(t, w.Canvas(), "Add the account"))
	if len(acc.added) != 1 || s.welcome != nil {
		t.Errorf("added %+v; welcome still shown: %v", acc.added, s.welcome != nil)
	}
	if s.body.Objects[0] != s.main {
		t.Error("the inbox is not back in the window")
	}
}

func TestWelcomeNotNowIsRemembered(t *testing.T) {
	a := useEnglish(t)
	desk := newTestDesk(t)
	s, w := newTestShell(t, a, desk, Desktop{Accounts: &fakeAccounts{}}, false)
	if s.welcome == nil || s.welcome.demo != nil {
		t.Fatal("want the welcome, without the demo button (no OpenDemo)")
	}
	test.Tap(findButton(t, w.Canvas(), "Not now"))
	if s.welcome != nil || !a.Preferences().Bool(welcomeDismissed) {
		t.Fatal("Not now did not close and remember the welcome")
	}
	s2, _ := newTestShell(t, a, desk, Desktop{Accounts: &fakeAccounts{}}, false)
	if s2.welcome != nil {
		t.Error("the welcome shows again after Not now")
	}
}

func TestWelcomeGolden(t *testing.T) {
	for _, l := range looks {
		t.Run(l.name, func(t *testing.T) {
			a := useLook(t, l)
			_, w := newTestShell(t, a, newTestDesk(t), Desktop{Accounts: &fakeAccounts{}, OpenDemo: func() error { return nil }}, false)
			assertGolden(t, "welcome_"+l.name+".png", w)
		})
	}
}
