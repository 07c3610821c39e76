package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

// Limits and defaults of the Bot API.
const (
	// DefaultAPI is the Bot API server.
	DefaultAPI = "https://api.telegram.org"
	// MaxText is the longest text sendMessage accepts, in UTF-16 code units
	// (the unit Telegram counts in).
	MaxText = 4096
	// MaxDownload is the largest file a bot may download (getFile).
	MaxDownload = 20 << 20
	// MaxCaption is the longest caption of a photo or a document, in
	// UTF-16 code units ("0-1024 characters after entities parsing").
	MaxCaption = 1024
	// MaxPhoto is the largest image sendPhoto takes; a larger one goes as
	// a document (sendDocument takes up to inbox.MaxTelegramFile).
	MaxPhoto = 10 << 20
	// CursorKey names the account's cursor: the next getUpdates offset, in
	// decimal.
	CursorKey = "updates"
)

// Options tune a Channel; nil or zero fields mean the defaults.
type Options struct {
	// PollTimeout is the getUpdates long-poll timeout (25 s). Telegram
	// answers as soon as an update arrives, so it bounds idle requests only.
	PollTimeout time.Duration
	// RequestTimeout bounds every other request and, added to PollTimeout,
	// a long poll (30 s).
	RequestTimeout time.Duration
	// DownloadTimeout bounds one file download (2 min).
	DownloadTimeout time.Duration
	// UploadTimeout bounds one file upload (5 min: 50 MB at about 1.4
	// Mbit/s).
	UploadTimeout time.Duration
	// HTTPClient makes the requests (a client without timeout of its own:
	// every request carries a context deadline).
	HTTPClient *http.Client
}

// Channel is one Telegram bot. It is safe for concurrent use: the Engine
// runs Sync while the Outbox calls Send.
type Channel struct {
	account channels.Account
	token   string
	base    string
	deps    channels.Deps
	log     *slog.Logger
	http    *http.Client
	opts    Options

	mu  sync.Mutex
	bot string // @username, once known
}

var (
	_ channels.Channel = (*Channel)(nil)
	_ channels.Tester  = (*Channel)(nil)
	_ io.Closer        = (*Channel)(nil)
)

// New returns the channel of a Telegram account with the bot token from
// @BotFather, with default options. It makes no request.
func New(a channels.Account, token string, deps channels.Deps) (*Channel, error) {
	return NewWithOptions(a, token, deps, nil)
}

// Close releases the channel's idle connections; the Engine calls it when
// it stops or rebuilds the account's channel.
func (c *Channel) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// NewWithOptions is New with options; opts may be nil.
func NewWithOptions(a channels.Account, token string, deps channels.Deps, opts *Options) (*Channel, error) {
	if a.Kind != channels.KindTelegram {
		return nil, inbox.Errorf(inbox.Invalid, "account %q is a %s account, not telegram", a.Name, a.Kind)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, inbox.Errorf(inbox.Invalid, "account %q has no bot token: give the token @BotFather sent you", a.Name)
	}
	if strings.ContainsAny(token, "/?#% \t\r\n") {
		return nil, inbox.Errorf(inbox.Invalid, "the bot token of account %q is malformed: it looks like 123456:ABC-DEF…", a.Name)
	}
	base, err := apiURL(a.Settings[channels.SetAPIURL])
	if err != nil {
		return nil, err
	}
	c := &Channel{account: a, token: token, base: base, deps: deps, log: deps.Logger,
		http: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.PollTimeout <= 0 {
		c.opts.PollTimeout = 25 * time.Second
	}
	if c.opts.RequestTimeout <= 0 {
		c.opts.RequestTimeout = 30 * time.Second
	}
	if c.opts.DownloadTimeout <= 0 {
		c.opts.DownloadTimeout = 2 * time.Minute
	}
	if c.opts.UploadTimeout <= 0 {
		c.opts.UploadTimeout = 5 * time.Minute
	}
	if c.opts.HTTPClient != nil {
		c.http = c.opts.HTTPClient
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("account", a.Name, "channel", "telegram")
	if c.deps.Phones == nil {
		c.deps.Phones = inbox.E164{}
	}
	return c, nil
}

// apiURL checks the api_url setting: https, or http on a loopback address
// (a local fake or proxy), since the token travels in every URL.
func apiURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return DefaultAPI, nil
	}
	base, _, err := channels.APIBase(raw, "the bot token")
	return base, err
}

