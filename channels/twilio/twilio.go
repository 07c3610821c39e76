package twilio

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

// Defaults and limits.
const (
	// DefaultAPI is Twilio's REST API.
	DefaultAPI = "https://api.twilio.com"
	// MaxBody is the longest body Twilio accepts, in characters (UTF-16
	// code units, as SMS counts them).
	MaxBody = 1600
	// MaxMedia is the largest media file downloaded; bigger ones stay at
	// Twilio with a warning on the message.
	MaxMedia = 25 << 20
	// CursorKey names the account's cursor.
	CursorKey = "messages"
	// SetPollInterval is the optional account setting overriding the
	// polling interval (a Go duration, "10s").
	SetPollInterval = "poll_interval"
)

var (
	accountSID = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	apiKeySID  = regexp.MustCompile(`^SK[0-9a-fA-F]{32}$`)
	messageSID = regexp.MustCompile(`^(SM|MM)[0-9a-fA-F]{32}$`)
)

// Options tune a Channel; nil or zero fields mean the defaults.
type Options struct {
	// PollInterval is the time between two polls of Sync (10 s, or the
	// account's poll_interval setting).
	PollInterval time.Duration
	// PageSize is the PageSize of list requests (100, at most 1000).
	PageSize int
	// Backfill is how many days of history the first sync reads (30).
	Backfill int
	// BatchSize is how many messages one Commit carries (100).
	BatchSize int
	// RequestTimeout bounds one API request (30 s); DownloadTimeout one
	// media download (2 min).
	RequestTimeout, DownloadTimeout time.Duration
	// HTTPClient makes the requests.
	HTTPClient *http.Client
	// Now is the clock (time.Now).
	Now func() time.Time
}

// Channel is one Twilio account: its SMS number and optional WhatsApp
// sender. It is safe for concurrent use.
type Channel struct {
	account  channels.Account
	sid      string // Account SID, in every path
	user     string // Basic-auth user: the Account SID or an API key SID
	secret   string // auth token or API key secret
	from     string // SMS number, E.164
	whatsapp string // WhatsApp sender, E.164, or ""
	template string // Content SID offered outside the WhatsApp window
	base     string
	host     string
	deps     channels.Deps
	log      *slog.Logger
	http     *http.Client
	opts     Options
}

var (
	_ channels.Channel = (*Channel)(nil)
	_ channels.Tester  = (*Channel)(nil)
	_ io.Closer        = (*Channel)(nil)
)

// New returns the channel of a Twilio account. authToken is the account's
// auth token, or the API key's secret when the api_key setting names a key.
// It checks the settings and makes no request.
func New(a channels.Account, authToken string, deps channels.Deps) (*Channel, error) {
	return NewWithOptions(a, authToken, deps, nil)
}

