package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/assets"
)

// welcome is what a first start shows instead of the empty inbox: what
// Couture does, "Add an account" and "Open the demo".
type welcome struct {
	add, demo, later *widget.Button
	content          fyne.CanvasObject
}

// newWelcome builds the welcome; a nil onDemo hides "Open the demo".
func newWelcome(onAdd, onDemo, onLater func()) *welcome {
	w := &welcome{}
	icon := canvas.NewImageFromResource(fyne.NewStaticResource("icon.png", assets.Icon))
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSquareSize(112))

	title := widget.NewRichText(&widget.TextSegment{
		Text:  tr("Welcome to Couture"),
		Style: widget.RichTextStyle{Alignment: fyne.TextAlignCenter, SizeName: theme.SizeNameHeadingText, TextStyle: fyne.TextStyle{Bold: true}},
	})
	intro := widget.NewLabel(tr("Every customer as one conversation, whatever they write by: e-mail, SMS, WhatsApp, Telegram or Matrix. Add the account your customers write to, and Couture brings in their messages, old and new."))
	intro.Wrapping = fyne.TextWrapWord
	intro.Alignment = fyne.TextAlignCenter

	w.add = widget.NewButtonWithIcon(tr("Add an account"), theme.ContentAddIcon(), onAdd)
	w.add.Importance = widget.HighImportance
	buttons := []fyne.CanvasObject{w.add}
	if onDemo != nil {
		w.demo = widget.NewButtonWithIcon(tr("Open the demo"), theme.ComputerIcon(), onDemo)
		buttons = append(buttons, w.demo)
	}
	w.later = widget.NewButton(tr("Not now"), onLater)
	w.later.Importance = widget.LowImportance
	hint := widget.NewLabel(tr("The demo is a bakery-café with its customers, in a throw-away inbox: nothing you do there touches yours."))
	hint.Wrapping = fyne.TextWrapWord
	hint.Alignment = fyne.TextAlignCenter
	hint.SizeName = theme.SizeNameCaptionText

	card := container.NewVBox(
		container.NewCenter(icon),
		title,
		intro,
		container.NewCenter(container.NewHBox(buttons...)),
		hint,
		container.NewCenter(w.later),
	)
	w.content = container.NewCenter(container.New(widthLayout(560), card))
	return w
}

// widthLayout lays its objects out at a fixed width and the height they
// need at that width (wrapped text grows downwards, not sideways).
type widthLayout float32

func (l widthLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(fyne.NewSize(float32(l), size.Height))
		o.Move(fyne.NewPos(0, 0))
	}
}

func (l widthLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		if o.Size().Width != float32(l) {
			o.Resize(fyne.NewSize(float32(l), o.MinSize().Height))
		}
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(float32(l), h)
}
