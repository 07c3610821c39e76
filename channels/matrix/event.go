package matrix

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/couture/couture/inbox"
)

// syncResponse is the part of a /sync answer the channel reads
// (spec: GET /_matrix/client/v3/sync, 200 response).
type syncResponse struct {
	NextBatch string `json:"next_batch"`
	Rooms     struct {
		Join   map[string]joinedRoom  `json:"join"`
		Invite map[string]invitedRoom `json:"invite"`
		Leave  map[string]joinedRoom  `json:"leave"`
	} `json:"rooms"`
}

// joinedRoom is a room of the join (or leave) section.
type joinedRoom struct {
	State    eventList `json:"state"`
	Timeline struct {
		Events    []event `json:"events"`
		Limited   bool    `json:"limited"`
		PrevBatch string  `json:"prev_batch"`
	} `json:"timeline"`
}

// invitedRoom is a room of the invite section: stripped state only.
type invitedRoom struct {
	InviteState eventList `json:"invite_state"`
}

type eventList struct {
	Events []event `json:"events"`
}

// event is a client event. Content stays raw: each type decodes its own, so
// one malformed event never makes a whole /sync answer unreadable.
type event struct {
	EventID  string          `json:"event_id"`
	Type     string          `json:"type"`
	Sender   string          `json:"sender"`
	StateKey *string         `json:"state_key"`
	TS       int64           `json:"origin_server_ts"`
	Content  json.RawMessage `json:"content"`
	Unsigned struct {
		TransactionID string `json:"transaction_id"`
	} `json:"unsigned"`
}

// maxSyncBytes bounds a /sync or /messages answer the channel accepts.
const maxSyncBytes = 64 << 20

// decodeSync reads a /sync answer. Events whose envelope is unusable (no
// event id, no sender, no type) are dropped here, the rest is left to the
// converters, which never fail on content.
func decodeSync(r io.Reader) (*syncResponse, error) {
	var s syncResponse
	dec := json.NewDecoder(io.LimitReader(r, maxSyncBytes))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode /sync answer: %w", err)
	}
	if s.NextBatch == "" {
		return nil, fmt.Errorf("decode /sync answer: no next_batch")
	}
	for id, room := range s.Rooms.Join {
		room.Timeline.Events = valid(room.Timeline.Events)
		room.State.Events = valid(room.State.Events)
		s.Rooms.Join[id] = room
	}
	for id, room := range s.Rooms.Leave {
		room.Timeline.Events = valid(room.Timeline.Events)
		room.State.Events = valid(room.State.Events)
		s.Rooms.Leave[id] = room
	}
	return &s, nil
}

// valid keeps the events with a usable envelope. Stripped state events
// (invites) have no event id, so callers do not filter those.
func valid(evs []event) []event {
	out := evs[:0]
	for _, ev := range evs {
		if ev.EventID != "" && ev.Sender != "" && ev.Type != "" {
			out = append(out, ev)
		}
	}
	return out
}

// memberContent is the content of m.room.member.
type memberContent struct {
	Membership  string `json:"membership"`
	DisplayName string `json:"displayname"`
	IsDirect    bool   `json:"is_direct"`
}

// messageContent is the content of m.room.message and m.sticker
// (spec: "m.room.message msgtypes").
type messageContent struct {
	MsgType       string `json:"msgtype"`
	Body          string `json:"body"`
	Format        string `json:"format"`
	FormattedBody string `json:"formatted_body"`
	Filename      string `json:"filename"`
	URL           string `json:"url"`
	Info          struct {
		MimeType string `json:"mimetype"`
		Size     int64  `json:"size"`
	} `json:"info"`
	GeoURI    string `json:"geo_uri"`
	RelatesTo struct {
		RelType   string `json:"rel_type"`
		InReplyTo struct {
			EventID string `json:"event_id"`
		} `json:"m.in_reply_to"`
	} `json:"m.relates_to"`
	// Txn marks an event sent by Couture's own outbox: the message is
	// already on the timeline, its echo is not ingested twice.
	Txn string `json:"io.couture.txn"`
}

// member is one user's membership in a room.
type member struct {
	membership string
	name       string
}

// room is what the channel knows of a joined room: its members, enough to
// tell a direct conversation (one other person) from a group.
type room struct {
	id      string
	members map[string]member
}

func newRoom(id string) *room { return &room{id: id, members: map[string]member{}} }

// apply records a membership change (m.room.member state events).
func (r *room) apply(ev event) {
	if ev.Type != "m.room.member" || ev.StateKey == nil || *ev.StateKey == "" {
		return
	}
	var c memberContent
	if json.Unmarshal(ev.Content, &c) != nil {
		return
	}
	m := r.members[*ev.StateKey]
	m.membership = c.Membership
	if c.DisplayName != "" || c.Membership == "join" {
		m.name = c.DisplayName
	}
	r.members[*ev.StateKey] = m
}

