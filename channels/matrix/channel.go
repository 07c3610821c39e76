package matrix

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

// MaxEventBytes is the largest event a homeserver accepts, in bytes of
// canonical JSON, signatures and hashes included (spec: "Size limits").
const MaxEventBytes = 65536

// envelopeBytes is what a homeserver adds around the content of a message
// event (room id, sender, prev_events, auth_events, hashes, signatures):
// the content must leave that room below MaxEventBytes.
const envelopeBytes = 2048

// DefaultMaxAttachment is the size above which an attachment is not
// downloaded (the message keeps its name and a warning).
const DefaultMaxAttachment = 25 << 20

// Channel is one Matrix account: a user on a homeserver whose direct rooms
// are conversations with customers. It implements channels.Channel,
// channels.Tester and channels.Idempotent, and is safe for concurrent use
// (the Engine's Sync and the Outbox's Send run at the same time).
type Channel struct {
	account string
	me      string
	c       *client
	blobs   inbox.Blobs
	log     *slog.Logger

	// MaxAttachment overrides DefaultMaxAttachment when positive. Set it
	// before the first Sync.
	MaxAttachment int64
	// PollTimeout is how long one /sync long poll waits on the server;
	// 30 s when zero.
	PollTimeout time.Duration

	mu    sync.Mutex
	rooms map[string]*room  // joined rooms seen by Sync or Send, by id
	dms   map[string]string // user id → their direct room
	// joined marks rooms joined from an invite whose history Sync has not
	// read yet.
	joined map[string]bool

	// directMu serializes this process's read-modify-writes of m.direct.
	directMu sync.Mutex
}

var _ interface {
	channels.Channel
	channels.Tester
	channels.Idempotent
} = (*Channel)(nil)

// New returns the channel of a Matrix account. The account's settings name
// the homeserver (channels.SetHomeserver, a URL) and the user
// (channels.SetUser, @name:server); password is the account's password. New
// does not touch the network: the first request logs in.
func New(a channels.Account, password string, deps channels.Deps) (*Channel, error) {
	user, err := inbox.NewIdentity(inbox.KindMatrix, a.Settings[channels.SetUser], nil)
	if err != nil {
		return nil, err
	}
	hs := strings.TrimSpace(a.Settings[channels.SetHomeserver])
	if hs == "" {
		_, server, _ := strings.Cut(user.Address, ":")
		hs = "https://" + server
	}
	base, err := url.Parse(hs)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, inbox.Errorf(inbox.Invalid, "Matrix homeserver %q is not an http(s) URL", hs)
	}
	if password == "" {
		return nil, inbox.Errorf(inbox.Invalid, "the Matrix account %s has no password", a.Name)
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("account", a.Name, "channel", "matrix")
	return &Channel{
		account: a.Name,
		me:      user.Address,
		c:       sharedClient(base, user.Address, DeviceID(a.Name), password),
		blobs:   deps.Blobs,
		log:     log,
		rooms:   map[string]*room{},
		dms:     map[string]string{},
		joined:  map[string]bool{},
	}, nil
}

// clients holds one client per homeserver, user and device in this process.
// A login with a device id invalidates the token that device had (spec:
// POST /login, device_id), so two Channels of one account (the Engine's and
// an `account test`, say) must share the token instead of logging each
// other out. Two processes on one account are excluded by the store's lock.
var clients = struct {
	sync.Mutex
	m map[string]*client
}{m: map[string]*client{}}

func sharedClient(base *url.URL, user, device, password string) *client {
	key := base.String() + "\x00" + user + "\x00" + device
	clients.Lock()
	defer clients.Unlock()
	c := clients.m[key]
	if c == nil {
		c = &client{base: base, user: user, device: device, http: &http.Client{}}
		clients.m[key] = c
	}
	c.mu.Lock()
	if c.password != password {
		c.password, c.token, c.loginErr = password, "", nil
	}
	c.mu.Unlock()
	return c
}

// DeviceID is the fixed device id Couture logs in with for an account: the
// same on every login, so a re-login does not add a device to the user's
// list and the server's transaction-id de-duplication stays per device.
func DeviceID(account string) string {
	sum := sha256.Sum256([]byte(account))
	return "COUTURE" + strings.ToUpper(hex.EncodeToString(sum[:5]))
}

// User returns the account's Matrix user id.
func (ch *Channel) User() string { return ch.me }

