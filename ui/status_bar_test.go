package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/couture/couture/inbox"
)

func TestStatusText(t *testing.T) {
	useEnglish(t)
	tests := []struct {
		name string
		s    AccountStatus
		want string
	}{
		{"syncing a folder", AccountStatus{State: StateSyncing, Folder: "INBOX", Done: 3200, Total: 12000}, "Syncing INBOX 3,200/12,000"},
		{"syncing, total unknown", AccountStatus{State: StateSyncing, Folder: "Sent", Done: 40}, "Syncing Sent 40"},
		{"syncing without folders", AccountStatus{State: StateSyncing, Done: 3, Total: 10}, "Syncing 3/10"},
		{"syncing starts", AccountStatus{State: StateSyncing}, "Syncing…"},
		{"idle", AccountStatus{State: StateIdle}, "Up to date"},
		{"offline, retry in 30 s", AccountStatus{State: StateOffline, NextTry: testNow.Add(29*time.Second + 300*time.Millisecond)}, "Offline — retrying in 30 s"},
		{"offline, retry in 2 min", AccountStatus{State: StateOffline, NextTry: testNow.Add(90 * time.Second)}, "Offline — retrying in 2 min"},
		{"offline, retry due", AccountStatus{State: StateOffline, NextTry: testNow.Add(-time.Second)}, "Offline — retrying"},
		{"error", AccountStatus{State: StateError, Reason: "the server closed the connection", NextTry: testNow.Add(time.Minute)}, "the server closed the connection — retrying in 60 s"},
		{"login refused", AccountStatus{State: StateAuthFailed, Reason: "wrong password"}, "Login refused"},
		{"new", AccountStatus{}, "Not synced yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusText(tt.s, testNow); got != tt.want {
				t.Errorf("statusText = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOutboxText(t *testing.T) {
	useEnglish(t)
	tests := []struct {
		queued, failed int
		want           string
	}{
		{0, 0, "All answers sent"},
		{2, 0, "Outbox: 2 queued"},
		{0, 1, "Outbox: 1 failed"},
		{1200, 3, "Outbox: 1,200 queued · 3 failed"},
	}
	for _, tt := range tests {
		if got := outboxText(tt.queued, tt.failed); got != tt.want {
			t.Errorf("outboxText(%d, %d) = %q, want %q", tt.queued, tt.failed, got, tt.want)
		}
	}
}

// newTestStatusBar shows a status bar over desk in a test window.
func newTestStatusBar(t *testing.T, desk *inbox.Desk, acc Accounts) (*statusBar, fyne.Window) {
	t.Helper()
	b := newStatusBar(desk, acc, inline, func() {})
	b.now = func() time.Time { return testNow }
	w := test.NewWindow(b.content)
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(1100, b.content.MinSize().Height))
	b.reload()
	return b, w
}

func TestStatusBarFollowsTheAccounts(t *testing.T) {
	useEnglish(t)
	desk := newTestDesk(t)
	acc := &fakeAccounts{list: []Account{{Name: "shop-mail", Kind: KindEmail, Status: AccountStatus{State: StateSyncing, Folder: "INBOX", Done: 10, Total: 100}}}}
	b, _ := newTestStatusBar(t, desk, acc)
	if got, want := texts(t, b.accountsBox), []string{"shop-mail · Syncing INBOX 10/100"}; !slices.Equal(got, want) {
		t.Fatalf("accounts %q, want %q", got, want)
	}

	// The engine publishes a change; the bar asks Accounts again.
	acc.list[0].Status = AccountStatus{State: StateOffline, NextTry: testNow.Add(30 * time.Second)}
	b.onChanges([]inbox.Change{{Kind: inbox.AccountStatus, Account: "shop-mail", Status: "offline: connection refused"}})
	if got, want := texts(t, b.accountsBox), []string{"shop-mail · Offline — retrying in 30 s"}; !slices.Equal(got, want) {
		t.Errorf("accounts %q, want %q", got, want)
	}
	if !b.ticking() {
		t.Error("a countdown shows but the bar does not tick")
	}
}

func TestStatusBarWithoutAccountsShowsTheEngineText(t *testing.T) {
	useEnglish(t)
	b, _ := newTestStatusBar(t, newTestDesk(t), nil)
	b.onChanges([]inbox.Change{{Kind: inbox.AccountStatus, Account: "shop-sms", Status: "idle"}})
	if got, want := texts(t, b.accountsBox), []string{"shop-sms · idle"}; !slices.Equal(got, want) {
		t.Errorf("accounts %q, want %q", got, want)
	}
}

func TestStatusBarCountsTheOutbox(t *testing.T) {
	useEnglish(t)
	desk := newTestDesk(t)
	sub := desk.Subscribe(100)
	defer sub.Close()
	bob := inbox.Identity{Kind: inbox.KindPhone, Address: "+33698765432"}
	if _, err := desk.Ingest(context.Background(), inbox.Batch{Account: "test", Messages: []inbox.Incoming{{
		Message: inbox.Message{ExternalID: "b1", Channel: inbox.ChannelSMS, Direction: inbox.In, Party: bob, SentAt: testNow.Add(-time.Hour), Text: "Do you deliver?"},
		Name:    "Bob",
	}}}); err != nil {
		t.Fatal(err)
	}
	b, _ := newTestStatusBar(t, desk, &fakeAccounts{})
	if b.outbox.Text != "All answers sent" {
		t.Fatalf("outbox %q before any answer", b.outbox.Text)
	}
	owner, _, err := desk.Store().Owner(bob)
	if err != nil {
		t.Fatal(err)
	}
	var sent []inbox.Message
	for _, text := range []string{"Yes, on Tuesdays.", "And Fridays."} {
		m, err := desk.Reply(context.Background(), inbox.Reply{Customer: owner, Channel: inbox.ChannelSMS, Text: text, Author: "agent"})
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, m)
	}
	b.onChanges(sub.Take())
	if b.outbox.Text != "Outbox: 2 queued" {
		t.Errorf("outbox %q after two answers", b.outbox.Text)
	}

	// The outbox worker gives up on one: it is failed, no longer queued.
	if _, err := desk.Store().UpdateMessage(sent[0].ID, func(m *inbox.Message) error {
		m.State, m.Error = inbox.StateFailed, "the number does not exist"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	desk.Publish(inbox.Change{Kind: inbox.CustomerChanged, Customer: owner, Message: sent[0].ID})
	b.onChanges(sub.Take())
	if got := b.outbox.Text; !strings.Contains(got, "1 failed") {
		t.Errorf("outbox %q after a failure", got)
	}

	// A restart finds the failed answer again with one scan.
	b2, _ := newTestStatusBar(t, desk, &fakeAccounts{})
	if got := b2.outbox.Text; got != b.outbox.Text {
		t.Errorf("a new bar says %q, the running one %q", got, b.outbox.Text)
	}
}

// statusBarAccounts are the states the status bar golden shows.
var statusBarAccounts = []Account{
	{Name: "shop-mail", Kind: KindEmail, Status: AccountStatus{State: StateSyncing, Folder: "INBOX", Done: 3200, Total: 12000}},
	{Name: "shop-sms", Kind: KindTwilio, Status: AccountStatus{State: StateOffline, NextTry: testNow.Add(30 * time.Second)}},
	{Name: "shop-telegram", Kind: KindTelegram, Status: AccountStatus{State: StateAuthFailed, Reason: "the bot token was refused"}},
	{Name: "shop-matrix", Kind: KindMatrix, Status: AccountStatus{State: StateIdle}},
}

func TestStatusBarGolden(t *testing.T) {
	for _, l := range looks {
		t.Run(l.name, func(t *testing.T) {
			useLook(t, l)
			b, w := newTestStatusBar(t, newTestDesk(t), &fakeAccounts{list: statusBarAccounts})
			b.queued = 2
			b.failed = map[inbox.MessageID]bool{7: true}
			b.renderOutbox()
			w.Resize(fyne.NewSize(1280, b.content.MinSize().Height))
			assertGolden(t, "status_bar_"+l.name+".png", w)
		})
	}
}
