package ui

import (
	"fmt"
	"image/color"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

// This file holds the small marks the views share: channel badges, tinted
// boxes and the colour arithmetic behind them. Every colour is computed
// from the theme when the mark refreshes, so a theme or variant change
// (light, dark) repaints them.

// channelShort is a channel's badge text: short, so a row holds several.
func channelShort(ch inbox.ChannelKind) string {
	switch ch {
	case inbox.ChannelEmail:
		return "✉"
	case inbox.ChannelSMS:
		return "SMS"
	case inbox.ChannelWhatsApp:
		return "WA"
	case inbox.ChannelTelegram:
		return "TG"
	case inbox.ChannelMatrix:
		return "MX"
	}
	return "·"
}

// channelName is a channel's name for a person.
func channelName(ch inbox.ChannelKind) string {
	switch ch {
	case inbox.ChannelEmail:
		return tr("E-mail")
	case inbox.ChannelSMS:
		return "SMS"
	case inbox.ChannelWhatsApp:
		return "WhatsApp"
	case inbox.ChannelTelegram:
		return "Telegram"
	case inbox.ChannelMatrix:
		return "Matrix"
	}
	return tr("Internal")
}

// badgeColor is the fill of a channel badge: the theme's channel colour
// (theme.go), or a fixed one under a theme that has none.
func badgeColor(ch inbox.ChannelKind) color.Color {
	c := channelColor(ch)
	if _, _, _, a := c.RGBA(); a != 0 {
		return c
	}
	if pair, ok := channelColors[ch]; ok {
		return pair[0]
	}
	return themeColor(theme.ColorNameDisabled)
}

// blend mixes b into a by t (0: a, 1: b), opaque.
func blend(a, b color.Color, t float32) color.Color {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	mix := func(x, y uint32) uint8 {
		return uint8((float32(x>>8)*(1-t) + float32(y>>8)*t) + 0.5)
	}
	return color.NRGBA{R: mix(ar, br), G: mix(ag, bg), B: mix(ab, bb), A: 0xff}
}

// tint is the background colour with a touch of the named theme colour.
func tint(n fyne.ThemeColorName, t float32) color.Color {
	return blend(themeColor(theme.ColorNameBackground), themeColor(n), t)
}

// badge is a short word on a rounded, coloured plate: a channel ("SMS"), or
// a delivery state ("failed"). Its colour is worked out on every refresh.
type badge struct {
	widget.BaseWidget
	text string
	icon fyne.Resource // drawn instead of text when set
	fill func() color.Color
	ch   inbox.ChannelKind // the channel of a channel badge, "" for others
}

// newChannelBadge returns the badge of channel ch.
func newChannelBadge(ch inbox.ChannelKind) *badge {
	b := &badge{}
	b.ExtendBaseWidget(b)
	b.channel(ch)
	return b
}

// newBadge returns a badge on the theme colour n.
func newBadge(text string, n fyne.ThemeColorName) *badge {
	b := &badge{text: text, fill: func() color.Color { return themeColor(n) }}
	b.ExtendBaseWidget(b)
	return b
}

// setChannel makes b the badge of channel ch. A list row rebinds its
// badges on every scroll step: a badge already showing ch is left as it is.
func (b *badge) setChannel(ch inbox.ChannelKind) {
	if b.fill != nil && b.ch == ch && b.text == channelShort(ch) {
		return
	}
	b.channel(ch)
	b.Refresh()
}

func (b *badge) channel(ch inbox.ChannelKind) {
	b.ch = ch
	b.text = channelShort(ch)
	b.icon = nil
	b.fill = func() color.Color { return badgeColor(ch) }
	switch ch {
	case inbox.ChannelEmail:
		b.icon = theme.MailComposeIcon() // no font has a good envelope
	case inbox.ChannelNone: // a note or an event (a search hit)
		b.icon = theme.DocumentCreateIcon()
		b.fill = func() color.Color { return themeColor(theme.ColorNameWarning) }
	}
}

// CreateRenderer implements fyne.Widget.
func (b *badge) CreateRenderer() fyne.WidgetRenderer {
	r := &badgeRenderer{b: b, bg: canvas.NewRectangle(color.Transparent), text: canvas.NewText("", color.White),
		icon: canvas.NewImageFromResource(nil)}
	r.text.TextStyle = fyne.TextStyle{Bold: true}
	r.icon.FillMode = canvas.ImageFillContain
	r.Refresh()
	return r
}

type badgeRenderer struct {
	b    *badge
	bg   *canvas.Rectangle
	text *canvas.Text
	icon *canvas.Image
	// drawn is the icon the image shows, in the colour it shows it in:
	// an SVG is parsed and drawn again only when one of them changes.
	drawn struct {
		icon fyne.Resource
		in   color.Color
	}
}

const badgeTextSize = 10

func (r *badgeRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	ts := r.text.MinSize()
	r.text.Move(fyne.NewPos((size.Width-ts.Width)/2, (size.Height-ts.Height)/2))
	r.text.Resize(ts)
	is := size.Height - 3
	r.icon.Move(fyne.NewPos((size.Width-is)/2, (size.Height-is)/2))
	r.icon.Resize(fyne.NewSquareSize(is))
}

func (r *badgeRenderer) MinSize() fyne.Size {
	ts := r.text.MinSize()
	return fyne.NewSize(max(ts.Width+8, 20), ts.Height+2)
}

func (r *badgeRenderer) Refresh() {
	r.text.Text = r.b.text
	r.text.TextSize = badgeTextSize
	r.text.Color = themeColor(theme.ColorNameBackground)
	if r.b.icon != nil {
		if r.drawn.icon != r.b.icon || r.drawn.in != r.text.Color {
			r.drawn.icon, r.drawn.in = r.b.icon, r.text.Color
			r.icon.Resource = coloredIcon(r.b.icon, r.text.Color)
			r.icon.Refresh()
		}
		r.icon.Show()
		r.text.Hide()
	} else {
		r.icon.Hide()
		r.text.Show()
	}
	if r.b.fill != nil {
		r.bg.FillColor = r.b.fill()
	}
	r.bg.CornerRadius = 4
	r.Layout(r.b.Size())
	r.bg.Refresh()
	r.text.Refresh()
}

// coloredIcons are the badge icons recoloured so far, by icon and colour.
var coloredIcons = struct {
	sync.Mutex
	m map[coloredKey]fyne.Resource
}{m: map[coloredKey]fyne.Resource{}}

type coloredKey struct {
	name string
	in   color.NRGBA
}

// coloredIcon is the SVG icon in colour c, recoloured once for every badge
// that shows it (theme.NewColoredResource recolours on every read). Its
// name carries the colour: Fyne caches drawn SVGs by name.
func coloredIcon(icon fyne.Resource, c color.Color) fyne.Resource {
	k := coloredKey{icon.Name(), color.NRGBAModel.Convert(c).(color.NRGBA)}
	coloredIcons.Lock()
	defer coloredIcons.Unlock()
	if res, ok := coloredIcons.m[k]; ok {
		return res
	}
	name := fmt.Sprintf("couture-%02x%02x%02x%02x-%s", k.in.R, k.in.G, k.in.B, k.in.A, k.name)
	res := fyne.NewStaticResource(name, theme.NewColoredResource(icon, theme.ColorNameBackground).Content())
	coloredIcons.m[k] = res
	return res
}

func (r *badgeRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.text, r.icon}
}
func (r *badgeRenderer) Destroy() {}