// Close releases the channel's idle connections; the Engine calls it when
// it stops or rebuilds the account's channel.
func (c *Channel) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// NewWithOptions is New with options; opts may be nil.
func NewWithOptions(a channels.Account, authToken string, deps channels.Deps, opts *Options) (*Channel, error) {
	if a.Kind != channels.KindTwilio {
		return nil, inbox.Errorf(inbox.Invalid, "account %q is a %s account, not twilio", a.Name, a.Kind)
	}
	set := func(k string) string { return strings.TrimSpace(a.Settings[k]) }
	c := &Channel{account: a, sid: set(channels.SetAccountSID), secret: strings.TrimSpace(authToken),
		template: set(channels.SetWhatsAppTemplate), deps: deps, log: deps.Logger,
		http: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	if !accountSID.MatchString(c.sid) {
		return nil, inbox.Errorf(inbox.Invalid, "the Account SID %q of account %q should be AC followed by 32 hexadecimal digits", c.sid, a.Name)
	}
	c.user = c.sid
	if key := set(channels.SetAPIKey); key != "" {
		if !apiKeySID.MatchString(key) {
			return nil, inbox.Errorf(inbox.Invalid, "the API key %q of account %q should be SK followed by 32 hexadecimal digits", key, a.Name)
		}
		c.user = key
	}
	if c.secret == "" {
		return nil, inbox.Errorf(inbox.Invalid, "account %q has no auth token (or API key secret)", a.Name)
	}
	if c.deps.Phones == nil {
		c.deps.Phones = inbox.E164{}
	}
	from, err := c.deps.Phones.NormalizePhone(set(channels.SetFrom))
	if err != nil {
		return nil, inbox.Wrap(inbox.Invalid, err, fmt.Sprintf("the SMS number of account %q: %s", a.Name, inbox.Explain(err)))
	}
	c.from = from
	if wa := set(channels.SetWhatsAppFrom); wa != "" {
		if c.whatsapp, err = c.deps.Phones.NormalizePhone(wa); err != nil {
			return nil, inbox.Wrap(inbox.Invalid, err, fmt.Sprintf("the WhatsApp number of account %q: %s", a.Name, inbox.Explain(err)))
		}
	}
	if c.base, c.host, err = apiURL(set(channels.SetAPIURL)); err != nil {
		return nil, err
	}
	if opts != nil {
		c.opts = *opts
	}
	if v := set(SetPollInterval); v != "" && c.opts.PollInterval == 0 {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, inbox.Errorf(inbox.Invalid, "poll_interval %q of account %q is not a duration like 10s", v, a.Name)
		}
		c.opts.PollInterval = d
	}
	c.opts.PollInterval = cmp.Or(c.opts.PollInterval, 10*time.Second)
	c.opts.PageSize = min(cmp.Or(c.opts.PageSize, 100), 1000)
	c.opts.Backfill = cmp.Or(c.opts.Backfill, 30)
	c.opts.BatchSize = cmp.Or(c.opts.BatchSize, 100)
	c.opts.RequestTimeout = cmp.Or(c.opts.RequestTimeout, 30*time.Second)
	c.opts.DownloadTimeout = cmp.Or(c.opts.DownloadTimeout, 2*time.Minute)
	if c.opts.Now == nil {
		c.opts.Now = time.Now
	}
	if c.opts.HTTPClient != nil {
		c.http = c.opts.HTTPClient
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("account", a.Name, "channel", "twilio")
	return c, nil
}

// apiURL checks the api_url setting: https, or http on a loopback address,
// since the credentials travel with every request.
func apiURL(raw string) (base, host string, err error) {
	if raw == "" {
		raw = DefaultAPI
	}
	return channels.APIBase(raw, "the credentials")
}

func (c *Channel) path(rest string) string { return "/2010-04-01/Accounts/" + c.sid + rest }

// inboxes are the To addresses Sync lists: the SMS number, and the
// WhatsApp sender.
func (c *Channel) inboxes() []string {
	if c.whatsapp == "" {
		return []string{c.from}
	}
	return []string{c.from, "whatsapp:" + c.whatsapp}
}

// cursor is the account's sync position.
type cursor struct {
	// From is the first day (GMT, YYYY-MM-DD) not known complete.
	From string `json:"from"`
	// Seen maps the SIDs committed since From to their day.
	Seen map[string]string `json:"seen"`
	// Newest is the latest date_sent committed.
	Newest time.Time `json:"newest,omitzero"`
}

// Polling between full sweeps reads the newest messages only: Twilio lists
// newest first, so paging stops once a page reaches overlap before the
// newest message committed. A full sweep of yesterday and today runs when
// Sync starts and every fullSweep, for messages that show up late.
const (
	overlap   = 15 * time.Minute
	fullSweep = 10 * time.Minute
)

const day = "2006-01-02"

func (c *Channel) loadCursor(sink channels.Sink) (cursor, error) {
	raw, err := sink.Cursor(CursorKey)
	if err != nil {
		return cursor{}, fmt.Errorf("read Twilio cursor: %w", err)
	}
	var cur cursor
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &cur); err != nil {
			c.log.Warn("twilio cursor unreadable; reading the backfill period again", "err", err)
			cur = cursor{}
		}
	}
	if _, err := time.Parse(day, cur.From); err != nil {
		cur.From = ""
	}
	if cur.Seen == nil {
		cur.Seen = map[string]string{}
	}
	return cur, nil
}