// Sync receives the bot's messages until ctx ends (once=false) or until no
// update is pending (once=true). It returns nil when ctx ends, and an error
// when Telegram refuses the bot (inbox.Auth, inbox.Conflict), asks to wait
// (*channels.RetryAfter) or cannot be reached (inbox.Unavailable).
func (c *Channel) Sync(ctx context.Context, sink channels.Sink, once bool) error {
	err := c.sync(ctx, sink, once)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (c *Channel) sync(ctx context.Context, sink channels.Sink, once bool) error {
	// getUpdates and a webhook exclude each other: remove the webhook first
	// (https://core.telegram.org/bots/api#getting-updates). Pending updates
	// are kept.
	if err := c.call(ctx, "deleteWebhook", map[string]any{"drop_pending_updates": false}, nil, c.opts.RequestTimeout); err != nil {
		return err
	}
	if err := c.whoAmI(ctx); err != nil {
		return err
	}
	raw, err := sink.Cursor(CursorKey)
	if err != nil {
		return fmt.Errorf("read Telegram cursor: %w", err)
	}
	offset, err := parseCursor(raw)
	if err != nil {
		c.log.Warn("telegram cursor unreadable; starting from the oldest pending update", "err", err)
	}
	done := 0
	for {
		// Telegram counts the long-poll timeout in whole seconds; 0 is a
		// short poll, for a catch-up sync only.
		timeout := max(c.opts.PollTimeout.Truncate(time.Second), time.Second)
		if once {
			timeout = 0
		}
		params := map[string]any{
			"limit":           100,
			"timeout":         int(timeout / time.Second),
			"allowed_updates": []string{"message"},
		}
		if offset != 0 {
			params["offset"] = offset
		}
		var result json.RawMessage
		if err := c.call(ctx, "getUpdates", params, &result, timeout+c.opts.RequestTimeout); err != nil {
			return err
		}
		ups, bad, err := decodeUpdates(result)
		if err != nil {
			return inbox.Wrap(inbox.Unavailable, err, "Telegram answered getUpdates with an unexpected result")
		}
		for _, b := range bad {
			c.log.Warn("telegram update skipped: it does not decode", "err", b)
		}
		if len(ups) == 0 {
			if once {
				return nil
			}
			continue
		}
		batch := inbox.Batch{Account: c.account.Name, CursorKey: CursorKey}
		next := offset
		for _, u := range ups {
			if u.UpdateID+1 > next {
				next = u.UpdateID + 1
			}
			in, ok, err := incoming(ctx, u, c.account.Name, c.botName(), c.deps.Phones, c)
			if err != nil {
				return err
			}
			if ok {
				batch.Messages = append(batch.Messages, in)
			}
		}
		batch.Cursor = []byte(strconv.FormatInt(next, 10))
		// The cursor is saved with the messages; only the next getUpdates,
		// with the new offset, confirms the updates to Telegram.
		if _, err := sink.Commit(ctx, batch); err != nil {
			return fmt.Errorf("commit Telegram updates up to %d: %w", next-1, err)
		}
		offset = next
		done += len(batch.Messages)
		sink.Progress(channels.Progress{Account: c.account.Name, Folder: CursorKey, Done: done, Total: done})
	}
}

func parseCursor(raw []byte) (int64, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("telegram cursor %q is not an offset", s)
	}
	return n, nil
}

// whoAmI learns the bot's @username once, for the To of inbound messages.
func (c *Channel) whoAmI(ctx context.Context) error {
	if c.botName() != "" {
		return nil
	}
	var me user
	if err := c.call(ctx, "getMe", struct{}{}, &me, c.opts.RequestTimeout); err != nil {
		return err
	}
	c.mu.Lock()
	if me.Username != "" {
		c.bot = "@" + me.Username
	} else {
		c.bot = strconv.FormatInt(me.ID, 10)
	}
	c.mu.Unlock()
	return nil
}

func (c *Channel) botName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bot
}