// tintBox draws its content on a rounded plate whose colours are worked
// out on every refresh (a note's yellow, an answer's accent).
type tintBox struct {
	widget.BaseWidget
	content fyne.CanvasObject
	fill    func() color.Color
	stroke  func() color.Color // nil: no border
	pad     float32
}

func newTintBox(content fyne.CanvasObject, fill func() color.Color) *tintBox {
	t := &tintBox{content: content, fill: fill, pad: theme.Padding()}
	t.ExtendBaseWidget(t)
	return t
}

// CreateRenderer implements fyne.Widget.
func (t *tintBox) CreateRenderer() fyne.WidgetRenderer {
	r := &tintRenderer{t: t, bg: canvas.NewRectangle(color.Transparent)}
	r.Refresh()
	return r
}

type tintRenderer struct {
	t  *tintBox
	bg *canvas.Rectangle
}

func (r *tintRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	p := r.t.pad
	r.t.content.Move(fyne.NewPos(p, p))
	r.t.content.Resize(fyne.NewSize(size.Width-2*p, size.Height-2*p))
}

func (r *tintRenderer) MinSize() fyne.Size {
	return r.t.content.MinSize().Add(fyne.NewSquareSize(2 * r.t.pad))
}

func (r *tintRenderer) Refresh() {
	if r.t.fill != nil {
		r.bg.FillColor = r.t.fill()
	}
	if r.t.stroke != nil {
		r.bg.StrokeColor = r.t.stroke()
		r.bg.StrokeWidth = 1
	} else {
		r.bg.StrokeWidth = 0
	}
	r.bg.CornerRadius = theme.SelectionRadiusSize() + 2
	r.Layout(r.t.Size())
	r.bg.Refresh()
	r.t.content.Refresh()
}