// advance moves From to d and forgets the SIDs of earlier days.
func (cur *cursor) advance(d time.Time) {
	cur.From = d.Format(day)
	maps.DeleteFunc(cur.Seen, func(_, v string) bool { return v < cur.From })
}

func (cur *cursor) bytes() []byte {
	b, _ := json.Marshal(cur)
	return b
}

// Sync polls for inbound messages every PollInterval until ctx ends
// (once=false), or polls once (once=true). It returns nil when ctx ends, and
// an error when Twilio refuses the credentials (inbox.Auth), asks to wait
// (*channels.RetryAfter) or cannot be reached (inbox.Unavailable).
func (c *Channel) Sync(ctx context.Context, sink channels.Sink, once bool) error {
	var lastFull time.Time
	for {
		start := time.Now()
		full := lastFull.IsZero() || start.Sub(lastFull) >= fullSweep
		err := c.poll(ctx, sink, full)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil || once {
			return err
		}
		if full {
			lastFull = start
		}
		t := time.NewTimer(c.opts.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// poll reads every day not known complete, then yesterday and today: all
// of them (full), or the newest messages only.
func (c *Channel) poll(ctx context.Context, sink channels.Sink, full bool) error {
	cur, err := c.loadCursor(sink)
	if err != nil {
		return err
	}
	now := c.opts.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	yesterday := today.AddDate(0, 0, -1)
	from := today.AddDate(0, 0, -c.opts.Backfill)
	if cur.From != "" {
		from, _ = time.Parse(day, cur.From)
	}
	if from.After(yesterday) {
		from = yesterday
	}
	// Past days one at a time: once a day is read, it is complete. The
	// status bar shows the days done.
	days := int(yesterday.Sub(from).Hours()/24) + 1
	for d, i := from, 0; d.Before(yesterday); d, i = d.AddDate(0, 0, 1), i+1 {
		sink.Progress(channels.Progress{Account: c.account.Name, Folder: CursorKey, Done: i, Total: days})
		if err := c.pollDays(ctx, sink, &cur, "DateSent", d, time.Time{}); err != nil {
			return err
		}
		cur.advance(d.AddDate(0, 0, 1))
		if err := c.commit(ctx, sink, &cur, nil); err != nil {
			return err
		}
	}
	// Yesterday and today: messages keep arriving.
	var stop time.Time
	if !full && !cur.Newest.IsZero() {
		stop = cur.Newest.Add(-overlap)
	}
	if err := c.pollDays(ctx, sink, &cur, "DateSent>", yesterday, stop); err != nil {
		return err
	}
	if cur.From != yesterday.Format(day) {
		cur.advance(yesterday)
		if err := c.commit(ctx, sink, &cur, nil); err != nil {
			return err
		}
	}
	sink.Progress(channels.Progress{Account: c.account.Name, Folder: CursorKey, Done: days, Total: days})
	return nil
}

// pollDays lists the inbound messages of the day d (filter "DateSent") or
// from d on ("DateSent>"), and commits the new ones in batches, oldest
// first. With a non-zero stop, paging ends after the first page that
// reaches messages sent before stop.
func (c *Channel) pollDays(ctx context.Context, sink channels.Sink, cur *cursor, filter string, d, stop time.Time) error {
	var fresh []apiMessage
	seen := map[string]bool{}
	for _, to := range c.inboxes() {
		q := url.Values{"To": {to}, filter: {d.Format(day)}, "PageSize": {fmt.Sprint(c.opts.PageSize)}}
		uri := c.path("/Messages.json") + "?" + q.Encode()
		for pages := 0; uri != ""; pages++ {
			if pages > 100000 {
				return inbox.Errorf(inbox.Unavailable, "Twilio's message list does not end; Couture will try again")
			}
			var page messagePage
			if err := c.get(ctx, uri, &page); err != nil {
				return err
			}
			older := false
			for _, raw := range page.Messages {
				m, err := decodeMessage(raw)
				if err != nil {
					c.log.Warn("twilio message skipped: it does not decode", "err", err)
					continue
				}
				if t := m.sentAt(); !stop.IsZero() && !t.IsZero() && t.Before(stop) {
					older = true
				}
				if !m.inbound() || cur.Seen[m.SID] != "" || seen[m.SID] {
					continue
				}
				seen[m.SID] = true
				fresh = append(fresh, m)
			}
			uri = page.NextPageURI
			if older {
				break
			}
		}
	}
	slices.SortStableFunc(fresh, func(a, b apiMessage) int {
		if c := a.sentAt().Compare(b.sentAt()); c != 0 {
			return c
		}
		return strings.Compare(a.SID, b.SID)
	})
	for len(fresh) > 0 {
		n := min(len(fresh), c.opts.BatchSize)
		var batch []inbox.Incoming
		for _, m := range fresh[:n] {
			in, ok, err := incoming(ctx, m, c.account.Name, c.deps.Phones, c)
			if err != nil {
				return err
			}
			if ok {
				batch = append(batch, in)
			}
			d := m.sentAt()
			if d.IsZero() {
				d = c.opts.Now().UTC()
			}
			cur.Seen[m.SID] = d.Format(day)
			if d.After(cur.Newest) {
				cur.Newest = d
			}
		}
		if err := c.commit(ctx, sink, cur, batch); err != nil {
			return err
		}
		fresh = fresh[n:]
	}
	return nil
}

func (c *Channel) commit(ctx context.Context, sink channels.Sink, cur *cursor, msgs []inbox.Incoming) error {
	b := inbox.Batch{Account: c.account.Name, Messages: msgs, CursorKey: CursorKey, Cursor: cur.bytes()}
	if _, err := sink.Commit(ctx, b); err != nil {
		return fmt.Errorf("commit Twilio messages: %w", err)
	}
	return nil
}

// media implements mediaSource: list the Media subresource, download each
// file (Twilio redirects to its CDN) into Deps.Blobs.
func (c *Channel) media(ctx context.Context, m *apiMessage) ([]inbox.Attachment, []string, error) {
	if c.deps.Blobs == nil {
		return nil, []string{fmt.Sprintf("%d media not downloaded: no attachment store", m.NumMedia)}, nil
	}
	uri := m.SubresourceURIs["media"]
	if uri == "" {
		uri = c.path("/Messages/" + m.SID + "/Media.json")
	}
	var atts []inbox.Attachment
	var warns []string
	for pages := 0; uri != "" && pages < 100; pages++ {
		var page mediaPage
		if err := c.get(ctx, uri, &page); err != nil {
			if inbox.ErrorCode(err) == inbox.NotFound {
				return atts, append(warns, "the media were deleted at Twilio"), nil
			}
			return nil, nil, err
		}
		for _, md := range page.MediaList {
			a, warn, err := c.download(ctx, md)
			if err != nil {
				return nil, nil, err
			}
			if warn != "" {
				warns = append(warns, warn)
				continue
			}
			atts = append(atts, a)
		}
		uri = page.NextPageURI
	}
	return atts, warns, nil
}

// download fetches one media file: its content is at the resource URI
// without ".json".
func (c *Channel) download(ctx context.Context, md apiMedia) (inbox.Attachment, string, error) {
	name := md.SID + extension(md.ContentType)
	if md.URI == "" {
		return inbox.Attachment{}, name + " has no address at Twilio", nil
	}
	uri := strings.TrimSuffix(md.URI, ".json")
	u, err := c.resolve(uri)
	if err != nil {
		return inbox.Attachment{}, name + ": " + inbox.Explain(err), nil
	}
	dctx, cancel := context.WithTimeout(ctx, c.opts.DownloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(dctx, http.MethodGet, u, nil)
	if err != nil {
		return inbox.Attachment{}, name + " has a bad address", nil
	}
	req.SetBasicAuth(c.user, c.secret) // required when the account enforces media auth
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return inbox.Attachment{}, "", ctx.Err()
		}
		return inbox.Attachment{}, "", inbox.Wrap(inbox.Unavailable, fmt.Errorf("twilio media %s: %w", md.SID, unwrapURL(err)),
			"cannot download a Twilio media file; Couture will try again")
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return inbox.Attachment{}, "", classify("media "+md.SID, resp.StatusCode, resp.Header, apiError{})
	case resp.StatusCode != http.StatusOK:
		return inbox.Attachment{}, fmt.Sprintf("%s could not be downloaded (Twilio answered %d)", name, resp.StatusCode), nil
	}
	if resp.ContentLength > MaxMedia {
		return inbox.Attachment{}, tooBig(name, resp.ContentLength), nil
	}
	lr := &inbox.Capped{R: resp.Body, Left: MaxMedia}
	key, size, err := c.deps.Blobs.Put(lr)
	if err != nil {
		if lr.Over {
			return inbox.Attachment{}, tooBig(name, 0), nil
		}
		if ctx.Err() != nil {
			return inbox.Attachment{}, "", ctx.Err()
		}
		return inbox.Attachment{}, "", fmt.Errorf("store Twilio media %s: %w", md.SID, err)
	}
	typ := md.ContentType
	if typ == "" {
		typ = resp.Header.Get("Content-Type")
	}
	return inbox.Attachment{Name: name, Type: typ, Size: size, Blob: key}, "", nil
}

func tooBig(name string, size int64) string {
	s := ""
	if size > 0 {
		s = fmt.Sprintf(" (%.1f MB)", float64(size)/(1<<20))
	}
	return fmt.Sprintf("%s%s is larger than the %d MB Couture downloads; open it in the Twilio console", name, s, MaxMedia>>20)
}

// BodyLength counts a body the way Twilio limits it: in UTF-16 code units.
func BodyLength(body string) int { return len(utf16.Encode([]rune(body))) }

// Send creates the message m on m.Channel (sms or whatsapp) to the
// customer's number (m.Party, else m.To) and returns Receipt{ExternalID:
// SID, State: sent}, or delivered when Twilio already says so. An empty or
// too long body, a channel this account lacks, and a WhatsApp freeform
// message outside the 24-hour window are inbox.Invalid before any create.
// Send is not idempotent (see the package doc): when the create left but
// no answer came back (a dropped connection, a timeout, a 5xx), the error
// is *channels.Uncertain.
//
// An answer with attachments is refused (inbox.Invalid,
// inbox.TwilioAttachmentRefusal): Twilio takes media only as a MediaUrl it
// downloads itself, and a desktop app has no public URL to give it.
func (c *Channel) Send(ctx context.Context, m inbox.Message) (channels.Receipt, error) {
	if len(m.Attachments) > 0 {
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "%s", inbox.TwilioAttachmentRefusal)
	}
	to := m.To
	if m.Party.Kind == inbox.KindPhone {
		to = m.Party.Address
	} else if m.Party.Kind != "" {
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "an SMS or WhatsApp message goes to a phone number, not to %s", m.Party)
	}
	number, err := c.deps.Phones.NormalizePhone(to)
	if err != nil {
		return channels.Receipt{}, err
	}
	if strings.TrimSpace(m.Text) == "" {
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "the answer is empty")
	}
	if n := BodyLength(m.Text); n > MaxBody {
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid,
			"the answer has %d characters; Twilio sends at most %d in one message: shorten it", n, MaxBody)
	}
	form := url.Values{"Body": {m.Text}}
	switch m.Channel {
	case inbox.ChannelSMS:
		form.Set("To", number)
		form.Set("From", c.from)
	case inbox.ChannelWhatsApp:
		if c.whatsapp == "" {
			return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "account %q has no WhatsApp sender: answer by SMS, or add whatsapp_from", c.account.Name)
		}
		open, err := c.windowOpen(ctx, number)
		if err != nil {
			return channels.Receipt{}, err
		}
		if !open {
			return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "%s", c.windowMessage())
		}
		form.Set("To", "whatsapp:"+number)
		form.Set("From", "whatsapp:"+c.whatsapp)
	default:
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "a Twilio account sends sms or whatsapp, not %q", m.Channel)
	}
	var created apiMessage
	if err := c.post(ctx, c.path("/Messages.json"), form, &created); err != nil {
		if inbox.ErrorCode(err) == inbox.Invalid && strings.Contains(err.Error(), "63016") {
			return channels.Receipt{}, inbox.Wrap(inbox.Invalid, err, c.windowMessage()+" (Twilio error 63016)")
		}
		return channels.Receipt{}, err
	}
	if !messageSID.MatchString(created.SID) {
		return channels.Receipt{}, inbox.Errorf(inbox.Unavailable, "Twilio accepted the message without a valid SID (%q); it may or may not leave", created.SID)
	}
	d := delivery(created, c.template)
	if d.State == inbox.StateFailed {
		return channels.Receipt{ExternalID: created.SID}, inbox.Errorf(inbox.Invalid, "%s", d.Error)
	}
	sentAt := cmp.Or(parseDate(created.DateSent), parseDate(created.DateCreated))
	if sentAt.IsZero() {
		sentAt = c.opts.Now().UTC()
	}
	return channels.Receipt{ExternalID: created.SID, State: d.State, SentAt: sentAt}, nil
}

