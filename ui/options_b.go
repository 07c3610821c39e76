package ui

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/couture/couture/assets"
	"github.com/couture/couture/inbox"
)

// Desktop is what the GUI needs from the app besides the Desk: account
// management and the demo. ui never imports storage or the channels, so
// cmd/couture implements these over them. It is embedded in Options; the
// zero value hides account management and the welcome's "Open the demo".
type Desktop struct {
	// Accounts manages the channel accounts: the settings dialog, the
	// status bar and the welcome read and change them through it. Nil hides
	// them (a demo store has no accounts).
	Accounts Accounts
	// OpenDemo opens the demo business next to the user's own store (cmd
	// starts `couture --demo`); nil hides "Open the demo".
	OpenDemo func() error
}

// Accounts manages the channel accounts the way `couture account …` does:
// the same validation, the same secret storage (the OS keyring or the
// encrypted file), the same sync engine. Every method may block on the
// disk, the keyring or the network; the GUI calls them off the UI
// goroutine. Errors carry an inbox code and a message a person can act on
// (inbox.Explain).
type Accounts interface {
	// List returns the configured accounts in the order they were added,
	// each with its current sync status.
	List() ([]Account, error)
	// Add checks a new account exactly as `couture account add` does,
	// keeps its secret (a password or token; "" when the account needs
	// none, e-mail with a token command), saves it and starts syncing it.
	Add(a Account, secret string) error
	// Test checks an account's servers and credentials without syncing
	// and says, line by line, what works; the error says what does not.
	// An account with settings or a secret is tested as filled in, not
	// saved; one with only a name is the saved account a.Name.
	Test(ctx context.Context, a Account, secret string) ([]string, error)
	// Remove stops syncing the account, forgets it and deletes its secret.
	// Its messages stay in the store.
	Remove(name string) error
}

// Account kinds, as the CLI names them.
const (
	KindEmail    = "email"
	KindTelegram = "telegram"
	KindTwilio   = "twilio"
	KindMatrix   = "matrix"
)

// Account is one channel account as the GUI shows and edits it.
type Account struct {
	Name string
	// Kind is KindEmail, KindTelegram, KindTwilio or KindMatrix.
	Kind string
	// Settings are the kind's fields, keyed by the name of the matching
	// `couture account add` flag without its dashes: "address", "imap",
	// "imap-security", "smtp", "smtp-security", "username", "aliases",
	// "ca-file", "allow-insecure" ("true"), "token-command" for e-mail;
	// "api-url" for Telegram; "account-sid", "from", "whatsapp-from",
	// "api-key", "api-url" for Twilio; "homeserver", "user" for Matrix.
	// Never the secret.
	Settings map[string]string
	// Details summarize the account in one line ("shop@example.com, imap
	// mail.example.com:993"); List fills it.
	Details string
	// Status is where the account's sync stands; List fills it.
	Status AccountStatus
}

// AccountState is where an account's sync stands.
type AccountState string

// Account states, those of the sync engine.
const (
	StateNew        AccountState = ""            // not synced since it was added
	StateSyncing    AccountState = "syncing"     // catching up; Progress says how far
	StateIdle       AccountState = "idle"        // up to date
	StateOffline    AccountState = "offline"     // unreachable; retrying at NextTry
	StateError      AccountState = "error"       // failed otherwise; retrying at NextTry
	StateAuthFailed AccountState = "auth-failed" // credentials refused; no retry
)

// AccountStatus is an account's sync state.
type AccountStatus struct {
	State AccountState
	// Folder, Done and Total say how far a sync is (State syncing): "INBOX",
	// 3200 of 12000. Total is 0 when unknown.
	Folder      string
	Done, Total int
	// Reason says what went wrong, in words a person can act on.
	Reason string
	// NextTry is when the engine tries again after a failure.
	NextTry time.Time
	// LastSuccess is the last time the account synced.
	LastSuccess time.Time
}

