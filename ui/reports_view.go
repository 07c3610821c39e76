package ui

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

// reportPeriod is one choice of the reports view: how far back and the
// size of a bar.
type reportPeriod struct {
	label  string // English
	days   int    // 0: weeks
	weeks  int
	bucket time.Duration
}

var reportPeriods = []reportPeriod{
	{label: "Last 30 days, by day", days: 30, bucket: 24 * time.Hour},
	{label: "Last 12 weeks, by week", weeks: 12, bucket: 7 * 24 * time.Hour},
}

// reportChannels are the channels in the order the charts stack them.
var reportChannels = []inbox.ChannelKind{inbox.ChannelEmail, inbox.ChannelSMS, inbox.ChannelWhatsApp, inbox.ChannelTelegram, inbox.ChannelMatrix}

// reportsView is the customer-service report (issue 8's charts): first
// response and resolution times (median and 90th percentile), first-contact
// resolution, effort (CES) and satisfaction (CSAT), the volume of customer
// messages per day or week and per channel, and by hour of the day. Every
// number comes from Desk.Report; charts are drawn with canvas rectangles
// and lines. It lives on the UI goroutine; the report loads through run.
type reportsView struct {
	desk   *inbox.Desk
	run    runner
	period int
	report inbox.Report
	loaded bool

	periodButtons []*widget.Button
	note          *widget.Label
	kpis          *fyne.Container
	volume        *barChart
	volumeLegend  *fyne.Container
	frt           *lineChart
	resolution    *lineChart
	channels      *fyne.Container
	hours         *barChart
	body          *fyne.Container
	scroll        *container.Scroll
	content       fyne.CanvasObject
}

// newReportsView builds the view; call load to fill it.
func newReportsView(desk *inbox.Desk, run runner) *reportsView {
	v := &reportsView{desk: desk, run: run}
	for i, p := range reportPeriods {
		b := widget.NewButton(tr(p.label), func() { v.setPeriod(i) })
		v.periodButtons = append(v.periodButtons, b)
	}
	refresh := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), v.load)
	refresh.Importance = widget.LowImportance
	title := widget.NewRichText(&widget.TextSegment{Text: tr("Reports"), Style: widget.RichTextStyle{SizeName: theme.SizeNameHeadingText, TextStyle: fyne.TextStyle{Bold: true}}})
	header := container.NewBorder(nil, nil, title, container.NewHBox(append(buttonsOf(v.periodButtons), refresh)...))

	v.note = widget.NewLabel("")
	v.note.Importance = widget.MediumImportance
	v.note.SizeName = theme.SizeNameCaptionText
	v.note.Wrapping = fyne.TextWrapWord
	v.kpis = container.NewGridWithColumns(5)
	v.volume = newBarChart()
	v.volumeLegend = container.NewHBox()
	v.frt = newLineChart()
	v.resolution = newLineChart()
	v.channels = container.NewVBox()
	v.hours = newBarChart()

	v.body = container.NewVBox(
		v.kpis,
		chartCard(tr("Messages from customers"), v.volumeLegend, v.volume),
		container.NewGridWithColumns(2,
			chartCard(tr("First response time"), lineLegend(), v.frt),
			chartCard(tr("Resolution time"), lineLegend(), v.resolution)),
		container.NewGridWithColumns(2,
			chartCard(tr("By channel"), nil, v.channels),
			chartCard(tr("By hour of the day"), nil, v.hours)),
		v.note,
	)
	v.scroll = container.NewVScroll(v.body)
	v.content = container.NewBorder(container.NewVBox(header, widget.NewSeparator()), nil, nil, nil, v.scroll)
	v.setPeriodButtons()
	return v
}

func buttonsOf(bs []*widget.Button) []fyne.CanvasObject {
	out := make([]fyne.CanvasObject, len(bs))
	for i, b := range bs {
		out[i] = b
	}
	return out
}

func (v *reportsView) setPeriod(i int) {
	v.period = i
	v.setPeriodButtons()
	v.load()
}