func (r *tintRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.t.content}
}
func (r *tintRenderer) Destroy() {}

// dot is the unread mark: a small disc in the accent colour.
type dot struct {
	widget.BaseWidget
	circle *canvas.Circle
}

func newDot() *dot {
	d := &dot{circle: canvas.NewCircle(color.Transparent)}
	d.ExtendBaseWidget(d)
	return d
}

// CreateRenderer implements fyne.Widget.
func (d *dot) CreateRenderer() fyne.WidgetRenderer { return &dotRenderer{d} }

type dotRenderer struct{ d *dot }

const dotSize = 9

func (r *dotRenderer) Layout(size fyne.Size) {
	s := min(size.Width, size.Height, dotSize)
	r.d.circle.Move(fyne.NewPos((size.Width-s)/2, (size.Height-s)/2))
	r.d.circle.Resize(fyne.NewSquareSize(s))
}
func (r *dotRenderer) MinSize() fyne.Size { return fyne.NewSquareSize(dotSize) }
func (r *dotRenderer) Refresh() {
	r.d.circle.FillColor = themeColor(theme.ColorNamePrimary)
	r.d.circle.Refresh()
}
func (r *dotRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.d.circle} }
func (r *dotRenderer) Destroy()                     {}

// small is a small text in theme colour n (theme.ColorNamePlaceHolder for
// secondary text: darker than the disabled colour of a LowImportance
// label, so it stays readable).
func small(text string, n fyne.ThemeColorName, style fyne.TextStyle) *widget.RichText {
	return widget.NewRichText(&widget.TextSegment{Text: text, Style: widget.RichTextStyle{
		Inline: true, ColorName: n, SizeName: theme.SizeNameCaptionText, TextStyle: style,
	}})
}

// muted is secondary text: small, in the placeholder colour.
func muted(text string) *widget.RichText {
	return small(text, theme.ColorNamePlaceHolder, fyne.TextStyle{})
}

// setSmall changes the text and colour of a small text.
func setSmall(rt *widget.RichText, text string, n fyne.ThemeColorName, bold bool) {
	seg := rt.Segments[0].(*widget.TextSegment)
	seg.Text, seg.Style.ColorName, seg.Style.TextStyle.Bold = text, n, bold
	rt.Refresh()
}

// caption returns a small label in the given importance (LowImportance
// reads muted).
func caption(text string, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameCaptionText
	l.Importance = imp
	return l
}

// ellipsize cuts text to the longest start that fits width with "…" after
// it, as a label with fyne.TextTruncateEllipsis shows it; text that fits is
// returned whole. It measures with the app's text cache and shaper: a
// truncating label builds a new shaper, font included, for every cut, too
// slow for rows that are bound anew on every scroll step.
func ellipsize(text string, width, size float32, style fyne.TextStyle) string {
	limit := float32(int(width)) // labels cut to whole pixels
	full := fyne.MeasureText(text, size, style).Width
	if text == "" || full <= limit {
		return text
	}
	room := limit - fyne.MeasureText("…", size, style).Width
	runes := []rune(text)
	// Spaces at the end of a line take no room, as when a label wraps.
	fits := func(n int) bool {
		return n <= 0 || fyne.MeasureText(strings.TrimRight(string(runes[:n]), " "), size, style).Width <= room
	}
	// runes[:fit] fits and runes[:over] does not. The cut is near where
	// the text's average advance puts it: gallop from there, then halve.
	guess := min(max(int(float32(len(runes))*room/full), 0), len(runes)-1)
	fit, over := 0, len(runes)
	if fits(guess) {
		fit = guess
		for step := 1; fit+step < over; step *= 2 {
			if !fits(fit + step) {
				over = fit + step
				break
			}
			fit += step
		}
	} else {
		over = guess
		for step := 1; over-step > fit; step *= 2 {
			if fits(over - step) {
				fit = over - step
				break
			}
			over -= step
		}
	}
	for over-fit > 1 {
		mid := (fit + over) / 2
		if fits(mid) {
			fit = mid
		} else {
			over = mid
		}
	}
	return string(runes[:fit]) + "…"
}
