// Package ui is Couture's desktop GUI, built with Fyne. It talks to the inbox
// only through *inbox.Desk, the same service the CLI uses, and never imports
// storage or the channels: what a screen shows is what the Desk answers.
//
// Threading follows Fyne ≥ 2.6: widgets are changed on the UI goroutine only;
// data is loaded on other goroutines and applied in one fyne.Do.
package ui

import (
	"os"
	"os/user"
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/couture/couture/assets"
	"github.com/couture/couture/inbox"
)

// AppID is Couture's application ID; it matches FyneApp.toml and names the
// directory Fyne keeps preferences in.
const AppID = "io.couture.inbox"

// Options configure Run; nil means defaults.
type Options struct {
	// Title is the window title, "Couture" when empty.
	Title string
	// Demo marks a throw-away demo store: the title says so.
	Demo bool
	// Author is the name written on answers and notes ("Note by Camille");
	// the operating system user's name when empty.
	Author string
	// Blobs reads attachments and stores the files attached to answers
	// (the store, which keeps them); nil hides Open, Save and Attach and
	// shows no image inline. The Desk does not hand out blobs, so cmd
	// passes the store here.
	Blobs inbox.Blobs
	// Limits measures an answer against its channel's limits as it is
	// typed; cmd passes channels.Check (see LimitFunc). Nil uses the rules
	// the domain owns (SMS segments) and the published Telegram and
	// WhatsApp limits.
	Limits LimitFunc
	// Desktop holds what the app shell needs besides the Desk: accounts,
	// the demo (options_b.go).
	Desktop
}

// Run opens Couture's main window on desk and blocks until the window is
// closed. It must be called from the main goroutine (a Fyne requirement on
// macOS). It fails at once when there is no display to open a window on.
func Run(desk *inbox.Desk, opts *Options) error {
	if desk == nil {
		return inbox.Errorf(inbox.Invalid, "ui: no desk to show")
	}
	if err := checkDisplay(); err != nil {
		return err
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Author == "" {
		o.Author = osUserName()
	}

	a := app.NewWithID(AppID)
	icon := fyne.NewStaticResource("icon.png", assets.Icon)
	a.SetIcon(icon)

	w := a.NewWindow(windowTitle(&o))
	w.SetIcon(icon)
	w.SetMaster()

	// The shell (options_b.go) sets the theme, the status bar, the
	// welcome, the menu, the tray and the unread count in the title.
	sh := newShell(a, w, desk, o.Desktop, o.Demo, background)
	defer sh.close()
	v := newMainView(desk, background, afterUI, &o)
	// The customers load off the UI goroutine while the window is built,
	// laid out and shown (the fonts alone take a good part of that), and
	// fill the list once the run loop starts.
	v.reload()
	v.window = w
	w.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { v.composer.drop(uris) })
	defer v.close()
	v.installKeys(w.Canvas())
	w.SetContent(sh.wrap(v.content))
	if sh.menu != nil && len(sh.menu.Items) > 0 {
		n := len(sh.menu.Items)
		last := sh.menu.Items[n-1]
		last.Items = append(last.Items, fyne.NewMenuItemSeparator())
		last.Items = append(last.Items, v.menuItems()...)
		w.SetMainMenu(sh.menu)
	}
	w.Resize(fyne.NewSize(1280, 800))

	stop := make(chan struct{})
	defer close(stop)
	a.Lifecycle().SetOnStarted(func() {
		go v.watch(stop)
		sh.start()
	})
	w.ShowAndRun()
	return nil
}

// menuItems are the view's entries of the window menu.
func (v *mainView) menuItems() []*fyne.MenuItem {
	search := fyne.NewMenuItem(tr("Search…"), v.openSearch)
	search.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyK, Modifier: fyne.KeyModifierShortcutDefault}
	return []*fyne.MenuItem{search, fyne.NewMenuItem(tr("Keyboard shortcuts"), v.showHelp)}
}

// windowTitle is the main window's title: "Couture", or Options.Title, with
// " — demo" on a demo store. The shell adds the unread count.
func windowTitle(o *Options) string {
	t := o.Title
	if t == "" {
		t = "Couture"
	}
	if o.Demo {
		t += " — demo"
	}
	return t
}

// osUserName is the name of the person logged in: their full name's first
// word, else their login.
func osUserName() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	if f := strings.Fields(u.Name); len(f) > 0 {
		return f[0]
	}
	return u.Username
}

// checkDisplay reports a clear error where a window cannot be opened: on the
// X11/Wayland systems, with neither DISPLAY nor WAYLAND_DISPLAY set. Without
// it GLFW fails deep inside the driver with a message nobody can act on.
func checkDisplay() error {
	switch runtime.GOOS {
	case "windows", "darwin", "android", "ios", "js", "wasip1":
		return nil
	}
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return inbox.Errorf(inbox.Unavailable,
			"no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); run Couture in a desktop session or use its CLI commands")
	}
	return nil
}