func (c *Channel) windowMessage() string {
	if c.template != "" {
		return WindowMessage + " (the template configured for this account is " + c.template + ")"
	}
	return WindowMessage
}

// windowOpen reports whether the customer wrote on WhatsApp in the last 24
// hours: Twilio lists their messages to our sender, newest first.
func (c *Channel) windowOpen(ctx context.Context, number string) (bool, error) {
	now := c.opts.Now().UTC()
	q := url.Values{
		"From":      {"whatsapp:" + number},
		"To":        {"whatsapp:" + c.whatsapp},
		"DateSent>": {now.Add(-24 * time.Hour).Format(day)},
		"PageSize":  {"20"},
	}
	var page messagePage
	if err := c.get(ctx, c.path("/Messages.json")+"?"+q.Encode(), &page); err != nil {
		return false, err
	}
	for _, raw := range page.Messages {
		m, err := decodeMessage(raw)
		if err != nil || m.Direction != "inbound" {
			continue
		}
		if t := m.sentAt(); !t.IsZero() && now.Sub(t) < 24*time.Hour {
			return true, nil
		}
	}
	return false, nil
}

// Delivery is what Twilio says about one of our outbound messages.
type Delivery struct {
	// State is sent (Twilio's accepted, queued, sending, sent), delivered
	// (delivered, read) or failed (failed, undelivered, canceled).
	State inbox.State
	// Status is Twilio's own status word.
	Status string
	// Code is Twilio's error code of a failed message, 0 otherwise.
	Code int
	// Error says, for a person, why the message failed.
	Error string
}

