package ui

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

// accountField is one field of the add-account form.
type accountField struct {
	// key is the Account.Settings key (the `couture account add` flag
	// without dashes), or fieldName / fieldSecret.
	key      string
	label    string // English; translated when the form is built
	hint     string // English; shown under the field
	required bool
	secret   bool     // a password entry
	choices  []string // a choice instead of an entry; "" is "automatic"
	check    bool     // a check box: "true" when checked
	advanced bool     // under "Advanced"
}

// Form keys that are not settings.
const (
	fieldName   = "name"
	fieldSecret = "secret"
)

// accountKinds are the kinds the dialog offers, in order, with their label.
var accountKinds = []struct{ kind, label string }{
	{KindEmail, "E-mail"},
	{KindTelegram, "Telegram"},
	{KindTwilio, "SMS & WhatsApp (Twilio)"},
	{KindMatrix, "Matrix"},
}

// accountForms are the fields of each kind: those of `couture account add
// KIND` (cmd/couture/account.go), which checks them again on Add.
var accountForms = map[string][]accountField{
	KindEmail: {
		{key: fieldName, label: "Account name", hint: "Letters, digits, dots, dashes: shop, support-fr", required: true},
		{key: "address", label: "E-mail address", hint: "The address customers write to", required: true},
		{key: fieldSecret, label: "Password", secret: true},
		{key: "imap", label: "IMAP server", hint: "host:port, as imap.example.com:993", required: true},
		{key: "smtp", label: "SMTP server", hint: "host:port, as smtp.example.com:587", required: true},
		{key: "username", label: "Login name", hint: "When it is not the address", advanced: true},
		{key: "imap-security", label: "IMAP security", choices: []string{"", "tls", "starttls", "none"}, advanced: true},
		{key: "smtp-security", label: "SMTP security", choices: []string{"", "tls", "starttls", "none"}, advanced: true},
		{key: "aliases", label: "Other own addresses", hint: "Comma-separated", advanced: true},
		{key: "token-command", label: "OAuth2 token command", hint: "A command printing an access token, instead of a password", advanced: true},
		{key: "ca-file", label: "CA certificate", hint: "PEM file, for a server with its own certificate", advanced: true},
		{key: "allow-insecure", label: "Allow an unencrypted connection", check: true, advanced: true},
	},
	KindTelegram: {
		{key: fieldName, label: "Account name", hint: "Letters, digits, dots, dashes: shop, support-fr", required: true},
		{key: fieldSecret, label: "Bot token", hint: "From @BotFather", secret: true, required: true},
		{key: "api-url", label: "API address", hint: "Only for a proxy or a local Bot API server", advanced: true},
	},
	KindTwilio: {
		{key: fieldName, label: "Account name", hint: "Letters, digits, dots, dashes: shop, support-fr", required: true},
		{key: "account-sid", label: "Account SID", hint: "AC…, on the Twilio console", required: true},
		{key: fieldSecret, label: "Auth token", secret: true, required: true},
		{key: "from", label: "SMS number", hint: "In international form: +33612345678", required: true},
		{key: "whatsapp-from", label: "WhatsApp sender", hint: "Optional, +E.164"},
		{key: "api-key", label: "API key SID", hint: "SK…; the token above is then the key's secret", advanced: true},
		{key: "api-url", label: "API address", hint: "Only for a proxy", advanced: true},
	},
	KindMatrix: {
		{key: fieldName, label: "Account name", hint: "Letters, digits, dots, dashes: shop, support-fr", required: true},
		{key: "homeserver", label: "Homeserver", hint: "https://matrix.example.org", required: true},
		{key: "user", label: "User id", hint: "@shop:example.org", required: true},
		{key: fieldSecret, label: "Password", secret: true, required: true},
	},
}

