package ui

import (
	"context"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/couture/couture/inbox"
)

// write ingests one inbound SMS from a new customer, sent ago before the
// test clock.
func write(t *testing.T, desk *inbox.Desk, name, phone, text string, ago time.Duration) {
	t.Helper()
	id := inbox.Identity{Kind: inbox.KindPhone, Address: phone}
	if _, err := desk.Ingest(context.Background(), inbox.Batch{Account: "shop-sms", Messages: []inbox.Incoming{{
		Message: inbox.Message{ExternalID: phone + text, Channel: inbox.ChannelSMS, Direction: inbox.In, Party: id, SentAt: testNow.Add(-ago), Text: text},
		Name:    name,
	}}}); err != nil {
		t.Fatal(err)
	}
}

func TestShellNotifiesNewMessagesWhenNotFocused(t *testing.T) {
	a := useEnglish(t)
	desk := newTestDesk(t)
	s, _ := newTestShell(t, a, desk, Desktop{}, true)

	s.focused.Store(true)
	write(t, desk, "Zoé", "+33611111111", "Are you open on Sunday?", time.Minute)
	test.AssertNotificationSent(t, nil, s.pump) // the agent is looking

	s.focused.Store(false)
	write(t, desk, "Zoé", "+33611111111", "And for lunch?", 0)
	test.AssertNotificationSent(t, fyne.NewNotification("Zoé", "And for lunch?"), s.pump)

	// A sync catching up on old messages notifies nothing.
	write(t, desk, "Yves", "+33622222222", "Hello from last year", 400*24*time.Hour)
	test.AssertNotificationSent(t, nil, s.pump)

	// Several customers at once: one notification.
	write(t, desk, "Xavier", "+33633333333", "Hi", 0)
	write(t, desk, "Wanda", "+33644444444", "Hello", 0)
	test.AssertNotificationSent(t, fyne.NewNotification("2 customers wrote", "Wanda, Xavier"), s.pump)
}

func TestShellShowsTheUnreadCount(t *testing.T) {
	a := useEnglish(t)
	desk := newTestDesk(t)
	write(t, desk, "Zoé", "+33611111111", "Are you open on Sunday?", time.Hour)
	s, w := newTestShell(t, a, desk, Desktop{}, true)
	if got := w.Title(); got != "Couture (1)" {
		t.Errorf("title %q, want the unread count", got)
	}
	write(t, desk, "Yves", "+33622222222", "Hello", time.Minute)
	s.pump()
	if got := w.Title(); got != "Couture (2)" {
		t.Errorf("title %q after a new message", got)
	}
	if _, err := desk.MarkRead(s.mustCustomer(t, "Zoé")); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.MarkRead(s.mustCustomer(t, "Yves")); err != nil {
		t.Fatal(err)
	}
	s.pump()
	if got := w.Title(); got != "Couture" {
		t.Errorf("title %q with nothing unread", got)
	}
}

func (s *shell) mustCustomer(t *testing.T, name string) inbox.CustomerID {
	t.Helper()
	cs, err := s.desk.Customers(inbox.Filter{Query: name})
	if err != nil || len(cs) != 1 {
		t.Fatalf("customer %q: %v %v", name, cs, err)
	}
	return cs[0].ID
}

func TestAccountsDialogFollowsTheStates(t *testing.T) {
	a := useEnglish(t)
	acc := &fakeAccounts{list: []Account{{Name: "shop-bot", Kind: KindTelegram, Details: "bot", Status: AccountStatus{State: StateSyncing}}}}
	s, _ := newTestShell(t, a, newTestDesk(t), Desktop{Accounts: acc}, false)
	s.showAccounts()
	if got := texts(t, s.settings.listBox); !slices.Contains(got, "Syncing…") {
		t.Fatalf("dialog rows %q", got)
	}
	acc.list[0].Status = AccountStatus{State: StateAuthFailed, Reason: "the bot token was refused"}
	s.desk.Publish(inbox.Change{Kind: inbox.AccountStatus, Account: "shop-bot", Status: "auth-failed: the bot token was refused"})
	s.pump()
	if got := texts(t, s.settings.listBox); !slices.Contains(got, "Login refused — the bot token was refused") {
		t.Errorf("dialog rows after the change %q", got)
	}
}