// Test logs in and asks the server who the token belongs to
// (spec: GET /_matrix/client/v3/account/whoami).
func (ch *Channel) Test(ctx context.Context) ([]string, error) {
	var report []string
	ch.c.expire(ch.currentToken())
	if _, err := ch.c.accessToken(ctx); err != nil {
		return append(report, "login: "+inbox.Explain(err)), err
	}
	report = append(report, fmt.Sprintf("login to %s as %s: ok (device %s)", ch.c.base.Redacted(), ch.me, ch.c.device))
	var who struct {
		UserID   string `json:"user_id"`
		DeviceID string `json:"device_id"`
	}
	if err := ch.c.do(ctx, http.MethodGet, "/_matrix/client/v3/account/whoami", nil, nil, &who); err != nil {
		return append(report, "whoami: "+inbox.Explain(err)), err
	}
	if who.UserID != ch.me {
		err := inbox.Errorf(inbox.Auth, "the homeserver says the token belongs to %s, not %s", who.UserID, ch.me)
		return append(report, "whoami: "+err.Message), err
	}
	return append(report, "whoami: "+who.UserID), nil
}

func (ch *Channel) currentToken() string {
	ch.c.mu.Lock()
	defer ch.c.mu.Unlock()
	return ch.c.token
}

// TxnID is the transaction id Send uses for m: derived from the Couture
// message id and its queue time, so a resend of the same message reuses it
// (spec: PUT /rooms/{roomId}/send/{eventType}/{txnId}, "Transaction
// identifiers") and two stores never collide.
func TxnID(m inbox.Message) string {
	return "couture-" + strconv.FormatUint(uint64(m.ID), 10) + "-" + strconv.FormatInt(m.SentAt.UnixMilli(), 36)
}

// Send delivers an outbound message to m.Party (a Matrix identity) in the
// direct room shared with them, creating and inviting when there is none.
// Text is sent as body, and rendered from Markdown into formatted_body.
// Each attachment is then uploaded to the media repository and sent as an
// m.image (images) or m.file event of its own (sendAttachment), within
// inbox.MaxMatrixFile and the channel's MaxAttachment.
//
// Send is idempotent: the transaction id is derived from the message
// (TxnID), so the server returns the first event for a repeat with the same
// access token, and the content carries io.couture.txn, so Delivered finds
// a message that left before a crash even when the server's transaction
// cache has been lost (a new login, a restarted server).
func (ch *Channel) Send(ctx context.Context, m inbox.Message) (channels.Receipt, error) {
	if m.Party.Kind != inbox.KindMatrix {
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "message %d has no Matrix recipient", m.ID)
	}
	if m.Party.Address == ch.me {
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "%s is the business account itself", ch.me)
	}
	txn := TxnID(m)
	content, err := textContent(m.Text, txn)
	if err != nil {
		return channels.Receipt{}, err
	}
	if err := inbox.CheckAttachments(inbox.ChannelMatrix, m.Attachments); err != nil {
		return channels.Receipt{}, err
	}
	for _, a := range m.Attachments {
		if a.Size > ch.maxAttachment() {
			return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "attachment %s is %s; Couture sends at most %s on Matrix", a.Name, inbox.SizeText(a.Size), inbox.SizeText(ch.maxAttachment()))
		}
	}
	if len(m.Attachments) > 0 && ch.blobs == nil {
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "account %s has no attachment store: the answer's files cannot be read", ch.account)
	}
	roomID, err := ch.directRoom(ctx, m.Party.Address, true)
	if err != nil {
		return channels.Receipt{}, err
	}
	var first string
	if content != nil {
		if first, err = ch.sendEvent(ctx, roomID, txn, content); err != nil {
			return channels.Receipt{}, err
		}
	}
	for i, a := range m.Attachments {
		id, err := ch.sendAttachment(ctx, roomID, fmt.Sprintf("%s-a%d", txn, i), a)
		if err != nil {
			return channels.Receipt{}, err
		}
		if first == "" {
			first = id
		}
	}
	if first == "" {
		return channels.Receipt{}, inbox.Errorf(inbox.Invalid, "the answer is empty")
	}
	return channels.Receipt{ExternalID: first, State: inbox.StateSent, SentAt: time.Now().UTC()}, nil
}

