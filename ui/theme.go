package ui

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/couture/couture/inbox"
)

// Couture's colours come from its icon: a coral thread on a deep teal. Each
// has a light and a dark shade, so text and marks keep their contrast
// whichever variant the system asks for (Fyne follows the system's light or
// dark preference and passes it to Color).
var (
	coralLight = color.NRGBA{R: 0xc2, G: 0x4a, B: 0x2c, A: 0xff} // 4.7:1 on white
	coralDark  = color.NRGBA{R: 0xf2, G: 0x8b, B: 0x6c, A: 0xff} // 6.9:1 on the dark background
	tealLight  = color.NRGBA{R: 0x1f, G: 0x5f, B: 0x73, A: 0xff}
	tealDark   = color.NRGBA{R: 0x7c, G: 0xc4, B: 0xd6, A: 0xff}
)

// Colour names Couture adds to the theme's.
const (
	// colorNameChannelPrefix + a channel kind ("channel-sms") is the
	// channel's colour, for badges and charts.
	colorNameChannelPrefix fyne.ThemeColorName = "couture-channel-"
	// colorNameMuted is for secondary text drawn on a canvas (chart axes).
	colorNameMuted fyne.ThemeColorName = "couture-muted"
)

// channelColors are the channels' colours in light and dark: distinct from
// one another, from the accent and for the colour-blind (blue, green,
// purple, amber, teal), close to the colour each brand is known by.
var channelColors = map[inbox.ChannelKind][2]color.NRGBA{
	inbox.ChannelEmail:    {{R: 0x2f, G: 0x6f, B: 0xc0, A: 0xff}, {R: 0x79, G: 0xa8, B: 0xf0, A: 0xff}},
	inbox.ChannelSMS:      {{R: 0x8a, G: 0x5c, B: 0xc2, A: 0xff}, {R: 0xb9, G: 0x9a, B: 0xf0, A: 0xff}},
	inbox.ChannelWhatsApp: {{R: 0x1e, G: 0x8e, B: 0x4e, A: 0xff}, {R: 0x5c, G: 0xd0, B: 0x8a, A: 0xff}},
	inbox.ChannelTelegram: {{R: 0x1b, G: 0x8f, B: 0xb8, A: 0xff}, {R: 0x5e, G: 0xc4, B: 0xea, A: 0xff}},
	inbox.ChannelMatrix:   {{R: 0xb0, G: 0x7a, B: 0x10, A: 0xff}, {R: 0xe8, G: 0xb8, B: 0x4a, A: 0xff}},
}

// coutureTheme is Fyne's default theme with Couture's accent and channel
// colours. It follows the system's light or dark variant unless variant is
// set (the golden tests render both).
type coutureTheme struct {
	fyne.Theme
	variant *fyne.ThemeVariant
}

// newTheme returns the theme of the running app: it follows the system.
func newTheme() fyne.Theme { return &coutureTheme{Theme: theme.DefaultTheme()} }

// newThemeVariant returns the theme forced to one variant (tests).
func newThemeVariant(v fyne.ThemeVariant) fyne.Theme {
	return &coutureTheme{Theme: theme.DefaultTheme(), variant: &v}
}

// Color implements fyne.Theme.
func (t *coutureTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.variant != nil {
		v = *t.variant
	}
	dark := v == theme.VariantDark
	pick := func(light, dk color.NRGBA) color.Color {
		if dark {
			return dk
		}
		return light
	}
	switch n {
	case theme.ColorNamePrimary:
		return pick(coralLight, coralDark)
	case theme.ColorNameForegroundOnPrimary:
		return pick(color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}, color.NRGBA{R: 0x1a, G: 0x1a, B: 0x1a, A: 0xff})
	case theme.ColorNameFocus:
		c := pick(coralLight, coralDark).(color.NRGBA)
		c.A = 0x7f
		return c
	case theme.ColorNameSelection:
		c := pick(coralLight, coralDark).(color.NRGBA)
		c.A = 0x40
		return c
	case theme.ColorNameHyperlink:
		return pick(tealLight, tealDark)
	// Fyne's status colours are made for dark backgrounds; on white, text
	// in them needs darker shades to stay readable.
	case theme.ColorNameWarning:
		if !dark {
			return color.NRGBA{R: 0xa8, G: 0x5a, B: 0x00, A: 0xff}
		}
	case theme.ColorNameSuccess:
		if !dark {
			return color.NRGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}
		}
	case theme.ColorNameError:
		if !dark {
			return color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
		}
	case colorNameMuted:
		return t.Theme.Color(theme.ColorNamePlaceHolder, v)
	}
	if ch, ok := strings.CutPrefix(string(n), string(colorNameChannelPrefix)); ok {
		if c, ok := channelColors[inbox.ChannelKind(ch)]; ok {
			return pick(c[0], c[1])
		}
		return t.Theme.Color(theme.ColorNameDisabled, v)
	}
	return t.Theme.Color(n, v)
}

// channelColor is the colour of a channel in the current theme and variant.
func channelColor(ch inbox.ChannelKind) color.Color {
	return themeColor(colorNameChannelPrefix + fyne.ThemeColorName(ch))
}

// themeColor is a colour of the current app's theme in its variant.
func themeColor(n fyne.ThemeColorName) color.Color {
	a := fyne.CurrentApp()
	if a == nil {
		return theme.DefaultTheme().Color(n, theme.VariantLight)
	}
	return a.Settings().Theme().Color(n, a.Settings().ThemeVariant())
}