func delivery(m apiMessage, template string) Delivery {
	d := Delivery{Status: m.Status, Code: int(m.ErrorCode)}
	switch m.Status {
	case "delivered", "read", "partially_delivered":
		d.State = inbox.StateDelivered
	case "failed", "undelivered", "canceled":
		d.State = inbox.StateFailed
		switch {
		case d.Code == codeOutsideWindow:
			d.Error = WindowMessage + " (Twilio error 63016)"
			if template != "" {
				d.Error += "; the template configured for this account is " + template
			}
		case d.Code != 0:
			d.Error = fmt.Sprintf("Twilio could not deliver the message (%s, error %d): %s", m.Status, d.Code, orDefault(m.ErrorMessage, "see https://www.twilio.com/docs/api/errors"))
		default:
			d.Error = "Twilio could not deliver the message (" + m.Status + ")"
		}
	default:
		d.State = inbox.StateSent
	}
	return d
}

// Statuses fetches the delivery state (sent, delivered or failed) of our
// outbound messages by SID, for the Outbox to record: a desktop app
// receives no StatusCallback. Deliveries says more (why a message failed).
func (c *Channel) Statuses(ctx context.Context, sids []string) (map[string]inbox.State, error) {
	ds, err := c.Deliveries(ctx, sids)
	out := make(map[string]inbox.State, len(ds))
	for sid, d := range ds {
		out[sid] = d.State
	}
	return out, err
}

