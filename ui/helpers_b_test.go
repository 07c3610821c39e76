package ui

import (
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/assets"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
)

// Helpers of Part B's tests: the settings dialog, the status bar, the
// welcome, the reports, the shell around the main view.

// testNow is the wall clock of these tests.
var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// newTestDesk opens a real store in a temporary directory, with the clock
// held at testNow.
func newTestDesk(t testing.TB) *inbox.Desk {
	t.Helper()
	st, err := storage.Open(t.TempDir(), &storage.Options{NoIndex: true, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return inbox.NewDesk(st, &inbox.Options{Clock: func() time.Time { return testNow }})
}

// newDemoDesk opens a store filled with the demo business, its clock held
// at testNow, so its reports are the same on every run.
func newDemoDesk(t testing.TB) *inbox.Desk {
	t.Helper()
	st, err := storage.Open(t.TempDir(), &storage.Options{NoIndex: true, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := &assets.Clock{}
	clock.Set(testNow)
	desk := inbox.NewDesk(st, &inbox.Options{Clock: clock.Now})
	if _, err := assets.LoadDemo(context.Background(), desk, clock); err != nil {
		t.Fatal(err)
	}
	return desk
}

// fakeAccounts is an Accounts that remembers what it was asked.
type fakeAccounts struct {
	mu      sync.Mutex
	list    []Account
	added   []Account
	secrets []string
	tested  []Account
	removed []string
	addErr  error
	lines   []string
	testErr error
}

func (f *fakeAccounts) List() ([]Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.list), nil
}

func (f *fakeAccounts) Add(a Account, secret string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.addErr != nil {
		return f.addErr
	}
	f.added = append(f.added, a)
	f.secrets = append(f.secrets, secret)
	a.Details = a.Settings["address"]
	f.list = append(f.list, a)
	return nil
}

func (f *fakeAccounts) Test(_ context.Context, a Account, _ string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tested = append(f.tested, a)
	return f.lines, f.testErr
}

func (f *fakeAccounts) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, name)
	f.list = slices.DeleteFunc(f.list, func(a Account) bool { return a.Name == name })
	return nil
}

// look is one rendering of the goldens: a theme variant and a language.
type look struct {
	name    string
	variant fyne.ThemeVariant
	lang    string
}

var looks = []look{
	{"light_en", theme.VariantLight, "en"},
	{"dark_en", theme.VariantDark, "en"},
	{"light_fr", theme.VariantLight, "fr"},
	{"dark_fr", theme.VariantDark, "fr"},
}

// useLook starts a test app with Couture's theme in l's variant and
// language. Views must be built after it.
func useLook(t *testing.T, l look) fyne.App {
	t.Helper()
	useLanguage(t, l.lang)
	a := test.NewTempApp(t)
	a.Settings().SetTheme(newThemeVariant(l.variant))
	return a
}

// useEnglish starts a test app in English, for the tests that read texts.
func useEnglish(t *testing.T) fyne.App {
	t.Helper()
	return useLook(t, looks[0])
}

// assertGolden compares what w shows with testdata/name.png. With
// COUTURE_UPDATE_GOLDEN=1 it writes the file instead; look at it before
// keeping it.
func assertGolden(t *testing.T, name string, w fyne.Window) {
	t.Helper()
	img := w.Canvas().Capture()
	if os.Getenv("COUTURE_UPDATE_GOLDEN") != "" {
		writePNG(t, filepath.Join("testdata", name), img)
		return
	}
	test.AssertImageMatches(t, name, img)
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// findButton returns the visible button labelled text on the canvas,
// dialogs (overlays) included.
func findButton(t *testing.T, c fyne.Canvas, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if found != nil || o == nil || !o.Visible() {
			return
		}
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			found = b
			return
		}
		switch o := o.(type) {
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c)
			}
		}
	}
	for _, o := range slices.Backward(c.Overlays().List()) {
		walk(o)
	}
	walk(c.Content())
	if found == nil {
		t.Fatalf("no button %q on the canvas", text)
	}
	return found
}

// texts returns the text of every visible label under o, in order.
func texts(t *testing.T, o fyne.CanvasObject) []string {
	t.Helper()
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch o := o.(type) {
		case *widget.Label:
			out = append(out, o.Text)
			return
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// typeInto focuses e on w's canvas, as a click would, and types text.
func typeInto(w fyne.Window, e *widget.Entry, text string) {
	w.Canvas().Focus(e)
	test.Type(e, text)
}