// textContent builds an m.text content, or nil for an empty text. It fails
// with inbox.Invalid when the event would exceed MaxEventBytes.
func textContent(text, txn string) (map[string]any, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	c := map[string]any{"msgtype": "m.text", "body": text, "io.couture.txn": txn}
	if html, ok := markdown(text); ok {
		c["format"] = "org.matrix.custom.html"
		c["formatted_body"] = html
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	if len(b)+envelopeBytes > MaxEventBytes {
		delete(c, "format")
		delete(c, "formatted_body")
		if b, _ = json.Marshal(c); len(b)+envelopeBytes > MaxEventBytes {
			return nil, inbox.Errorf(inbox.Invalid, "the answer is %d bytes; a Matrix event holds at most %d (about %d bytes of text)",
				len(text), MaxEventBytes, MaxEventBytes-envelopeBytes-100)
		}
	}
	return c, nil
}

// sendEvent puts one m.room.message and returns its event id.
func (ch *Channel) sendEvent(ctx context.Context, roomID, txn string, content any) (string, error) {
	var out struct {
		EventID string `json:"event_id"`
	}
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/send/m.room.message/" + url.PathEscape(txn)
	if err := ch.c.do(ctx, http.MethodPut, path, nil, content, &out); err != nil {
		return "", fmt.Errorf("send to %s: %w", roomID, err)
	}
	if out.EventID == "" {
		return "", inbox.Errorf(inbox.Unavailable, "the Matrix homeserver accepted the message without an event id")
	}
	return out.EventID, nil
}

// Delivered reports whether m already left: it looks for the event carrying
// m's transaction id among our recent events in the direct room
// (channels.Idempotent). The Outbox asks before resending after a crash.
func (ch *Channel) Delivered(ctx context.Context, m inbox.Message) (channels.Receipt, bool, error) {
	if m.Party.Kind != inbox.KindMatrix {
		return channels.Receipt{}, false, nil
	}
	roomID, err := ch.directRoom(ctx, m.Party.Address, false)
	if err != nil || roomID == "" {
		return channels.Receipt{}, false, err
	}
	txn := TxnID(m)
	from := ""
	for page := 0; page < 20; page++ {
		chunk, end, err := ch.messages(ctx, roomID, from, "", 100)
		if err != nil {
			return channels.Receipt{}, false, err
		}
		for _, ev := range chunk {
			if ev.Sender != ch.me || ev.Type != "m.room.message" {
				continue
			}
			var c messageContent
			if json.Unmarshal(ev.Content, &c) == nil && (c.Txn == txn || strings.HasPrefix(c.Txn, txn+"-a")) {
				return channels.Receipt{ExternalID: ev.EventID, State: inbox.StateSent, SentAt: time.UnixMilli(ev.TS).UTC()}, true, nil
			}
			if !m.SentAt.IsZero() && ev.TS > 0 && time.UnixMilli(ev.TS).Before(m.SentAt.Add(-time.Hour)) {
				return channels.Receipt{}, false, nil // older than the message itself
			}
		}
		if end == "" || end == from || len(chunk) == 0 {
			break
		}
		from = end
	}
	return channels.Receipt{}, false, nil
}

// directRoom returns the room to talk to user in: one Sync saw, else one
// listed in the account's m.direct data where both are still members; with
// create, a new direct room with user invited.
func (ch *Channel) directRoom(ctx context.Context, user string, create bool) (string, error) {
	ch.mu.Lock()
	id := ch.dms[user]
	ch.mu.Unlock()
	if id != "" {
		return id, nil
	}
	direct, err := ch.directData(ctx)
	if err != nil {
		return "", err
	}
	rooms := direct[user]
	for i := len(rooms) - 1; i >= 0; i-- {
		r, err := ch.loadRoom(ctx, rooms[i])
		if err != nil {
			if errCode(err) == "M_FORBIDDEN" || errCode(err) == "M_NOT_FOUND" {
				continue
			}
			return "", err
		}
		if p, ok := r.party(ch.me); ok && p == user && r.members[user].membership != "leave" &&
			r.members[ch.me].membership == "join" {
			ch.remember(r)
			return r.id, nil
		}
	}
	if !create {
		return "", nil
	}
	ch.log.Debug("no direct room yet", "user", user, "known", rooms)
	return ch.createDirect(ctx, user)
}

// createDirect creates a private direct room with user invited
// (spec: POST /_matrix/client/v3/createRoom, is_direct) and records it in
// m.direct.
func (ch *Channel) createDirect(ctx context.Context, user string) (string, error) {
	// Some servers (Dendrite) let anyone invite a user who does not exist;
	// the profile says whether they do (spec: GET /profile/{userId}, 404).
	err := ch.c.do(ctx, http.MethodGet, "/_matrix/client/v3/profile/"+url.PathEscape(user), nil, nil, nil)
	if errCode(err) == "M_NOT_FOUND" {
		return "", inbox.Wrap(inbox.Invalid, err, "there is no Matrix user "+user)
	}
	var out struct {
		RoomID string `json:"room_id"`
	}
	body := map[string]any{"preset": "trusted_private_chat", "is_direct": true, "invite": []string{user}}
	if err := ch.c.do(ctx, http.MethodPost, "/_matrix/client/v3/createRoom", nil, body, &out); err != nil {
		switch errCode(err) {
		case "M_NOT_FOUND", "M_UNKNOWN", "M_INVALID_PARAM":
			return "", inbox.Wrap(inbox.Invalid, err, "cannot invite "+user+" on Matrix")
		case "M_FORBIDDEN":
			// Typically the user's homeserver refused or could not be
			// reached over federation: worth another try later.
			return "", inbox.Wrap(inbox.Unavailable, err, "the homeserver could not invite "+user+" to a conversation")
		}
		return "", fmt.Errorf("create a direct room with %s: %w", user, err)
	}
	r := newRoom(out.RoomID)
	r.members[ch.me] = member{membership: "join"}
	r.members[user] = member{membership: "invite"}
	ch.remember(r)
	if err := ch.addDirect(ctx, user, out.RoomID); err != nil {
		ch.log.Warn("record direct room", "room", out.RoomID, "err", err)
	}
	return out.RoomID, nil
}

// remember caches a room and, when it is a direct room, its party.
func (ch *Channel) remember(r *room) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.rooms[r.id] = r
	p, ok := r.party(ch.me)
	switch {
	case ok && r.members[p].membership != "leave":
		ch.dms[p] = r.id
	case ok && ch.dms[p] == r.id:
		delete(ch.dms, p) // they left: the next answer opens a new room
	}
}