// shell is what surrounds the main view in the window: the status bar at
// the bottom, the welcome on a first start, the accounts dialog, the
// reports window, the desktop notifications, the unread count in the title
// and the system tray, Couture's theme and its menu. Run builds it around
// the main view:
//
//	sh := newShell(app, win, desk, o.Desktop, o.Demo, background)
//	defer sh.close()
//	win.SetContent(sh.wrap(v.content))
//	… in Lifecycle().SetOnStarted: sh.start()
//
// It has its own desk subscription; it lives on the UI goroutine.
type shell struct {
	app  fyne.App
	win  fyne.Window
	desk *inbox.Desk
	opts Desktop
	demo bool
	run  runner
	sub  *inbox.Subscription
	stop chan struct{}

	status   *statusBar
	settings *settingsDialog
	welcome  *welcome
	reports  fyne.Window
	body     *fyne.Container
	main     fyne.CanvasObject
	content  fyne.CanvasObject
	menu     *fyne.MainMenu

	title      string                   // the window title without the unread count
	unreadBy   map[inbox.CustomerID]int // the customers with unread messages
	tray       *fyne.Menu
	trayUnread *fyne.MenuItem

	focused  atomic.Bool
	inbound  map[inbox.CustomerID]bool // customers who wrote since the last notification
	notified map[inbox.CustomerID]time.Time
}

// welcomeDismissed is the preference set by the welcome's "Not now".
const welcomeDismissed = "welcome.dismissed"

// newShell sets Couture's theme on app, its menu on win and, where the
// platform has one, its system tray icon.
func newShell(app fyne.App, win fyne.Window, desk *inbox.Desk, opts Desktop, demo bool, run runner) *shell {
	s := &shell{app: app, win: win, desk: desk, opts: opts, demo: demo, run: run,
		sub: desk.Subscribe(1024), stop: make(chan struct{}),
		inbound: map[inbox.CustomerID]bool{}, notified: map[inbox.CustomerID]time.Time{}}
	s.focused.Store(true)
	if _, ours := app.Settings().Theme().(*coutureTheme); !ours {
		app.Settings().SetTheme(newTheme())
	}
	var onAccounts func()
	if opts.Accounts != nil {
		onAccounts = s.showAccounts
	}
	s.status = newStatusBar(desk, opts.Accounts, run, onAccounts)
	s.status.onList = func(list []Account) {
		if s.settings != nil {
			s.settings.follow(list)
		}
	}
	app.Lifecycle().SetOnEnteredForeground(func() { s.focused.Store(true) })
	app.Lifecycle().SetOnExitedForeground(func() { s.focused.Store(false) })
	s.setMenu()
	s.setTray()
	return s
}

// setMenu gives the window File and View menus; Run may add its own to
// s.menu and set it again.
func (s *shell) setMenu() {
	var file []*fyne.MenuItem
	if s.opts.Accounts != nil {
		file = append(file, fyne.NewMenuItem(tr("Accounts…"), s.showAccounts))
	}
	if s.opts.OpenDemo != nil {
		file = append(file, fyne.NewMenuItem(tr("Open the demo"), s.openDemo))
	}
	reports := fyne.NewMenuItem(tr("Reports"), s.showReports)
	reports.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
	s.menu = fyne.NewMainMenu(fyne.NewMenu(tr("File"), file...), fyne.NewMenu(tr("View"), reports))
	s.win.SetMainMenu(s.menu)
	s.win.Canvas().AddShortcut(reports.Shortcut, func(fyne.Shortcut) { s.showReports() })
}

// setTray puts Couture in the system tray, where the platform has one: the
// unread count, and a way back to the window.
func (s *shell) setTray() {
	d, ok := s.app.(desktop.App)
	if !ok {
		return
	}
	s.trayUnread = fyne.NewMenuItem(tr("No unread message"), s.showWindow)
	s.tray = fyne.NewMenu("Couture", s.trayUnread, fyne.NewMenuItem(tr("Show Couture"), s.showWindow))
	d.SetSystemTrayIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	d.SetSystemTrayMenu(s.tray)
}

func (s *shell) showWindow() {
	s.win.Show()
	s.win.RequestFocus()
}

// wrap returns the window content: main (the main view) above the status
// bar, or the welcome in its place.
func (s *shell) wrap(main fyne.CanvasObject) fyne.CanvasObject {
	s.main = main
	s.title = s.win.Title()
	s.body = container.NewStack(main)
	s.content = container.NewBorder(nil, s.status.content, nil, nil, s.body)
	return s.content
}

