package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // IANA zones for business hours, even where the OS has none

	"github.com/couture/couture/assets"
	"github.com/couture/couture/inbox"
)

// The customer-service commands: business hours, the automatic
// acknowledgement, the level-1 bot, surveys, sender rules and reports.

func init() {
	register(&command{name: "hours", args: "show | set --zone Z [--mon 08:00-19:00 …] [--holiday DATE …]", summary: "business hours and holidays", run: runHours})
	register(&command{name: "business", args: "[--name N] [--lang fr|en] [--own ADDR,…] [--fcr-days N]", summary: "the business's name, language and own addresses; shows every service setting", run: runBusiness})
	register(&command{name: "auto-ack", args: "on|off [--always] [--channels C,…] [--every HOURS]", summary: "automatic acknowledgement outside business hours", run: runAutoAck})
	register(&command{name: "bot", args: "on|off [--channels C,…] | test TEXT… | run ID", summary: "the level-1 bot: FAQ answers from the library, escalation to a person", run: runBot})
	register(&command{name: "survey", args: "on|off [--kind ces|csat] [--answer-days N] | send ID [--kind K]", summary: "CES or CSAT survey after a resolution", run: runSurvey})
	register(&command{name: "sender", args: "customer|other|forget ADDRESS | list", summary: "teach whether a sender is a customer or Other (lists, newsletters)", run: runSender})
	register(&command{name: "report", args: "[--days N] [--json]", summary: "customer-service report: response times, FCR, CES, CSAT, volumes", run: runReport})
}

// newClock is the clock of the CLI's Desk: it runs, unless $COUTURE_NOW
// (RFC 3339, a hidden variable for tests and demos) holds it at a time so
// that reports and goldens are the same on every run.
func newClock() *assets.Clock {
	c := &assets.Clock{}
	if v := strings.TrimSpace(os.Getenv("COUTURE_NOW")); v != "" {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			c.Set(t)
		}
	}
	return c
}

// dayFlags are --mon … --sun, each a list of spans.
var dayFlagNames = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, splitList(v)...); return nil }

