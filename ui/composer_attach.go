package ui

import (
	"os"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

// The composer's files: Attach (or a drop on the window) stores each file
// in the blob store at once, off the UI goroutine, and adds it to the
// answer as a chip with its name, its size and a remove button. The
// files are part of the customer's draft, so they survive a restart. The
// limit line under the text says where they stand against the channel's
// limits (inbox.AttachmentLimits), and blocks Send on SMS and WhatsApp,
// which cannot carry them.

// setBlobs gives the composer the store files are attached into; nil hides
// Attach.
func (p *composer) setBlobs(b inbox.Blobs) {
	p.blobs = b
	p.showAttachments()
}

// showAttachments shows Attach and the chips in answer mode (a note
// carries no files; they wait for the answer).
func (p *composer) showAttachments() {
	p.attachBtn.Hidden = p.blobs == nil || p.note
	p.attachBtn.Refresh()
	p.chips.Hidden = p.note || len(p.attachments) == 0
	p.chips.Refresh()
}

// onAttach asks for a file and attaches it.
func (p *composer) onAttach() {
	if !p.has || p.blobs == nil {
		return
	}
	pick := p.pick
	if pick == nil {
		pick = p.pickFile
	}
	pick(p.addFiles)
}

// pickFile is the file dialog, opened in the home folder.
func (p *composer) pickFile(done func(paths []string)) {
	if p.window == nil || p.window() == nil {
		return
	}
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			p.onError(tr("attach a file"), err)
			return
		}
		if r == nil {
			return // cancelled
		}
		path := r.URI().Path()
		r.Close()
		done([]string{path})
	}, p.window())
	if home, err := os.UserHomeDir(); err == nil {
		if l, err := storage.ListerForURI(storage.NewFileURI(home)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Show()
}

// drop attaches the files dropped on the window (folders and other URIs
// are ignored). It switches a note back to an answer, which carries them.
func (p *composer) drop(uris []fyne.URI) {
	if !p.has || p.blobs == nil {
		return
	}
	var paths []string
	for _, u := range uris {
		if u != nil && u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) == 0 {
		return
	}
	if p.note {
		p.setNote(false)
	}
	p.addFiles(paths)
}

// addFiles stores the files at paths, off the UI goroutine, then adds them
// to the answer of the customer they were attached for. Send waits while
// they are being stored.
func (p *composer) addFiles(paths []string) {
	if !p.has || p.blobs == nil || len(paths) == 0 {
		return
	}
	id, blobs := p.cust.ID, p.blobs
	p.attaching++
	p.updateSend()
	p.run(func() func() {
		var added []inbox.Attachment
		var errs []error
		for _, path := range paths {
			a, err := attachFile(blobs, path)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			added = append(added, a)
		}
		return func() {
			p.attaching--
			for _, err := range errs {
				p.onError(tr("attach a file"), err)
			}
			if !p.has || p.cust.ID != id {
				p.updateSend()
				return // the person moved on; the files stay unused in the store
			}
			p.setAttachments(append(slices.Clone(p.attachments), added...))
			p.changed()
			p.updateLimit()
		}
	})
}

// attachFile stores the file at path. A folder, or a file over the largest
// any channel takes, is refused before it is read.
func attachFile(blobs inbox.Blobs, path string) (inbox.Attachment, error) {
	name := inbox.AttachmentName(path)
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return inbox.Attachment{}, inbox.Wrap(inbox.NotFound, err, tr("{{.Name}} cannot be read", map[string]any{"Name": name}))
	case fi.IsDir():
		return inbox.Attachment{}, inbox.Errorf(inbox.Invalid, "%s", tr("{{.Name}} is a folder: attach the files in it", map[string]any{"Name": name}))
	case fi.Size() > inbox.MaxAttachment:
		return inbox.Attachment{}, inbox.Errorf(inbox.Invalid, "%s", tr("{{.Name}} is {{.Size}}; no channel takes files over {{.Max}}: share a link instead",
			map[string]any{"Name": name, "Size": inbox.SizeText(fi.Size()), "Max": inbox.SizeText(inbox.MaxAttachment)}))
	}
	f, err := os.Open(path)
	if err != nil {
		return inbox.Attachment{}, inbox.Wrap(inbox.NotFound, err, tr("{{.Name}} cannot be read", map[string]any{"Name": name}))
	}
	defer f.Close()
	return inbox.PutAttachment(blobs, path, f)
}

// setAttachments replaces the files and redraws their chips.
func (p *composer) setAttachments(list []inbox.Attachment) {
	p.attachments = list
	p.chips.Objects = p.chips.Objects[:0]
	p.chipRemove = p.chipRemove[:0]
	for i, a := range list {
		icon := theme.FileIcon()
		if strings.HasPrefix(a.Type, "image/") {
			icon = theme.FileImageIcon()
		}
		label := widget.NewLabel(cmpOr(a.Name, tr("attachment")) + " · " + inbox.SizeText(a.Size))
		remove := widget.NewButtonWithIcon("", theme.CancelIcon(), func() { p.removeAttachment(i) })
		remove.Importance = widget.LowImportance
		bg := canvas.NewRectangle(tint(theme.ColorNamePrimary, 0.12))
		bg.CornerRadius = theme.InputRadiusSize()
		p.chips.Objects = append(p.chips.Objects, container.NewStack(bg, container.NewHBox(widget.NewIcon(icon), label, remove)))
		p.chipRemove = append(p.chipRemove, remove)
	}
	p.showAttachments()
}

// removeAttachment takes file i off the answer (its bytes stay in the
// store, which other messages may share).
func (p *composer) removeAttachment(i int) {
	if i < 0 || i >= len(p.attachments) {
		return
	}
	p.setAttachments(slices.Delete(slices.Clone(p.attachments), i, i+1))
	p.changed()
	p.updateLimit()
}

// describeAttachments says where the files stand on channel ch: "2 files ·
// 3.1 MB of 25 MB", or, with ok false, why they cannot go (the answer is
// blocked). "" when there are none.
func describeAttachments(ch inbox.ChannelKind, atts []inbox.Attachment) (text string, ok bool) {
	if len(atts) == 0 {
		return "", true
	}
	l := inbox.AttachmentLimits(ch)
	n, total := len(atts), inbox.TotalSize(atts)
	data := map[string]any{"Count": formatInt(n), "Size": inbox.SizeText(total)}
	switch {
	case l.Refused != "":
		return tr("SMS and WhatsApp through Twilio cannot carry attachments from Couture: Twilio fetches media from a public URL. Remove the files or answer by e-mail, Telegram or Matrix."), false
	case l.PerFile > 0:
		for _, a := range atts {
			if a.Size > l.PerFile {
				return tr("{{.Name}} is {{.Size}}; {{.Channel}} takes files of at most {{.Max}}: remove it or share a link.",
					map[string]any{"Name": a.Name, "Size": inbox.SizeText(a.Size), "Channel": channelName(ch), "Max": inbox.SizeText(l.PerFile)}), false
			}
		}
		data["Max"] = inbox.SizeText(l.PerFile)
		return trN("{{.Count}} files · {{.Size}} (at most {{.Max}} each)", n, data), true
	case l.Total > 0:
		data["Max"] = inbox.SizeText(l.Total)
		if total > l.Total {
			return tr("The files make {{.Size}}; an e-mail carries at most {{.Max}}: remove some or share a link.", data), false
		}
		return trN("{{.Count}} files · {{.Size}} of {{.Max}}", n, data), true
	}
	return trN("{{.Count}} files · {{.Size}}", n, data), true
}