// start fills the status bar, shows the welcome when there is no account
// yet, and follows the desk's changes until close.
func (s *shell) start() {
	s.status.reload()
	s.countUnread()
	s.checkWelcome()
	go s.watch()
}

// close stops following the desk.
func (s *shell) close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.sub.Close()
}

// watch applies the desk's changes, coalesced like the main view's, and
// ticks once a second for the countdowns.
func (s *shell) watch() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			fyne.Do(s.onTick)
		case <-s.sub.C:
			fyne.Do(s.pump)
			select {
			case <-s.stop:
				return
			case <-time.After(refreshEvery):
			}
		}
	}
}

// pump applies the changes received so far.
func (s *shell) pump() {
	changes := s.sub.Take()
	if len(changes) == 0 {
		return
	}
	s.status.onChanges(changes)
	touched := map[inbox.CustomerID]bool{}
	reload := false
	for _, ch := range changes {
		switch ch.Kind {
		case inbox.CustomerChanged:
			touched[ch.Customer] = true
			if ch.Inbound {
				s.inbound[ch.Customer] = true
			}
		case inbox.Reload:
			reload = true
		}
	}
	switch {
	case reload:
		s.countUnread()
	case len(touched) > 0:
		s.recountUnread(touched)
	}
	if len(s.inbound) > 0 {
		s.notify()
	}
}

// onTick refreshes the countdowns ("retrying in 30 s").
func (s *shell) onTick() {
	if s.status.ticking() {
		s.status.render()
		if s.settings != nil {
			s.settings.follow(s.status.list)
		}
	}
}

// countUnread counts every customer's unread messages, for the window
// title and the tray (at start and after a Reload; changes then update the
// count customer by customer, recountUnread).
func (s *shell) countUnread() {
	s.run(func() func() {
		cs, err := s.desk.Store().Customers()
		by := map[inbox.CustomerID]int{}
		for i := range cs {
			if cs[i].ID != inbox.OtherID && cs[i].Unread > 0 {
				by[cs[i].ID] = cs[i].Unread
			}
		}
		return func() {
			if err != nil {
				logError("count the unread messages", err)
				return
			}
			s.unreadBy = by
			s.setUnread(sum(by))
		}
	})
}

// recountUnread reads again the customers who changed: a sync touching a
// hundred customers reads a hundred, not fifty thousand.
func (s *shell) recountUnread(ids map[inbox.CustomerID]bool) {
	if s.unreadBy == nil {
		s.countUnread()
		return
	}
	s.run(func() func() {
		now := map[inbox.CustomerID]int{}
		for id := range ids {
			if id == inbox.OtherID {
				continue
			}
			c, err := s.desk.Customer(id)
			if err == nil {
				now[id] = c.Unread
			} else if inbox.ErrorCode(err) == inbox.NotFound {
				now[id] = 0 // merged into another
			}
		}
		return func() {
			for id, n := range now {
				if n > 0 {
					s.unreadBy[id] = n
				} else {
					delete(s.unreadBy, id)
				}
			}
			s.setUnread(sum(s.unreadBy))
		}
	})
}