// fetch implements fetcher: getFile, then the download into Deps.Blobs.
func (c *Channel) fetch(ctx context.Context, f fileRef) (inbox.Attachment, string, error) {
	if c.deps.Blobs == nil {
		return inbox.Attachment{}, f.name + " was not downloaded: no attachment store", nil
	}
	if f.size > MaxDownload {
		return inbox.Attachment{}, tooBig(f), nil
	}
	var info struct {
		FileID   string `json:"file_id"`
		FileSize int64  `json:"file_size"`
		FilePath string `json:"file_path"`
	}
	if err := c.call(ctx, "getFile", map[string]any{"file_id": f.id}, &info, c.opts.RequestTimeout); err != nil {
		if inbox.ErrorCode(err) == inbox.Invalid { // file is too big, invalid file_id: for good
			if strings.Contains(err.Error(), "too big") {
				return inbox.Attachment{}, tooBig(f), nil
			}
			return inbox.Attachment{}, f.name + " could not be downloaded: " + inbox.Explain(err), nil
		}
		return inbox.Attachment{}, "", err
	}
	if info.FileSize > MaxDownload {
		return inbox.Attachment{}, tooBig(f), nil
	}
	if info.FilePath == "" {
		return inbox.Attachment{}, f.name + " could not be downloaded: Telegram gave no file path", nil
	}
	dctx, cancel := context.WithTimeout(ctx, c.opts.DownloadTimeout)
	defer cancel()
	u := c.base + "/file/bot" + c.token + "/" + (&url.URL{Path: info.FilePath}).EscapedPath()
	req, err := http.NewRequestWithContext(dctx, http.MethodGet, u, nil)
	if err != nil {
		return inbox.Attachment{}, f.name + " could not be downloaded: bad file path", nil
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return inbox.Attachment{}, "", ctx.Err()
		}
		return inbox.Attachment{}, "", inbox.Wrap(inbox.Unavailable, fmt.Errorf("telegram download %s: %w", f.id, c.redact(err)),
			"cannot download a Telegram file; Couture will try again")
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return inbox.Attachment{}, "", inbox.Errorf(inbox.Unavailable, "Telegram could not serve a file (%d); Couture will try again", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return inbox.Attachment{}, fmt.Sprintf("%s could not be downloaded (Telegram answered %d)", f.name, resp.StatusCode), nil
	}
	lr := &inbox.Capped{R: resp.Body, Left: MaxDownload}
	key, size, err := c.deps.Blobs.Put(lr)
	if err != nil {
		if lr.Over {
			return inbox.Attachment{}, tooBig(f), nil
		}
		if ctx.Err() != nil {
			return inbox.Attachment{}, "", ctx.Err()
		}
		return inbox.Attachment{}, "", fmt.Errorf("store Telegram file %s: %w", f.id, c.redact(err))
	}
	return inbox.Attachment{Name: f.name, Type: f.typ, Size: size, Blob: key}, "", nil
}

func tooBig(f fileRef) string {
	size := ""
	if f.size > 0 {
		size = fmt.Sprintf(" (%.1f MB)", float64(f.size)/(1<<20))
	}
	return fmt.Sprintf("%s%s is larger than the 20 MB Telegram lets bots download; open it in Telegram", f.name, size)
}