// settingsDialog is the accounts dialog: the configured accounts with their
// state, a Test and a Remove button each, and a form to add one. Every call
// to Accounts goes through run; the dialog lives on the UI goroutine.
type settingsDialog struct {
	accounts  Accounts
	run       runner
	win       fyne.Window
	onChanged func() // an account was added or removed

	dlg     dialog.Dialog
	visible bool
	content *fyne.Container // the page shown

	// The list page.
	listBox    *fyne.Container
	listResult *fyne.Container
	list       []Account
	rowTest    map[string]*widget.Button
	rowRemove  map[string]*widget.Button
	addButton  *widget.Button
	closeBtn   *widget.Button
	listPage   fyne.CanvasObject
	confirmRem dialog.Dialog

	// The add page.
	kind       string
	kindButton map[string]*widget.Button
	entries    map[string]*widget.Entry
	selects    map[string]*widget.Select
	checks     map[string]*widget.Check
	formBox    *fyne.Container
	addResult  *fyne.Container
	testBtn    *widget.Button
	saveBtn    *widget.Button
	backBtn    *widget.Button
	addPage    fyne.CanvasObject
	busy       bool
}

// newSettingsDialog builds the dialog over win; show opens it.
func newSettingsDialog(accounts Accounts, run runner, win fyne.Window, onChanged func()) *settingsDialog {
	d := &settingsDialog{accounts: accounts, run: run, win: win, onChanged: onChanged}
	if d.onChanged == nil {
		d.onChanged = func() {}
	}
	d.buildListPage()
	d.buildAddPage()
	d.content = container.NewStack(d.listPage)
	d.dlg = dialog.NewCustomWithoutButtons(tr("Accounts"), d.content, win)
	d.dlg.SetOnClosed(func() { d.visible = false })
	return d
}

// show opens the dialog on the list of accounts.
func (d *settingsDialog) show() {
	d.showList()
	d.dlg.Resize(fyne.NewSize(720, 580))
	d.dlg.Show()
	d.visible = true
}

// showAdd opens the dialog on the add form (the welcome's "Add an account").
func (d *settingsDialog) showAdd() {
	d.show()
	d.onAdd()
}

func (d *settingsDialog) hide() { d.dlg.Hide() }

// --- The list page.

func (d *settingsDialog) buildListPage() {
	d.listBox = container.NewVBox()
	d.listResult = container.NewVBox()
	d.addButton = widget.NewButtonWithIcon(tr("Add an account"), theme.ContentAddIcon(), d.onAdd)
	d.addButton.Importance = widget.HighImportance
	d.closeBtn = widget.NewButton(tr("Close"), d.hide)
	intro := widget.NewLabel(tr("Couture syncs these accounts in the background. Passwords and tokens are kept in the system keyring, never in the inbox."))
	intro.Wrapping = fyne.TextWrapWord
	buttons := container.NewHBox(layout.NewSpacer(), d.closeBtn, d.addButton)
	d.listPage = container.NewBorder(intro, buttons, nil, nil,
		container.NewVScroll(container.NewVBox(d.listBox, d.listResult)))
}

// showList shows the list page and loads the accounts.
func (d *settingsDialog) showList() {
	d.content.Objects = []fyne.CanvasObject{d.listPage}
	d.content.Refresh()
	d.loadList()
}

func (d *settingsDialog) loadList() {
	d.run(func() func() {
		list, err := d.accounts.List()
		return func() {
			if err != nil {
				d.setResult(d.listResult, nil, err, "list the accounts")
				return
			}
			d.list = list
			d.renderList()
		}
	})
}