func runHours(e *env, args []string) error {
	if len(args) == 0 || args[0] == "show" {
		if len(args) == 0 {
			args = []string{"show"}
		}
		return hoursShow(e, args[1:])
	}
	if args[0] != "set" {
		return usagef("hours takes show or set (couture hours set --zone Europe/Paris --tue 07:00-19:00 --holiday 2026-12-25)")
	}
	fs := flag.NewFlagSet("hours set", flag.ContinueOnError)
	zone := fs.String("zone", "", "IANA time zone, e.g. Europe/Paris")
	days := map[time.Weekday]*string{}
	for _, d := range dayFlagNames {
		days[d] = fs.String(inbox.DayKey(d), "", "spans on "+d.String()+", e.g. 08:00-12:30,14:00-19:00 (none: closed)")
	}
	var holidays listFlag
	fs.Var(&holidays, "holiday", "a closed date, YYYY-MM-DD (repeat, or comma-separate)")
	_, err := parseArgs(fs, args[1:], 0, "flags only")
	if err != nil {
		return err
	}
	if *zone == "" {
		return usagef("hours set needs --zone (an IANA name such as Europe/Paris)")
	}
	h := inbox.Hours{Zone: *zone, Holidays: holidays}
	for d, v := range days {
		spans, err := inbox.ParseSpans(*v)
		if err != nil {
			return usagef("--%s: %s", inbox.DayKey(d), inbox.Explain(err))
		}
		h.Week[d] = spans
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	if err := a.desk.SetHours(h); err != nil {
		return err
	}
	return hoursShow(e, nil)
}

func hoursShow(e *env, args []string) error {
	fs := flag.NewFlagSet("hours show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	_, err := parseArgs(fs, args, 0, "no arguments")
	if err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	h, ok, err := a.desk.Hours()
	if err != nil {
		return err
	}
	if *asJSON {
		if !ok {
			return writeJSON(e.stdout, nil)
		}
		return writeJSON(e.stdout, h)
	}
	if !ok {
		fmt.Fprintln(e.stdout, "no business hours set (couture hours set --zone Europe/Paris --tue 07:00-19:00 …)")
		return nil
	}
	fmt.Fprintf(e.stdout, "zone      %s\n", h.Zone)
	for _, d := range dayFlagNames {
		spans := make([]string, len(h.Week[d]))
		for i, s := range h.Week[d] {
			spans[i] = s.String()
		}
		v := strings.Join(spans, ", ")
		if v == "" {
			v = "closed"
		}
		fmt.Fprintf(e.stdout, "%-9s %s\n", d.String(), v)
	}
	if len(h.Holidays) > 0 {
		fmt.Fprintf(e.stdout, "holidays  %s\n", strings.Join(h.Holidays, ", "))
	}
	now := a.desk.Now()
	if h.Open(now) {
		fmt.Fprintln(e.stdout, "now       open")
	} else if next, ok := h.NextOpen(now); ok {
		fmt.Fprintf(e.stdout, "now       closed, opens %s\n", next.In(h.Location()).Format("Mon 2006-01-02 15:04 MST"))
	}
	fmt.Fprintf(e.stdout, "customers read: %s / %s\n", h.Describe("fr"), h.Describe("en"))
	return nil
}

// onOff reads the on|off argument of a rule command; "" when absent.
func onOff(pos []string, name string) (string, error) {
	switch {
	case len(pos) == 0:
		return "", nil
	case len(pos) == 1 && (pos[0] == "on" || pos[0] == "off"):
		return pos[0], nil
	}
	return "", usagef("%s takes on or off", name)
}

// parseOnOff parses args with fs for a rule command that takes on, off or
// no argument, and returns it ("" when absent).
func parseOnOff(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := flags(fs, args)
	if err != nil {
		return "", err
	}
	return onOff(pos, fs.Name())
}

func parseChannels(s string) ([]inbox.ChannelKind, error) {
	var out []inbox.ChannelKind
	for _, x := range splitList(s) {
		if x == "all" {
			return nil, nil
		}
		ch, err := inbox.ParseChannel(x)
		if err != nil {
			return nil, usagef("--channels: %s", inbox.Explain(err))
		}
		out = append(out, ch)
	}
	return out, nil
}

func runBusiness(e *env, args []string) error {
	fs := flag.NewFlagSet("business", flag.ContinueOnError)
	name := fs.String("name", "", "the business's name ({business_name})")
	lang := fs.String("lang", "", "language of automatic messages when the customer's is unknown: fr or en")
	own := fs.String("own", "", "the business's own addresses, comma-separated (never answered automatically)")
	fcr := fs.Int("fcr-days", 0, "first-contact-resolution window in days (default 7)")
	asJSON := fs.Bool("json", false, "print JSON")
	_, err := parseArgs(fs, args, 0, "flags only")
	if err != nil {
		return err
	}
	set := setFlags(fs)
	a, err := e.open()
	if err != nil {
		return err
	}
	svc, err := a.desk.Service()
	if len(set) > 0 && !(len(set) == 1 && set["json"]) {
		svc, err = a.desk.UpdateService(func(s *inbox.Service) error {
			if set["name"] {
				s.BusinessName = strings.TrimSpace(*name)
			}
			if set["lang"] {
				s.Lang = *lang
			}
			if set["own"] {
				s.Own = splitList(*own)
			}
			if set["fcr-days"] {
				s.FCRDays = *fcr
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	return printService(e, a.desk, svc, *asJSON)
}

// updateService changes the service settings with edit and shows them
// all.
func updateService(e *env, d *inbox.Desk, edit func(*inbox.Service)) error {
	svc, err := d.UpdateService(func(s *inbox.Service) error {
		edit(s)
		return nil
	})
	if err != nil {
		return err
	}
	return printService(e, d, svc, false)
}

// printService shows every service setting.
func printService(e *env, d *inbox.Desk, svc inbox.Service, asJSON bool) error {
	if asJSON {
		return writeJSON(e.stdout, svc)
	}
	onoff := map[bool]string{true: "on", false: "off"}
	chans := func(l []inbox.ChannelKind) string {
		if len(l) == 0 {
			return "every channel"
		}
		s := make([]string, len(l))
		for i, c := range l {
			s[i] = string(c)
		}
		return strings.Join(s, ", ")
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "business\t%s\n", orDash(svc.BusinessName))
	fmt.Fprintf(tw, "language\t%s\n", svc.Lang)
	fmt.Fprintf(tw, "own addresses\t%s\n", orDash(strings.Join(svc.Own, ", ")))
	when := "outside business hours"
	if svc.Ack.Always {
		when = "always"
	}
	fmt.Fprintf(tw, "auto-ack\t%s (%s, %s, at most one per customer in %d h)\n", onoff[svc.Ack.Enabled], when, chans(svc.Ack.Channels), svc.Ack.EveryHours)
	fmt.Fprintf(tw, "bot\t%s (%s)\n", onoff[svc.Bot.Enabled], chans(svc.Bot.Channels))
	fmt.Fprintf(tw, "survey\t%s (%s, answers read for %d days)\n", onoff[svc.Survey.Enabled], strings.ToUpper(string(svc.Survey.Kind)), svc.Survey.AnswerDays)
	fmt.Fprintf(tw, "fcr window\t%d days\n", svc.FCRDays)
	if _, ok, err := d.Hours(); err == nil && !ok && (svc.Ack.Enabled && !svc.Ack.Always) {
		fmt.Fprintf(tw, "warning\tno business hours set: the acknowledgement never goes (couture hours set)\n")
	}
	return tw.Flush()
}

func runAutoAck(e *env, args []string) error {
	fs := flag.NewFlagSet("auto-ack", flag.ContinueOnError)
	always := fs.Bool("always", false, "acknowledge during business hours too")
	channels := fs.String("channels", "", "channels, comma-separated, or all")
	every := fs.Int("every", 0, "at most one acknowledgement per customer in this many hours (default 24)")
	state, err := parseOnOff(fs, args)
	if err != nil {
		return err
	}
	set := setFlags(fs)
	chs, err := parseChannels(*channels)
	if err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	return updateService(e, a.desk, func(s *inbox.Service) {
		if state != "" {
			s.Ack.Enabled = state == "on"
		}
		if set["always"] {
			s.Ack.Always = *always
		}
		if set["channels"] {
			s.Ack.Channels = chs
		}
		if set["every"] {
			s.Ack.EveryHours = *every
		}
	})
}

func runBot(e *env, args []string) error {
	if len(args) > 0 && (args[0] == "test" || args[0] == "run") {
		return botTestRun(e, args[0], args[1:])
	}
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	channels := fs.String("channels", "", "channels, comma-separated, or all")
	state, err := parseOnOff(fs, args)
	if err != nil {
		return err
	}
	chs, err := parseChannels(*channels)
	if err != nil {
		return err
	}
	set := setFlags(fs)
	a, err := e.openAnswers()
	if err != nil {
		return err
	}
	return updateService(e, a.desk, func(s *inbox.Service) {
		if state != "" {
			s.Bot.Enabled = state == "on"
		}
		if set["channels"] {
			s.Bot.Channels = chs
		}
	})
}

// botTestRun is "bot test TEXT…" (what the bot would decide, nothing sent)
// and "bot run ID" (the bot acts on the customer's newest messages now).
func botTestRun(e *env, sub string, args []string) error {
	fs := flag.NewFlagSet("bot "+sub, flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := flags(fs, args)
	if err != nil {
		return err
	}
	a, err := e.openAnswers()
	if err != nil {
		return err
	}
	if sub == "test" {
		if len(pos) == 0 {
			return usagef("bot test takes the TEXT of a customer's message")
		}
		list, err := a.desk.Answers()
		if err != nil {
			return err
		}
		d := inbox.NewMatcher(list).Decide(strings.Join(pos, " "))
		if *asJSON {
			return writeJSON(e.stdout, d)
		}
		printDecision(e.stdout, d)
		return nil
	}
	if err := exactly("bot run", pos, 1, "one customer ID"); err != nil {
		return err
	}
	id, err := parseCustomerID(pos[0])
	if err != nil {
		return err
	}
	res, err := a.desk.Level1(e.ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	printDecision(e.stdout, res.Decision)
	if res.Reply != 0 {
		fmt.Fprintf(e.stdout, "answer %d queued (couture timeline %d)\n", res.Reply, id)
	}
	return nil
}

func printDecision(w io.Writer, d inbox.Decision) {
	switch d.Outcome {
	case inbox.OutcomeAnswer:
		fmt.Fprintf(w, "answer %s (%s)\n", d.Answer, d.Reason)
	case inbox.OutcomeEscalate:
		fmt.Fprintf(w, "escalate: %s\n", d.Reason)
	default:
		fmt.Fprintf(w, "nothing to do: %s\n", d.Reason)
	}
}

func runSurvey(e *env, args []string) error {
	fs := flag.NewFlagSet("survey", flag.ContinueOnError)
	kind := fs.String("kind", "", "ces (effort, 1-7) or csat (satisfaction, 1-5)")
	days := fs.Int("answer-days", 0, "read replies as answers for this many days (default 7)")
	pos, err := flags(fs, args)
	if err != nil {
		return err
	}
	var k inbox.SurveyKind
	if *kind != "" {
		if k, err = inbox.ParseSurveyKind(*kind); err != nil {
			return usagef("%s", inbox.Explain(err))
		}
	}
	if len(pos) > 0 && pos[0] == "send" {
		if err := exactly("survey send", pos[1:], 1, "one customer ID"); err != nil {
			return err
		}
		id, err := parseCustomerID(pos[1])
		if err != nil {
			return err
		}
		a, err := e.open()
		if err != nil {
			return err
		}
		if k == "" {
			svc, _ := a.desk.Service()
			k = svc.Survey.Kind
		}
		m, err := a.desk.SendSurvey(e.ctx, id, k)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s survey %d queued on %s\n", strings.ToUpper(string(k)), m.ID, m.Channel)
		return nil
	}
	state, err := onOff(pos, "survey")
	if err != nil {
		return err
	}
	set := setFlags(fs)
	a, err := e.open()
	if err != nil {
		return err
	}
	return updateService(e, a.desk, func(s *inbox.Service) {
		if state != "" {
			s.Survey.Enabled = state == "on"
		}
		if k != "" {
			s.Survey.Kind = k
		}
		if set["answer-days"] {
			s.Survey.AnswerDays = *days
		}
	})
}

func runSender(e *env, args []string) error {
	fs := flag.NewFlagSet("sender", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON (list)")
	pos, err := flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("sender takes customer ADDRESS, other ADDRESS, forget ADDRESS or list")
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	switch pos[0] {
	case "list":
		r, err := a.desk.SenderRules()
		if err != nil {
			return err
		}
		if r.Customers == nil {
			r.Customers = []string{}
		}
		if r.Others == nil {
			r.Others = []string{}
		}
		if *asJSON {
			return writeJSON(e.stdout, r)
		}
		for _, s := range r.Customers {
			fmt.Fprintf(e.stdout, "customer  %s\n", s)
		}
		for _, s := range r.Others {
			fmt.Fprintf(e.stdout, "other     %s\n", s)
		}
		return nil
	case "customer", "other", "forget":
		if err := exactly("sender "+pos[0], pos[1:], 1, "one ADDRESS (e-mail, @domain, +phone or kind:address)"); err != nil {
			return err
		}
		if pos[0] == "forget" {
			key, err := a.desk.ForgetSender(pos[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: no rule any more\n", key)
			return nil
		}
		key, err := a.desk.TeachSender(pos[1], pos[0] == "customer")
		if err != nil {
			return err
		}
		what := "a customer"
		if pos[0] == "other" {
			what = "not a customer (Other)"
		}
		fmt.Fprintf(e.stdout, "%s is %s; its stored messages moved too\n", key, what)
		return nil
	}
	return usagef("sender takes customer ADDRESS, other ADDRESS, forget ADDRESS or list")
}

func runReport(e *env, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	days := fs.Int("days", 30, "the last N days, today included")
	asJSON := fs.Bool("json", false, "print JSON (inbox.Report, daily buckets)")
	_, err := parseArgs(fs, args, 0, "no arguments")
	if err != nil {
		return err
	}
	if *days <= 0 || *days > 3660 {
		return usagef("--days must be between 1 and 3660")
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	r, err := a.desk.ReportDays(*days)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, r)
	}
	printReport(e.stdout, &r, *days)
	return nil
}

// duration renders seconds for a person: "42 min", "3.5 h", "2.1 d".
func duration(s *float64) string {
	if s == nil {
		return "-"
	}
	switch d := *s; {
	case d < 60:
		return fmt.Sprintf("%.0f s", d)
	case d < 3600:
		return fmt.Sprintf("%.0f min", d/60)
	case d < 48*3600:
		return fmt.Sprintf("%.1f h", d/3600)
	default:
		return fmt.Sprintf("%.1f d", d/86400)
	}
}

func percent(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f %%", *r*100)
}

func score(avg *float64, n, max int) string {
	if avg == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f / %d (%d)", *avg, max, n)
}

func printReport(w io.Writer, r *inbox.Report, days int) {
	loc, err := time.LoadLocation(r.Zone)
	if err != nil {
		loc = time.UTC
	}
	fmt.Fprintf(w, "Report: %s to %s (%s, %s)\n\n", r.From.In(loc).Format(time.DateOnly), r.To.In(loc).Add(-time.Second).Format(time.DateOnly), plural(days, "day", "days"), r.Zone)
	t := &r.Totals
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "messages\t%d in, %d out\n", t.Inbound, t.Outbound)
	fmt.Fprintf(tw, "first response\tmedian %s, p90 %s (%s)\n", duration(t.FirstResponseMedian), duration(t.FirstResponseP90), plural(t.FirstResponseCount, "story", "stories"))
	fmt.Fprintf(tw, "resolution\tmedian %s, p90 %s (%s)\n", duration(t.ResolutionMedian), duration(t.ResolutionP90), plural(t.ResolutionCount, "story", "stories"))
	fmt.Fprintf(tw, "first-contact resolution\t%s (%d of %d; window %d days)\n", percent(t.FCRRate), t.FCRCount, t.FCREligible, r.FCRDays)
	fmt.Fprintf(tw, "customer effort (CES)\t%s\n", score(t.CESAverage, t.CESCount, 7))
	fmt.Fprintf(tw, "satisfaction (CSAT)\t%s\n", score(t.CSATAverage, t.CSATCount, 5))
	fmt.Fprintf(tw, "automation\t%s, %s, %s, %s sent\n", plural(t.BotAnswers, "bot answer", "bot answers"), plural(t.Escalations, "escalation", "escalations"), plural(t.Acknowledgements, "acknowledgement", "acknowledgements"), plural(t.SurveysSent, "survey", "surveys"))
	tw.Flush()

	fmt.Fprintln(w, "\nBy channel")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "channel\tin\tout\tfirst resp.\tp90\tresolution\tFCR\t")
	for _, ch := range inbox.Channels {
		c := r.ByChannel[ch]
		if c == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", ch, c.Inbound, c.Outbound, duration(c.FirstResponseMedian), duration(c.FirstResponseP90), duration(c.ResolutionMedian), fcrCell(c))
	}
	tw.Flush()

	fmt.Fprintln(w, "\nBy day (messages in)")
	peak := 0
	for _, p := range r.Series {
		peak = max(peak, p.Inbound)
	}
	for _, p := range r.Series {
		fmt.Fprintf(w, "%s %s %3d %s\n", p.Start.In(loc).Format("Mon"), p.Start.In(loc).Format("01-02"), p.Inbound, bar(p.Inbound, peak, 40))
	}

	fmt.Fprintln(w, "\nBy hour of the day (messages in)")
	peak = slices.Max(r.VolumeByHour[:])
	for h, n := range r.VolumeByHour {
		if n == 0 && (h < 6 || h > 22) {
			continue
		}
		fmt.Fprintf(w, "%02d h %3d %s\n", h, n, bar(n, peak, 40))
	}
}

func fcrCell(t *inbox.Totals) string {
	if t.FCREligible == 0 {
		return "-"
	}
	return percent(t.FCRRate) + " of " + strconv.Itoa(t.FCREligible)
}

// bar draws n against peak in at most width characters.
func bar(n, peak, width int) string {
	if peak == 0 || n == 0 {
		return ""
	}
	return strings.Repeat("█", max(1, n*width/peak))
}