// Send posts m.Text to the customer's private chat (chat_id = their user
// id, from m.Party or m.To), then each of m.Attachments as a file of its own
// (sendFile: sendPhoto or sendDocument, uploaded as multipart/form-data).
// A single file with a text that fits a caption (MaxCaption) goes as one
// message, the text as its caption. It returns the receipt of the first
// message, ExternalID "<chat_id>/<message_id>", State sent.
//
// Checked before any request, as inbox.Invalid: a text over MaxText, an
// answer with neither text nor file, a party that is not a Telegram user,
// files over inbox.MaxTelegramFile or missing from the blob store. Send is
// not idempotent (see the package doc): when the request left but no
// answer came back (a dropped connection, a timeout, a 5xx), the error is
// *channels.Uncertain; so is any failure once a first part of the answer
// has arrived, since sending it again would repeat that part.
func (c *Channel) Send(ctx context.Context, m inbox.Message) (channels.Receipt, error) {
	to := m.To
	if m.Party.Kind == inbox.KindTelegram {
		to = m.Party.Address
	} else if m.Party.Kind != "" {
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "a Telegram message goes to a Telegram user, not to %s", m.Party)
	}
	chatID, err := strconv.ParseInt(strings.TrimSpace(to), 10, 64)
	if err != nil || chatID <= 0 {
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "%q is not a Telegram user id", to)
	}
	text := m.Text
	if strings.TrimSpace(text) == "" {
		if len(m.Attachments) == 0 {
			return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "the answer is empty")
		}
		text = ""
	}
	if n := TextLength(text); n > MaxText {
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid,
			"the answer has %d characters; Telegram allows %d in one message: shorten it or split it", n, MaxText)
	}
	if err := inbox.CheckAttachments(inbox.ChannelTelegram, m.Attachments); err != nil {
		return channels.Receipt{}, err
	}
	if len(m.Attachments) > 0 && c.deps.Blobs == nil {
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "account %s has no attachment store: the answer's files cannot be read", c.account.Name)
	}
	caption := ""
	if len(m.Attachments) == 1 && text != "" && TextLength(text) <= MaxCaption {
		caption, text = text, ""
	}
	var (
		first botMessage
		done  int // parts that arrived
		parts = len(m.Attachments)
	)
	if text != "" {
		parts++
	}
	partial := func(err error) error {
		if done == 0 {
			return err
		}
		return &channels.Uncertain{Err: inbox.Wrap(inbox.ErrorCode(err), err, fmt.Sprintf(
			"%d of the %d parts of the answer reached Telegram, then: %s", done, parts, inbox.Explain(err)))}
	}
	if text != "" {
		if err := c.invoke(ctx, "sendMessage", map[string]any{"chat_id": chatID, "text": text}, &first, c.opts.RequestTimeout, true); err != nil {
			return channels.Receipt{}, err
		}
		done++
	}
	for _, a := range m.Attachments {
		sent, err := c.sendFile(ctx, chatID, a, caption)
		if err != nil {
			return channels.Receipt{}, partial(err)
		}
		if done == 0 {
			first = sent
		}
		done++
	}
	if first.Chat.ID == 0 {
		first.Chat.ID = chatID
	}
	r := channels.Receipt{
		ExternalID: strconv.FormatInt(first.Chat.ID, 10) + "/" + strconv.FormatInt(first.MessageID, 10),
		State:      inbox.StateSent,
		SentAt:     time.Now().UTC(),
	}
	if first.Date > 0 {
		r.SentAt = time.Unix(first.Date, 0).UTC()
	}
	return r, nil
}

// botMessage is what Telegram answers a send with (Bot API "Message"; the
// fields Couture reads).
type botMessage struct {
	MessageID int64 `json:"message_id"`
	Date      int64 `json:"date"`
	Chat      chat  `json:"chat"`
}

// TextLength counts text the way Telegram limits it: in UTF-16 code units.
func TextLength(text string) int { return len(utf16.Encode([]rune(text))) }

// Test checks the token (getMe) and whether a webhook would take the
// updates away; each line of the report says what it found.
func (c *Channel) Test(ctx context.Context) ([]string, error) {
	var me user
	if err := c.call(ctx, "getMe", struct{}{}, &me, c.opts.RequestTimeout); err != nil {
		return []string{"bot token: " + inbox.Explain(err)}, err
	}
	lines := []string{fmt.Sprintf("bot token accepted: @%s (%s, id %d)", me.Username, displayName(&me), me.ID)}
	var hook struct {
		URL     string `json:"url"`
		Pending int    `json:"pending_update_count"`
	}
	if err := c.call(ctx, "getWebhookInfo", struct{}{}, &hook, c.opts.RequestTimeout); err != nil {
		return append(lines, "webhook: "+inbox.Explain(err)), err
	}
	if hook.URL != "" {
		lines = append(lines, fmt.Sprintf("a webhook is set (%s): sync will remove it to receive messages by polling", hook.URL))
	} else {
		lines = append(lines, fmt.Sprintf("no webhook: messages are received by polling (%d pending)", hook.Pending))
	}
	return lines, nil
}