func (d *settingsDialog) renderList() {
	d.rowTest, d.rowRemove = map[string]*widget.Button{}, map[string]*widget.Button{}
	var rows []fyne.CanvasObject
	if len(d.list) == 0 {
		l := widget.NewLabel(tr("No account yet. Add the e-mail address, Telegram bot, Twilio number or Matrix user your customers write to."))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.MediumImportance
		rows = append(rows, l)
	}
	now := time.Now()
	for _, a := range d.list {
		name := widget.NewLabelWithStyle(a.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		details := widget.NewLabel(kindLabel(a.Kind) + " · " + a.Details)
		details.Truncation = fyne.TextTruncateEllipsis
		details.SizeName = theme.SizeNameCaptionText
		st := widget.NewLabel(statusText(a.Status, now))
		st.SizeName = theme.SizeNameCaptionText
		st.Truncation = fyne.TextTruncateEllipsis
		switch a.Status.State {
		case StateAuthFailed, StateError:
			st.Importance = widget.DangerImportance
			if a.Status.Reason != "" {
				st.SetText(st.Text + " — " + a.Status.Reason)
			}
		case StateOffline:
			st.Importance = widget.WarningImportance
		}
		test := widget.NewButtonWithIcon(tr("Test"), theme.MediaPlayIcon(), func() { d.onTestSaved(a.Name) })
		remove := widget.NewButtonWithIcon(tr("Remove"), theme.DeleteIcon(), func() { d.onRemove(a.Name) })
		remove.Importance = widget.DangerImportance
		d.rowTest[a.Name], d.rowRemove[a.Name] = test, remove
		mark := canvas.NewRectangle(themeColor(colorNameChannelPrefix + fyne.ThemeColorName(kindChannel(a.Kind))))
		mark.CornerRadius = 2
		text := container.NewVBox(name, details, st)
		row := container.NewBorder(nil, nil,
			container.NewGridWrap(fyne.NewSize(4, 72), mark),
			container.NewCenter(container.NewHBox(test, remove)),
			text)
		rows = append(rows, row, widget.NewSeparator())
	}
	d.listBox.Objects = rows
	d.listBox.Refresh()
}

// follow shows the accounts' new states while the list is on screen.
func (d *settingsDialog) follow(list []Account) {
	if !d.shown() || len(d.content.Objects) == 0 || d.content.Objects[0] != d.listPage {
		return
	}
	d.list = list
	d.renderList()
}

// shown reports whether the dialog is open.
func (d *settingsDialog) shown() bool { return d.visible }

func (d *settingsDialog) onTestSaved(name string) {
	d.setBusy(d.listResult, tr("Testing {{.Name}}…", map[string]any{"Name": name}))
	d.run(func() func() {
		lines, err := testAccount(d.accounts, Account{Name: name}, "")
		return func() {
			d.busy = false
			d.setResult(d.listResult, lines, err, "")
			head := widget.NewLabelWithStyle(tr("Test of {{.Name}}:", map[string]any{"Name": name}), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			d.listResult.Objects = append([]fyne.CanvasObject{head}, d.listResult.Objects...)
			d.listResult.Refresh()
		}
	})
}

func (d *settingsDialog) onRemove(name string) {
	d.confirmRem = dialog.NewConfirm(tr("Remove the account?"),
		tr("Couture stops syncing {{.Name}} and forgets its password. Its messages stay in the inbox.", map[string]any{"Name": name}),
		func(ok bool) {
			if !ok {
				return
			}
			d.run(func() func() {
				err := d.accounts.Remove(name)
				return func() {
					if err != nil {
						d.setResult(d.listResult, nil, err, "remove the account")
						return
					}
					d.setResult(d.listResult, []string{tr("Account {{.Name}} removed; its messages stay in the inbox.", map[string]any{"Name": name})}, nil, "")
					d.onChanged()
					d.loadList()
				}
			})
		}, d.win)
	d.confirmRem.Show()
}

// --- The add page.

func (d *settingsDialog) buildAddPage() {
	d.kindButton = map[string]*widget.Button{}
	var kinds []fyne.CanvasObject
	for _, k := range accountKinds {
		b := widget.NewButton(tr(k.label), func() { d.setKind(k.kind) })
		d.kindButton[k.kind] = b
		kinds = append(kinds, b)
	}
	d.formBox = container.NewVBox()
	d.addResult = container.NewVBox()
	d.backBtn = widget.NewButtonWithIcon(tr("Back"), theme.NavigateBackIcon(), d.showList)
	d.testBtn = widget.NewButtonWithIcon(tr("Test"), theme.MediaPlayIcon(), d.onTestNew)
	d.saveBtn = widget.NewButtonWithIcon(tr("Add the account"), theme.ConfirmIcon(), d.onSave)
	d.saveBtn.Importance = widget.HighImportance
	buttons := container.NewHBox(d.backBtn, layout.NewSpacer(), d.testBtn, d.saveBtn)
	d.addPage = container.NewBorder(container.NewVBox(container.NewHBox(kinds...), widget.NewSeparator()), buttons, nil, nil,
		container.NewVScroll(container.NewVBox(d.formBox, d.addResult)))
	d.setKind(KindEmail)
}

func (d *settingsDialog) onAdd() {
	d.setKind(d.kind) // a fresh form
	d.content.Objects = []fyne.CanvasObject{d.addPage}
	d.content.Refresh()
	d.focusName()
}

// focusName puts the cursor in the account name, where typing starts.
func (d *settingsDialog) focusName() {
	if e := d.entries[fieldName]; e != nil && d.visible {
		d.win.Canvas().Focus(e)
	}
}

// setKind shows the empty form of a kind.
func (d *settingsDialog) setKind(kind string) {
	defer d.focusName()
	d.kind = kind
	for k, b := range d.kindButton {
		if k == kind {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	d.entries, d.selects, d.checks = map[string]*widget.Entry{}, map[string]*widget.Select{}, map[string]*widget.Check{}
	basic, advanced := widget.NewForm(), widget.NewForm()
	for _, f := range accountForms[kind] {
		var w fyne.CanvasObject
		switch {
		case f.check:
			c := widget.NewCheck(tr(f.label), nil)
			d.checks[f.key] = c
			w = c
		case f.choices != nil:
			opts := make([]string, len(f.choices))
			for i, c := range f.choices {
				opts[i] = securityLabel(c)
			}
			s := widget.NewSelect(opts, nil)
			s.SetSelectedIndex(0)
			d.selects[f.key] = s
			w = s
		default:
			e := widget.NewEntry()
			if f.secret {
				e = widget.NewPasswordEntry()
			}
			d.entries[f.key] = e
			w = e
		}
		label := tr(f.label)
		if f.check {
			label = ""
		}
		if f.required {
			label += " *"
		}
		item := widget.NewFormItem(label, w)
		if f.hint != "" {
			item.HintText = tr(f.hint)
		}
		if f.advanced {
			advanced.AppendItem(item)
		} else {
			basic.AppendItem(item)
		}
	}
	objs := []fyne.CanvasObject{basic}
	if len(advanced.Items) > 0 {
		acc := widget.NewAccordion(widget.NewAccordionItem(tr("Advanced"), advanced))
		objs = append(objs, acc)
	}
	d.formBox.Objects = objs
	d.formBox.Refresh()
	d.addResult.Objects = nil
	d.addResult.Refresh()
}

// filled reads the form into an account and its secret, or says which
// required fields are empty.
func (d *settingsDialog) filled() (Account, string, error) {
	a := Account{Kind: d.kind, Settings: map[string]string{}}
	var secret string
	var missing []string
	for _, f := range accountForms[d.kind] {
		var v string
		switch {
		case f.check:
			if d.checks[f.key].Checked {
				v = "true"
			}
		case f.choices != nil:
			v = f.choices[max(0, d.selects[f.key].SelectedIndex())]
		default:
			v = d.entries[f.key].Text
			if !f.secret {
				v = strings.TrimSpace(v)
			}
		}
		if f.required && v == "" {
			missing = append(missing, tr(f.label))
		}
		switch f.key {
		case fieldName:
			a.Name = v
		case fieldSecret:
			secret = v
		default:
			if v != "" {
				a.Settings[f.key] = v
			}
		}
	}
	if len(missing) > 0 {
		return a, "", inbox.Errorf(inbox.Invalid, "%s", tr("Please fill in: {{.Fields}}.", map[string]any{"Fields": strings.Join(missing, ", ")}))
	}
	if d.kind == KindEmail && secret == "" && a.Settings["token-command"] == "" {
		return a, "", inbox.Errorf(inbox.Invalid, "%s", tr("Please give the password (or, under Advanced, an OAuth2 token command)."))
	}
	return a, secret, nil
}

func (d *settingsDialog) onTestNew() {
	if d.busy {
		return
	}
	a, secret, err := d.filled()
	if err != nil {
		d.setResult(d.addResult, nil, err, "")
		return
	}
	d.setBusy(d.addResult, tr("Testing…"))
	d.run(func() func() {
		lines, err := testAccount(d.accounts, a, secret)
		return func() {
			d.busy = false
			d.setResult(d.addResult, lines, err, "")
		}
	})
}

func (d *settingsDialog) onSave() {
	if d.busy {
		return
	}
	a, secret, err := d.filled()
	if err != nil {
		d.setResult(d.addResult, nil, err, "")
		return
	}
	d.setBusy(d.addResult, tr("Adding…"))
	d.run(func() func() {
		err := d.accounts.Add(a, secret)
		return func() {
			d.busy = false
			if err != nil {
				d.setResult(d.addResult, nil, err, "add the account")
				return
			}
			d.onChanged()
			d.showList()
			d.setResult(d.listResult, []string{tr("Account {{.Name}} added; Couture starts syncing it.", map[string]any{"Name": a.Name})}, nil, "")
		}
	})
}

// setBusy shows a work in progress in a result area.
func (d *settingsDialog) setBusy(area *fyne.Container, text string) {
	d.busy = true
	l := widget.NewLabel(text)
	l.Importance = widget.MediumImportance
	area.Objects = []fyne.CanvasObject{l}
	area.Refresh()
}

// setResult shows what works (lines) and what does not (err, its domain
// message: inbox.Explain) in a result area.
func (d *settingsDialog) setResult(area *fyne.Container, lines []string, err error, doing string) {
	var objs []fyne.CanvasObject
	if n := len(lines); err != nil && n > 0 && strings.Contains(lines[n-1], inbox.Explain(err)) {
		lines = lines[:n-1] // the failing step, said again by the error below
	}
	for _, l := range lines {
		objs = append(objs, resultLine(theme.NewSuccessThemedResource(theme.ConfirmIcon()), l, widget.MediumImportance))
	}
	if err != nil {
		if doing != "" {
			logError(doing, err)
		}
		objs = append(objs, resultLine(theme.NewErrorThemedResource(theme.ErrorIcon()), inbox.Explain(err), widget.DangerImportance))
	}
	area.Objects = objs
	area.Refresh()
}

func resultLine(icon fyne.Resource, text string, imp widget.Importance) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	return container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(icon)), nil, l)
}

// kindLabel names an account kind for people.
func kindLabel(kind string) string {
	for _, k := range accountKinds {
		if k.kind == kind {
			return tr(k.label)
		}
	}
	return kind
}

// kindChannel is the channel whose colour marks an account kind.
func kindChannel(kind string) inbox.ChannelKind {
	switch kind {
	case KindEmail:
		return inbox.ChannelEmail
	case KindTelegram:
		return inbox.ChannelTelegram
	case KindTwilio:
		return inbox.ChannelSMS
	case KindMatrix:
		return inbox.ChannelMatrix
	}
	return inbox.ChannelNone
}

// securityLabel names a connection security choice.
func securityLabel(s string) string {
	switch s {
	case "":
		return tr("Automatic (by port)")
	case "tls":
		return "TLS"
	case "starttls":
		return "STARTTLS"
	case "none":
		return tr("None (unencrypted)")
	}
	return s
}

// testAccount runs an account test with a deadline.
func testAccount(accounts Accounts, a Account, secret string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return accounts.Test(ctx, a, secret)
}

// logError logs what went wrong with its internals; the GUI shows only the
// domain message.
func logError(doing string, err error) {
	slog.Error("ui: "+doing, "err", err)
}