// Deliveries fetches what Twilio says about our outbound messages by SID.
// SIDs Twilio does not know are left out of the map. On a rate limit it
// returns what it has so far with the *channels.RetryAfter.
func (c *Channel) Deliveries(ctx context.Context, sids []string) (map[string]Delivery, error) {
	out := make(map[string]Delivery, len(sids))
	for _, sid := range sids {
		if !messageSID.MatchString(sid) {
			continue
		}
		var m apiMessage
		if err := c.get(ctx, c.path("/Messages/"+sid+".json"), &m); err != nil {
			if inbox.ErrorCode(err) == inbox.NotFound {
				continue
			}
			return out, err
		}
		out[sid] = delivery(m, c.template)
	}
	return out, nil
}

// Test checks the credentials and the numbers: the Account resource (or,
// with an API key, which may not read it, a one-message list), then the SMS
// number among the account's phone numbers.
func (c *Channel) Test(ctx context.Context) ([]string, error) {
	var lines []string
	if c.user == c.sid {
		var acct struct {
			SID          string `json:"sid"`
			FriendlyName string `json:"friendly_name"`
			Status       string `json:"status"`
			Type         string `json:"type"`
		}
		if err := c.get(ctx, c.path(".json"), &acct); err != nil {
			return []string{"credentials: " + inbox.Explain(err)}, err
		}
		lines = append(lines, fmt.Sprintf("account %s (%s): %s, %s", acct.SID, acct.FriendlyName, acct.Status, acct.Type))
		if acct.Status != "active" {
			err := inbox.Errorf(inbox.Auth, "the Twilio account is %s: it cannot send or receive", acct.Status)
			return append(lines, inbox.Explain(err)), err
		}
	} else {
		var page messagePage
		if err := c.get(ctx, c.path("/Messages.json")+"?PageSize=1", &page); err != nil {
			return []string{"API key: " + inbox.Explain(err)}, err
		}
		lines = append(lines, fmt.Sprintf("API key %s accepted for account %s", c.user, c.sid))
	}
	var nums struct {
		Numbers []struct {
			PhoneNumber  string          `json:"phone_number"`
			Capabilities map[string]bool `json:"capabilities"`
		} `json:"incoming_phone_numbers"`
	}
	q := url.Values{"PhoneNumber": {c.from}}
	if err := c.get(ctx, c.path("/IncomingPhoneNumbers.json")+"?"+q.Encode(), &nums); err != nil {
		return append(lines, "SMS number: "+inbox.Explain(err)), err
	}
	found := false
	for _, n := range nums.Numbers {
		if n.PhoneNumber == c.from {
			found = true
			sms := "can send SMS"
			if caps := n.Capabilities; caps != nil && !caps["sms"] {
				sms = "has no SMS capability"
			}
			lines = append(lines, fmt.Sprintf("SMS number %s belongs to the account and %s", c.from, sms))
		}
	}
	if !found {
		err := inbox.Errorf(inbox.Invalid, "SMS number %s is not a phone number of this Twilio account", c.from)
		return append(lines, inbox.Explain(err)), err
	}
	if c.whatsapp != "" {
		lines = append(lines, fmt.Sprintf("WhatsApp sender whatsapp:%s configured (Twilio's Messages API cannot confirm WhatsApp senders: send yourself a test message)", c.whatsapp))
	}
	return lines, nil
}