// forget drops a cached room (we left it).
func (ch *Channel) forget(id string) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	delete(ch.rooms, id)
	for u, r := range ch.dms {
		if r == id {
			delete(ch.dms, u)
		}
	}
}

// loadRoom asks the server for a room's members
// (spec: GET /_matrix/client/v3/rooms/{roomId}/members).
func (ch *Channel) loadRoom(ctx context.Context, id string) (*room, error) {
	var out struct {
		Chunk []event `json:"chunk"`
	}
	if err := ch.c.do(ctx, http.MethodGet, "/_matrix/client/v3/rooms/"+url.PathEscape(id)+"/members", nil, nil, &out); err != nil {
		return nil, fmt.Errorf("members of %s: %w", id, err)
	}
	r := newRoom(id)
	for _, ev := range out.Chunk {
		r.apply(ev)
	}
	return r, nil
}

// directPath is the account-data path of m.direct (spec: "Direct Messaging").
func (ch *Channel) directPath() string {
	return "/_matrix/client/v3/user/" + url.PathEscape(ch.me) + "/account_data/m.direct"
}

// directData reads m.direct: user id → direct room ids.
func (ch *Channel) directData(ctx context.Context) (map[string][]string, error) {
	direct := map[string][]string{}
	err := ch.c.do(ctx, http.MethodGet, ch.directPath(), nil, nil, &direct)
	if errCode(err) == "M_NOT_FOUND" {
		return map[string][]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read m.direct: %w", err)
	}
	return direct, nil
}

// addDirect records room as a direct room with user in m.direct, so other
// clients of the account (and Send in another process) see it as one.
func (ch *Channel) addDirect(ctx context.Context, user, roomID string) error {
	ch.directMu.Lock()
	defer ch.directMu.Unlock()
	direct, err := ch.directData(ctx)
	if err != nil {
		return err
	}
	if slices.Contains(direct[user], roomID) {
		return nil
	}
	direct[user] = append(direct[user], roomID)
	return ch.c.do(ctx, http.MethodPut, ch.directPath(), nil, direct, nil)
}

func (ch *Channel) maxAttachment() int64 {
	if ch.MaxAttachment > 0 {
		return ch.MaxAttachment
	}
	return DefaultMaxAttachment
}