func (v *reportsView) setPeriodButtons() {
	for i, b := range v.periodButtons {
		if i == v.period {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
}

// load reads the report of the chosen period.
func (v *reportsView) load() {
	p := reportPeriods[v.period]
	v.run(func() func() {
		r, err := v.read(p)
		return func() {
			if err != nil {
				logError("load the report", err)
				v.note.Importance = widget.DangerImportance
				v.note.SetText(tr("Could not load the report: {{.Reason}}", map[string]any{"Reason": inbox.Explain(err)}))
				return
			}
			v.show(r, p)
		}
	})
}

// read asks the Desk for the report of period p.
func (v *reportsView) read(p reportPeriod) (inbox.Report, error) {
	if p.days > 0 {
		return v.desk.ReportDays(p.days)
	}
	loc := time.UTC
	if h, _, err := v.desk.Hours(); err == nil && h.Zone != "" {
		loc = h.Location()
	}
	now := v.desk.Now().In(loc)
	monday := time.Date(now.Year(), now.Month(), now.Day()-(int(now.Weekday())+6)%7, 0, 0, 0, 0, loc)
	from := monday.AddDate(0, 0, -7*(p.weeks-1))
	return v.desk.Report(from, monday.AddDate(0, 0, 7), p.bucket)
}

// show draws report r.
func (v *reportsView) show(r inbox.Report, p reportPeriod) {
	v.report, v.loaded = r, true
	t := r.Totals

	v.kpis.Objects = []fyne.CanvasObject{
		kpiCard(tr("First response"), durationValue(t.FirstResponseMedian),
			tr("median · p90 {{.P90}} · {{.Count}} stories", map[string]any{"P90": durationValue(t.FirstResponseP90), "Count": formatInt(t.FirstResponseCount)})),
		kpiCard(tr("Resolution"), durationValue(t.ResolutionMedian),
			tr("median · p90 {{.P90}} · {{.Count}} resolved", map[string]any{"P90": durationValue(t.ResolutionP90), "Count": formatInt(t.ResolutionCount)})),
		kpiCard(tr("First-contact resolution"), percentValue(t.FCRRate),
			tr("{{.Count}} of {{.Eligible}} · no new message within {{.Days}} days", map[string]any{"Count": formatInt(t.FCRCount), "Eligible": formatInt(t.FCREligible), "Days": r.FCRDays})),
		kpiCard(tr("Customer effort (CES)"), scoreValue(t.CESAverage, 7),
			trN("{{.Count}} answers · 7 is effortless", t.CESCount, map[string]any{"Count": formatInt(t.CESCount)})),
		kpiCard(tr("Satisfaction (CSAT)"), scoreValue(t.CSATAverage, 5),
			trN("{{.Count}} answers · 5 is delighted", t.CSATCount, map[string]any{"Count": formatInt(t.CSATCount)})),
	}
	v.kpis.Refresh()

	labels := make([]string, len(r.Series))
	for i, pt := range r.Series {
		labels[i] = shortDate(pt.Start)
	}
	var series []barSeries
	v.volumeLegend.Objects = nil
	for _, ch := range reportChannels {
		vals := make([]float64, len(r.Series))
		sum := 0.0
		for i, pt := range r.Series {
			vals[i] = float64(pt.InboundByChannel[ch])
			sum += vals[i]
		}
		if sum == 0 {
			continue
		}
		series = append(series, barSeries{color: colorNameChannelPrefix + fyne.ThemeColorName(ch), values: vals})
		v.volumeLegend.Add(legendItem(colorNameChannelPrefix+fyne.ThemeColorName(ch), channelLabel(ch)))
	}
	v.volume.set(labels, series, func(x float64) string { return formatInt(int(x)) })

	frt, frt90, res, res90 := make([]*float64, len(r.Series)), make([]*float64, len(r.Series)), make([]*float64, len(r.Series)), make([]*float64, len(r.Series))
	for i, pt := range r.Series {
		frt[i], frt90[i], res[i], res90[i] = pt.FirstResponseMedian, pt.FirstResponseP90, pt.ResolutionMedian, pt.ResolutionP90
	}
	v.frt.set(labels, [][]*float64{frt, frt90}, durationValue)
	v.resolution.set(labels, [][]*float64{res, res90}, durationValue)

	v.channels.Objects = channelRows(r)
	v.channels.Refresh()

	hours := make([]float64, 24)
	hourLabels := make([]string, 24)
	for h := range 24 {
		hours[h] = float64(r.VolumeByHour[h])
		if h%3 == 0 {
			hourLabels[h] = fmt.Sprintf("%d", h)
		}
	}
	v.hours.set(hourLabels, []barSeries{{color: theme.ColorNamePrimary, values: hours}}, func(x float64) string { return formatInt(int(x)) })

	v.note.Importance = widget.MediumImportance
	defer v.scroll.Refresh() // the cards' heights changed
	defer v.body.Refresh()
	v.note.SetText(tr("Times in {{.Zone}}. A story starts with a customer's message and ends when it is resolved; a resolution counts as first-contact when the customer writes again on no channel within {{.Days}} days, so the last {{.Days}} days are not counted yet. Automatic acknowledgements do not count as a first response.", map[string]any{"Zone": r.Zone, "Days": r.FCRDays}))
}

// channelRows is the "by channel" breakdown: one bar per channel, the
// channels customers write by most first.
func channelRows(r inbox.Report) []fyne.CanvasObject {
	type row struct {
		ch inbox.ChannelKind
		t  *inbox.Totals
	}
	var rows []row
	most := 0
	for ch, t := range r.ByChannel {
		if t.Inbound == 0 && t.Outbound == 0 {
			continue
		}
		rows = append(rows, row{ch, t})
		most = max(most, t.Inbound)
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(b.t.Inbound, a.t.Inbound), cmp.Compare(a.ch, b.ch))
	})
	if len(rows) == 0 {
		l := widget.NewLabel(tr("No message in this period."))
		l.Importance = widget.MediumImportance
		return []fyne.CanvasObject{l}
	}
	var out []fyne.CanvasObject
	for _, rw := range rows {
		name := widget.NewLabel(channelLabel(rw.ch))
		detail := widget.NewLabel(tr("{{.In}} in · first response {{.FRT}}", map[string]any{"In": formatInt(rw.t.Inbound), "FRT": durationValue(rw.t.FirstResponseMedian)}))
		detail.SizeName = theme.SizeNameCaptionText
		share := 0.0
		if most > 0 {
			share = float64(rw.t.Inbound) / float64(most)
		}
		bar := newShareBar(colorNameChannelPrefix+fyne.ThemeColorName(rw.ch), share)
		out = append(out, container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSize(96, name.MinSize().Height), name), nil,
			container.NewVBox(bar, detail)))
	}
	return out
}