// party returns the other person of a direct conversation: the one user
// besides me who is joined or invited. A room with more than one such user
// is a group (ok false). A room where the other person left keeps them as
// its party, so their history stays theirs.
func (r *room) party(me string) (user string, ok bool) {
	var present, gone []string
	for u, m := range r.members {
		if u == me {
			continue
		}
		switch m.membership {
		case "join", "invite":
			present = append(present, u)
		case "leave":
			gone = append(gone, u)
		}
	}
	switch {
	case len(present) == 1:
		return present[0], true
	case len(present) == 0 && len(gone) == 1:
		return gone[0], true
	}
	return "", false
}

// name is a user's display name in the room, else their localpart.
func (r *room) name(user string) string {
	if m, ok := r.members[user]; ok && strings.TrimSpace(m.name) != "" {
		return strings.TrimSpace(m.name)
	}
	local, _, _ := strings.Cut(strings.TrimPrefix(user, "@"), ":")
	return local
}

// media is an attachment the sync still has to download.
type media struct {
	uri  string // mxc://server/id
	name string
	typ  string
	size int64
}

// convert turns a timeline event into an incoming message. ok is false for
// events that are not messages (state, redacted, reactions) and for echoes
// of Couture's own outbox. The message of a room that is not a direct
// conversation goes to the Other view.
func convert(ev event, r *room, me, account string) (in inbox.Incoming, att []media, ok bool) {
	if ev.EventID == "" || ev.Sender == "" || ev.StateKey != nil {
		return inbox.Incoming{}, nil, false
	}
	m := inbox.Message{
		Channel:    inbox.ChannelMatrix,
		Account:    account,
		ExternalID: ev.EventID,
		ThreadRefs: []string{r.id},
		From:       ev.Sender,
	}
	if ev.TS > 0 && ev.TS < 1<<53 {
		m.SentAt = time.UnixMilli(ev.TS).UTC()
	}
	switch ev.Type {
	case "m.room.message", "m.sticker":
		var c messageContent
		if err := json.Unmarshal(ev.Content, &c); err != nil {
			m.Warning = "Couture could not read this Matrix event: " + err.Error()
			break
		}
		if ev.Sender == me && c.Txn != "" {
			return inbox.Incoming{}, nil, false // our outbox's own message
		}
		m.Text, att = body(ev.Type, c, r.name(ev.Sender))
		if m.Text == "" && len(att) == 0 {
			return inbox.Incoming{}, nil, false // redacted or empty
		}
	case "m.room.encrypted":
		m.Text = "(encrypted message)"
		m.Warning = "This Matrix message is end-to-end encrypted and Couture cannot read it yet; ask the customer to write in an unencrypted room."
	default:
		return inbox.Incoming{}, nil, false
	}
	party, direct := r.party(me)
	if ev.Sender == me {
		m.Direction, m.State = inbox.Out, inbox.StateSent
		m.To = party
		if !direct {
			m.To = r.id
		}
	} else {
		m.Direction = inbox.In
		m.FromName = r.name(ev.Sender)
		m.To = me
		party = ev.Sender
	}
	if !direct {
		// A group room: no single customer; it goes to Other like a
		// mailing list would (DESIGN.md, Channels).
		if id, err := inbox.NewIdentity(inbox.KindMatrix, ev.Sender, nil); err == nil {
			m.Party = id
		}
		return inbox.Incoming{Message: m, Name: r.name(ev.Sender), Other: true}, att, true
	}
	id, err := inbox.NewIdentity(inbox.KindMatrix, party, nil)
	if err != nil {
		return inbox.Incoming{}, nil, false
	}
	m.Party = id
	return inbox.Incoming{Message: m, Name: r.name(party)}, att, true
}

// body returns the text of a message event and the media it carries. The
// HTML formatted_body is not kept: body is the plain-text fallback every
// event must carry, and Couture shows no remote content.
func body(typ string, c messageContent, sender string) (string, []media) {
	text := c.Body
	if c.RelatesTo.InReplyTo.EventID != "" {
		text = stripReplyFallback(text)
	}
	msgtype := c.MsgType
	if typ == "m.sticker" {
		msgtype = "m.image"
	}
	switch msgtype {
	case "m.image", "m.file", "m.video", "m.audio":
		uri := c.URL
		name := c.Filename
		caption := ""
		if name == "" {
			name = c.Body
		} else if c.Body != "" && c.Body != c.Filename {
			caption = text // spec 1.10: body is a caption when filename differs
		}
		if uri == "" {
			return strings.TrimSpace(text), nil
		}
		return strings.TrimSpace(caption), []media{{uri: uri, name: name, typ: c.Info.MimeType, size: c.Info.Size}}
	case "m.emote":
		return "* " + sender + " " + strings.TrimSpace(text), nil
	case "m.location":
		if c.GeoURI != "" {
			return strings.TrimSpace(text + " (" + c.GeoURI + ")"), nil
		}
	}
	return strings.TrimSpace(text), nil
}

// stripReplyFallback removes the "> <@user> quoted" lines a reply starts
// with (spec: "Fallbacks for rich replies").
func stripReplyFallback(s string) string {
	if !strings.HasPrefix(s, ">") {
		return s
	}
	lines := strings.Split(s, "\n")
	i := 0
	for i < len(lines) && strings.HasPrefix(lines[i], ">") {
		i++
	}
	if i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	return strings.Join(lines[i:], "\n")
}