func sum(m map[inbox.CustomerID]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// setUnread shows the unread count: "Couture (3)" and "3 unread" in the tray.
func (s *shell) setUnread(n int) {
	if s.title != "" {
		t := s.title
		if n > 0 {
			t += " (" + formatInt(n) + ")"
		}
		s.win.SetTitle(t)
	}
	if s.trayUnread != nil {
		if n == 0 {
			s.trayUnread.Label = tr("No unread message")
		} else {
			s.trayUnread.Label = trN("{{.Count}} unread messages", n, map[string]any{"Count": formatInt(n)})
		}
		s.tray.Refresh()
	}
}

// notify sends a desktop notification for the customers who wrote, when
// the window does not have the focus. Only new messages count: a sync
// catching up on old mail notifies nothing.
func (s *shell) notify() {
	ids := s.inbound
	s.inbound = map[inbox.CustomerID]bool{}
	if s.focused.Load() {
		return
	}
	s.run(func() func() {
		now := s.desk.Now()
		var fresh []inbox.Customer
		for id := range ids {
			c, err := s.desk.Customer(id)
			if err != nil || c.ID == inbox.OtherID || c.Unread == 0 || now.Sub(c.LastInboundAt) > newMessageAge {
				continue
			}
			fresh = append(fresh, c)
		}
		slices.SortFunc(fresh, func(a, b inbox.Customer) int {
			return cmp.Or(b.LastInboundAt.Compare(a.LastInboundAt), cmp.Compare(a.Name, b.Name))
		})
		return func() {
			var who []inbox.Customer
			for _, c := range fresh {
				if !s.notified[c.ID].Equal(c.LastInboundAt) {
					s.notified[c.ID] = c.LastInboundAt
					who = append(who, c)
				}
			}
			if n := notification(who); n != nil {
				s.app.SendNotification(n)
			}
		}
	})
}

// newMessageAge is how recent an inbound message must be to notify.
const newMessageAge = 10 * time.Minute

// notification is the desktop notification for customers who wrote, newest
// first; nil for none.
func notification(who []inbox.Customer) *fyne.Notification {
	switch len(who) {
	case 0:
		return nil
	case 1:
		return fyne.NewNotification(who[0].Name, clip(who[0].LastPreview, 140))
	}
	names := make([]string, 0, 3)
	for _, c := range who[:min(3, len(who))] {
		names = append(names, c.Name)
	}
	text := strings.Join(names, ", ")
	if len(who) > 3 {
		text += "…"
	}
	return fyne.NewNotification(trN("{{.Count}} customers wrote", len(who), map[string]any{"Count": formatInt(len(who))}), text)
}

// checkWelcome shows the welcome instead of the inbox on a first start:
// no account yet, not the demo, and not dismissed.
func (s *shell) checkWelcome() {
	if s.opts.Accounts == nil || s.demo || s.app.Preferences().Bool(welcomeDismissed) {
		return
	}
	s.run(func() func() {
		list, err := s.opts.Accounts.List()
		return func() {
			if err == nil && len(list) == 0 {
				s.showWelcome()
			}
		}
	})
}

func (s *shell) showWelcome() {
	var onDemo func()
	if s.opts.OpenDemo != nil {
		onDemo = s.openDemo
	}
	s.welcome = newWelcome(s.addAccount, onDemo, func() {
		s.app.Preferences().SetBool(welcomeDismissed, true)
		s.hideWelcome()
	})
	s.body.Objects = []fyne.CanvasObject{s.welcome.content}
	s.body.Refresh()
}

func (s *shell) hideWelcome() {
	if s.welcome == nil {
		return
	}
	s.welcome = nil
	s.body.Objects = []fyne.CanvasObject{s.main}
	s.body.Refresh()
}

// accountsChanged follows an account added or removed in the dialog.
func (s *shell) accountsChanged() {
	s.status.loadAccounts()
	s.run(func() func() {
		list, err := s.opts.Accounts.List()
		return func() {
			if err == nil && len(list) > 0 {
				s.hideWelcome()
			}
		}
	})
}

func (s *shell) accountsDialog() *settingsDialog {
	if s.settings == nil {
		s.settings = newSettingsDialog(s.opts.Accounts, s.run, s.win, s.accountsChanged)
	}
	return s.settings
}

// showAccounts opens the accounts dialog.
func (s *shell) showAccounts() { s.accountsDialog().show() }

// addAccount opens the accounts dialog on the add form.
func (s *shell) addAccount() { s.accountsDialog().showAdd() }

// openDemo opens the demo business (in its own window and store).
func (s *shell) openDemo() {
	if err := s.opts.OpenDemo(); err != nil {
		logError("open the demo", err)
		dialog.ShowInformation(tr("Open the demo"), tr("Could not open the demo: {{.Reason}}", map[string]any{"Reason": inbox.Explain(err)}), s.win)
	}
}

// showReports opens the reports window, or brings it forward.
func (s *shell) showReports() {
	if s.reports != nil {
		s.reports.Show()
		s.reports.RequestFocus()
		return
	}
	v := newReportsView(s.desk, s.run)
	w := s.app.NewWindow(tr("Reports") + " — " + s.title)
	w.SetContent(v.content)
	w.Resize(fyne.NewSize(1100, 800))
	w.SetOnClosed(func() { s.reports = nil })
	s.reports = w
	w.Show()
	v.load()
}