// chartCard frames a chart with its title and legend.
func chartCard(title string, legend fyne.CanvasObject, chart fyne.CanvasObject) fyne.CanvasObject {
	head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	var top fyne.CanvasObject = head
	if legend != nil {
		top = container.NewBorder(nil, nil, head, legend)
	}
	bg := canvas.NewRectangle(themeColor(theme.ColorNameInputBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	return container.NewStack(bg, container.NewPadded(container.NewBorder(top, nil, nil, nil, chart)))
}

// kpiCard is one headline number: what it is, the value, how it is made.
func kpiCard(title, value, detail string) fyne.CanvasObject {
	t := widget.NewLabel(title)
	t.Importance = widget.MediumImportance
	t.Truncation = fyne.TextTruncateEllipsis
	val := widget.NewRichText(&widget.TextSegment{Text: value, Style: widget.RichTextStyle{SizeName: theme.SizeNameHeadingText, TextStyle: fyne.TextStyle{Bold: true}, ColorName: theme.ColorNamePrimary}})
	d := widget.NewLabel(detail)
	d.SizeName = theme.SizeNameCaptionText
	d.Wrapping = fyne.TextWrapWord
	d.Importance = widget.MediumImportance
	bg := canvas.NewRectangle(themeColor(theme.ColorNameInputBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	return container.NewStack(bg, container.NewPadded(container.NewVBox(t, val, d)))
}

// legendItem is a colour swatch and its name.
func legendItem(c fyne.ThemeColorName, name string) fyne.CanvasObject {
	sw := canvas.NewRectangle(themeColor(c))
	sw.CornerRadius = 2
	l := widget.NewLabel(name)
	l.SizeName = theme.SizeNameCaptionText
	return container.NewHBox(container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(10), sw)), l)
}

// lineLegend explains the two lines of a time chart.
func lineLegend() fyne.CanvasObject {
	return container.NewHBox(legendItem(theme.ColorNamePrimary, tr("median")), legendItem(theme.ColorNameHyperlink, tr("90th percentile")))
}

// channelLabel names a channel for people.
func channelLabel(ch inbox.ChannelKind) string {
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
	return string(ch)
}

// durationValue writes a time in seconds the way the reports show it:
// "45 s", "12 min", "3 h 05", "2 d 4 h"; "—" when there is no sample.
func durationValue(secs *float64) string {
	if secs == nil {
		return "—"
	}
	return durationText(time.Duration(*secs * float64(time.Second)))
}

func durationText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return tr("{{.N}} s", map[string]any{"N": int(d.Round(time.Second) / time.Second)})
	case d < time.Hour:
		return tr("{{.N}} min", map[string]any{"N": int(d.Round(time.Minute) / time.Minute)})
	case d < 24*time.Hour:
		d = d.Round(time.Minute)
		if d%time.Hour == 0 {
			return tr("{{.N}} h", map[string]any{"N": int(d / time.Hour)})
		}
		return tr("{{.H}} h {{.M}}", map[string]any{"H": int(d / time.Hour), "M": fmt.Sprintf("%02d", int(d%time.Hour/time.Minute))})
	}
	d = d.Round(time.Hour)
	if d%(24*time.Hour) == 0 {
		return tr("{{.N}} d", map[string]any{"N": int(d / (24 * time.Hour))})
	}
	return tr("{{.D}} d {{.H}} h", map[string]any{"D": int(d / (24 * time.Hour)), "H": int(d % (24 * time.Hour) / time.Hour)})
}

// percentValue writes a rate: "83 %" ("83 %" with a no-break space, as both
// languages want); "—" without one.
func percentValue(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%d\u00a0%%", int(math.Round(*r*100)))
}

// scoreValue writes an average score out of max: "5.8 / 7".
func scoreValue(avg *float64, of int) string {
	if avg == nil {
		return "—"
	}
	return formatFloat(*avg, 1) + " / " + fmt.Sprint(of)
}

// shortDate labels a bar: "Mar 2" ("2 mars"); a week is labelled by its
// Monday.
func shortDate(t time.Time) string {
	if language() == "fr" {
		return fmt.Sprintf("%d %s", t.Day(), monthsFR[t.Month()-1])
	}
	return fmt.Sprintf("%s %d", monthsEN[t.Month()-1], t.Day())
}

var (
	monthsEN = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	monthsFR = [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
)

// --- Charts, drawn with canvas objects.

// barSeries is one layer of a stacked bar chart.
type barSeries struct {
	color  fyne.ThemeColorName
	values []float64
}

// barChart is a stacked bar chart with a y axis of three gridlines and
// sparse x labels. It redraws itself on every layout and theme change.
type barChart struct {
	widget.BaseWidget
	labels []string
	series []barSeries
	format func(float64) string
}

func newBarChart() *barChart {
	c := &barChart{format: func(x float64) string { return fmt.Sprint(x) }}
	c.ExtendBaseWidget(c)
	return c
}

func (c *barChart) set(labels []string, series []barSeries, format func(float64) string) {
	c.labels, c.series, c.format = labels, series, format
	c.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (c *barChart) CreateRenderer() fyne.WidgetRenderer {
	return &chartRenderer{draw: c.draw, min: fyne.NewSize(240, 180)}
}

func (c *barChart) draw(size fyne.Size) []fyne.CanvasObject {
	n := len(c.labels)
	totals := make([]float64, n)
	for _, s := range c.series {
		for i, v := range s.values {
			if i < n {
				totals[i] += v
			}
		}
	}
	top := niceMax(slices.Max(append(totals, 0)))
	plot, objs := axes(size, top, c.labels, c.format)
	if n == 0 {
		return objs
	}
	slot := plot.w / float32(n)
	bw := max(1, min(slot*0.7, 28))
	for i := range n {
		y := plot.y + plot.h
		for _, s := range c.series {
			if i >= len(s.values) || s.values[i] <= 0 {
				continue
			}
			h := float32(s.values[i]/top) * plot.h
			r := canvas.NewRectangle(themeColor(s.color))
			r.Move(fyne.NewPos(plot.x+slot*float32(i)+(slot-bw)/2, y-h))
			r.Resize(fyne.NewSize(bw, h))
			objs = append(objs, r)
			y -= h
		}
	}
	return objs
}

// lineChart draws one or more series of optional values (nil: no sample,
// the line breaks) over the same x labels: the first series in the accent
// colour, the second in the link colour.
type lineChart struct {
	widget.BaseWidget
	labels []string
	series [][]*float64
	format func(*float64) string
}

func newLineChart() *lineChart {
	c := &lineChart{}
	c.ExtendBaseWidget(c)
	return c
}

func (c *lineChart) set(labels []string, series [][]*float64, format func(*float64) string) {
	c.labels, c.series, c.format = labels, series, format
	c.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (c *lineChart) CreateRenderer() fyne.WidgetRenderer {
	return &chartRenderer{draw: c.draw, min: fyne.NewSize(240, 160)}
}

func (c *lineChart) draw(size fyne.Size) []fyne.CanvasObject {
	most := 0.0
	for _, s := range c.series {
		for _, v := range s {
			if v != nil {
				most = max(most, *v)
			}
		}
	}
	top := niceDuration(most)
	format := func(x float64) string {
		if c.format == nil {
			return fmt.Sprint(x)
		}
		return c.format(&x)
	}
	plot, objs := axes(size, top, c.labels, format)
	n := len(c.labels)
	if n == 0 {
		return objs
	}
	slot := plot.w / float32(n)
	colors := []fyne.ThemeColorName{theme.ColorNamePrimary, theme.ColorNameHyperlink}
	for si, s := range c.series {
		col := themeColor(colors[si%len(colors)])
		var prev *fyne.Position
		for i, v := range s {
			if i >= n || v == nil {
				prev = nil
				continue
			}
			p := fyne.NewPos(plot.x+slot*(float32(i)+0.5), plot.y+plot.h-float32(*v/top)*plot.h)
			if prev != nil {
				l := canvas.NewLine(col)
				l.StrokeWidth = 2
				l.Position1, l.Position2 = *prev, p
				objs = append(objs, l)
			}
			dot := canvas.NewCircle(col)
			dot.Move(p.SubtractXY(2.5, 2.5))
			dot.Resize(fyne.NewSquareSize(5))
			objs = append(objs, dot)
			prev = &p
		}
	}
	return objs
}

// shareBar is a horizontal bar filled to a share in [0, 1].
type shareBar struct {
	widget.BaseWidget
	color fyne.ThemeColorName
	share float64
}

func newShareBar(c fyne.ThemeColorName, share float64) *shareBar {
	b := &shareBar{color: c, share: share}
	b.ExtendBaseWidget(b)
	return b
}

// CreateRenderer implements fyne.Widget.
func (b *shareBar) CreateRenderer() fyne.WidgetRenderer {
	return &chartRenderer{min: fyne.NewSize(60, 12), draw: func(size fyne.Size) []fyne.CanvasObject {
		track := canvas.NewRectangle(themeColor(theme.ColorNameInputBorder))
		track.CornerRadius = 3
		track.Resize(size)
		fill := canvas.NewRectangle(themeColor(b.color))
		fill.CornerRadius = 3
		fill.Resize(fyne.NewSize(max(float32(b.share)*size.Width, 3), size.Height))
		return []fyne.CanvasObject{track, fill}
	}}
}

// plotArea is where a chart draws its data, inside its axes.
type plotArea struct{ x, y, w, h float32 }

// axes draws three horizontal gridlines labelled 0, top/2 and top, and the
// x labels, as many as fit; it returns the plot area left for the data.
func axes(size fyne.Size, top float64, labels []string, format func(float64) string) (plotArea, []fyne.CanvasObject) {
	textSize := theme.CaptionTextSize()
	muted := themeColor(colorNameMuted)
	grid := themeColor(theme.ColorNameInputBorder)
	var objs []fyne.CanvasObject
	yLabels := []string{format(0), format(top / 2), format(top)}
	left := float32(0)
	for _, s := range yLabels {
		left = max(left, fyne.MeasureText(s, textSize, fyne.TextStyle{}).Width)
	}
	left += 6
	bottom := textSize + 8
	p := plotArea{x: left, y: textSize / 2, w: max(size.Width-left, 1), h: max(size.Height-bottom-textSize/2, 1)}
	for i, s := range yLabels {
		y := p.y + p.h - p.h*float32(i)/2
		l := canvas.NewLine(grid)
		l.StrokeWidth = 1
		l.Position1, l.Position2 = fyne.NewPos(p.x, y), fyne.NewPos(p.x+p.w, y)
		t := canvas.NewText(s, muted)
		t.TextSize = textSize
		t.Alignment = fyne.TextAlignTrailing
		t.Move(fyne.NewPos(0, y-textSize*0.7))
		t.Resize(fyne.NewSize(left-6, textSize))
		objs = append(objs, l, t)
	}
	if n := len(labels); n > 0 {
		slot := p.w / float32(n)
		widest := float32(0)
		for _, s := range labels {
			widest = max(widest, fyne.MeasureText(s, textSize, fyne.TextStyle{}).Width)
		}
		every := max(1, int(math.Ceil(float64((widest+12)/slot))))
		if slices.Contains(labels, "") {
			every = 1 // the caller chose which bars have a label
		}
		// From the right: the newest bar always has its label; right is the
		// left edge of the label drawn last.
		right := size.Width
		for i := n - 1; i >= 0; i -= every {
			if labels[i] == "" {
				continue
			}
			w := fyne.MeasureText(labels[i], textSize, fyne.TextStyle{}).Width
			x := p.x + slot*float32(i) + slot/2 - w/2
			if i == n-1 {
				x = min(x, size.Width-w)
			} else if x+w+8 > right {
				continue // it would touch its neighbour
			}
			right = x
			t := canvas.NewText(labels[i], muted)
			t.TextSize = textSize
			t.Move(fyne.NewPos(x, p.y+p.h+4))
			objs = append(objs, t)
		}
	}
	return p, objs
}

// niceMax rounds a chart's top up to 1, 2 or 5 times a power of ten.
func niceMax(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if x <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// niceDuration rounds a time chart's top (seconds) up to a round duration,
// so the gridlines read "30 min", "1 h", "2 d 0 h"…
func niceDuration(secs float64) float64 {
	steps := []float64{60, 120, 300, 600, 1200, 1800, 3600, 7200, 4 * 3600, 8 * 3600, 12 * 3600, 86400, 2 * 86400, 4 * 86400, 7 * 86400, 14 * 86400, 28 * 86400}
	for _, s := range steps {
		if secs <= s {
			return s
		}
	}
	return niceMax(secs)
}

// chartRenderer draws a chart by rebuilding its canvas objects on every
// layout and refresh: charts hold tens of objects, not thousands.
type chartRenderer struct {
	draw func(fyne.Size) []fyne.CanvasObject
	min  fyne.Size
	size fyne.Size
	objs []fyne.CanvasObject
}

func (r *chartRenderer) Layout(size fyne.Size) {
	r.size = size
	r.objs = r.draw(size)
}

func (r *chartRenderer) MinSize() fyne.Size { return r.min }

func (r *chartRenderer) Refresh() {
	r.objs = r.draw(r.size)
	for _, o := range r.objs {
		canvas.Refresh(o)
	}
}

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objs }

func (r *chartRenderer) Destroy() {}
