package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

// CursorKey is the key of the account's sync cursor: the next_batch token of
// the last /sync whose messages were committed.
const CursorKey = "sync"

// maxBackfill bounds how many events one room's backfill reads in one sync.
const maxBackfill = 10000

// timelineTypes are the event types the sync asks for; everything else
// (reactions, receipts, typing, presence) is filtered out on the server.
var timelineTypes = []string{"m.room.message", "m.sticker", "m.room.encrypted", "m.room.member"}

// syncFilter is the inline filter of every /sync (spec: "Filtering"):
// room timelines, room state members, invites; no presence, no account data,
// no ephemeral events.
var syncFilter = func() string {
	none := map[string]any{"not_types": []string{"*"}}
	f := map[string]any{
		"presence":     none,
		"account_data": none,
		"room": map[string]any{
			"timeline":     map[string]any{"limit": 100, "types": timelineTypes},
			"state":        map[string]any{"types": []string{"m.room.member"}, "lazy_load_members": false},
			"ephemeral":    none,
			"account_data": none,
		},
	}
	b, _ := json.Marshal(f)
	return string(b)
}()

// Sync long-polls /sync from the saved next_batch and commits each answer's
// messages with its next_batch in one batch, so the cursor never runs ahead
// of the store (spec: GET /_matrix/client/v3/sync). Invites are accepted
// before the answer is committed; a limited timeline is backfilled with
// /messages down to the previous cursor (or, for a room just joined, to its
// beginning), so nothing is skipped. With once, Sync returns when the
// server has nothing more.
func (ch *Channel) Sync(ctx context.Context, sink channels.Sink, once bool) error {
	cursor, err := sink.Cursor(CursorKey)
	if err != nil {
		return fmt.Errorf("read the sync cursor: %w", err)
	}
	since := string(cursor)
	poll := ch.PollTimeout
	if poll <= 0 {
		poll = 30 * time.Second
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		wait := poll
		if once {
			wait = 0
		}
		resp, err := ch.sync(ctx, since, wait)
		if err != nil {
			return ctxOr(ctx, err)
		}
		joined, err := ch.acceptInvites(ctx, resp)
		if err != nil {
			return ctxOr(ctx, err)
		}
		msgs, err := ch.collect(ctx, resp, since)
		if err != nil {
			return ctxOr(ctx, err)
		}
		if len(msgs) > 0 || resp.NextBatch != since {
			b := inbox.Batch{Account: ch.account, Messages: msgs, CursorKey: CursorKey, Cursor: []byte(resp.NextBatch)}
			res, err := sink.Commit(ctx, b)
			if err != nil {
				return ctxOr(ctx, fmt.Errorf("commit %d Matrix messages: %w", len(msgs), err))
			}
			if len(msgs) > 0 {
				ch.log.Debug("synced", "added", res.Added, "duplicates", res.Duplicates)
				sink.Progress(channels.Progress{Account: ch.account, Folder: "sync", Done: len(msgs), Total: len(msgs)})
			}
		}
		since = resp.NextBatch
		if once && joined == 0 {
			return nil
		}
	}
}

// ctxOr returns the context's error when it ended (the Engine stopped the
// account: not a failure), else err.
func ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// sync is one /sync request.
func (ch *Channel) sync(ctx context.Context, since string, wait time.Duration) (*syncResponse, error) {
	q := url.Values{
		"timeout":      {strconv.FormatInt(wait.Milliseconds(), 10)},
		"filter":       {syncFilter},
		"set_presence": {"offline"},
	}
	if since != "" {
		q.Set("since", since)
	}
	ctx, cancel := context.WithTimeout(ctx, wait+requestTimeout)
	defer cancel()
	var resp *syncResponse
	err := ch.c.doDecode(ctx, http.MethodGet, "/_matrix/client/v3/sync", q, nil, func(r io.Reader) error {
		var err error
		resp, err = decodeSync(r)
		if err != nil {
			return inbox.Wrap(inbox.Unavailable, err, "the Matrix homeserver sent a /sync answer Couture cannot read")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	return resp, nil
}

// acceptInvites joins every room a user invited the account to
// (spec: POST /_matrix/client/v3/rooms/{roomId}/join). A room that cannot be
// joined any more (withdrawn invite, deleted room) is skipped; any other
// failure stops the sync before its cursor is committed, so the invite is
// seen again.
func (ch *Channel) acceptInvites(ctx context.Context, resp *syncResponse) (int, error) {
	joined := 0
	for _, id := range slices.Sorted(maps.Keys(resp.Rooms.Invite)) {
		inviter := ""
		for _, ev := range resp.Rooms.Invite[id].InviteState.Events {
			if ev.Type == "m.room.member" && ev.StateKey != nil && *ev.StateKey == ch.me {
				var c memberContent
				if json.Unmarshal(ev.Content, &c) == nil && c.Membership == "invite" {
					inviter = ev.Sender
				}
			}
		}
		if inviter == "" || inviter == ch.me {
			continue
		}
		err := ch.c.do(ctx, http.MethodPost, "/_matrix/client/v3/rooms/"+url.PathEscape(id)+"/join", nil, map[string]any{}, nil)
		var e *apiError
		if errors.As(err, &e) && (e.Status == http.StatusForbidden || e.Status == http.StatusNotFound) {
			ch.log.Warn("cannot join invited room", "room", id, "inviter", inviter, "err", err)
			continue
		}
		if err != nil {
			return joined, fmt.Errorf("join %s (invited by %s): %w", id, inviter, err)
		}
		ch.log.Info("joined", "room", id, "inviter", inviter)
		ch.mu.Lock()
		ch.joined[id] = true
		ch.mu.Unlock()
		joined++
	}
	return joined, nil
}

// collect converts the rooms of a /sync answer into messages, backfilling
// limited timelines and downloading media.
func (ch *Channel) collect(ctx context.Context, resp *syncResponse, since string) ([]inbox.Incoming, error) {
	var out []inbox.Incoming
	sections := []map[string]joinedRoom{resp.Rooms.Join, resp.Rooms.Leave}
	for i, section := range sections {
		left := i == 1
		for _, id := range slices.Sorted(maps.Keys(section)) {
			msgs, err := ch.collectRoom(ctx, id, section[id], since, left)
			if err != nil {
				return nil, err
			}
			out = append(out, msgs...)
		}
	}
	return out, nil
}

// collectRoom handles one room of a /sync answer.
func (ch *Channel) collectRoom(ctx context.Context, id string, jr joinedRoom, since string, left bool) ([]inbox.Incoming, error) {
	ch.mu.Lock()
	r := ch.rooms[id]
	newlyJoined := ch.joined[id] // joined by acceptInvites, history not read yet
	ch.mu.Unlock()
	known := r != nil
	for _, ev := range jr.Timeline.Events {
		if ev.Type == "m.room.member" && ev.StateKey != nil && *ev.StateKey == ch.me && !known {
			var c memberContent
			if json.Unmarshal(ev.Content, &c) == nil && c.Membership == "join" {
				newlyJoined = true
			}
		}
	}
	switch {
	case known:
		r = r.clone()
	case since == "":
		r = newRoom(id) // an initial sync carries the complete state
	default:
		// An incremental sync carries only state changes: start from the
		// room's current members.
		var err error
		if r, err = ch.loadRoom(ctx, id); err != nil {
			if !left || (errCode(err) != "M_FORBIDDEN" && errCode(err) != "M_NOT_FOUND") {
				return nil, err
			}
			r = newRoom(id)
		}
	}
	for _, ev := range jr.State.Events {
		r.apply(ev)
	}
	for _, ev := range jr.Timeline.Events {
		r.apply(ev)
	}
	party, direct := r.party(ch.me)

	events := jr.Timeline.Events
	if jr.Timeline.PrevBatch != "" && (jr.Timeline.Limited || newlyJoined) {
		to := since // down to what the last committed sync already had
		if newlyJoined && direct {
			to = "" // a new conversation: its whole history
		}
		older, err := ch.backfill(ctx, id, jr.Timeline.PrevBatch, to)
		if err != nil {
			return nil, err
		}
		ch.log.Debug("backfilled", "room", id, "events", len(older), "limited", jr.Timeline.Limited, "new", newlyJoined)
		events = append(older, events...)
	}

	var out []inbox.Incoming
	seen := map[string]bool{}
	for _, ev := range events {
		if seen[ev.EventID] {
			continue
		}
		seen[ev.EventID] = true
		in, att, ok := convert(ev, r, ch.me, ch.account)
		if !ok {
			continue
		}
		for _, m := range att {
			a, warning, err := ch.fetch(ctx, m)
			if err != nil {
				return nil, err
			}
			in.Message.Attachments = append(in.Message.Attachments, a)
			if warning != "" {
				in.Message.Warning = joinWarning(in.Message.Warning, warning)
			}
		}
		out = append(out, in)
	}

	if left || r.members[ch.me].membership == "leave" || r.members[ch.me].membership == "ban" {
		ch.forget(id)
	} else {
		ch.remember(r)
	}
	ch.mu.Lock()
	delete(ch.joined, id)
	ch.mu.Unlock()
	if newlyJoined && direct {
		if err := ch.addDirect(ctx, party, id); err != nil {
			ch.log.Warn("record direct room", "room", id, "user", party, "err", err)
		} else {
			ch.log.Debug("recorded direct room", "room", id, "user", party)
		}
	}
	return out, nil
}

// backfill pages backwards through a room from token until to (a sync
// token; "" for the beginning of the room) and returns the events oldest
// first (spec: GET /_matrix/client/v3/rooms/{roomId}/messages).
func (ch *Channel) backfill(ctx context.Context, roomID, token, to string) ([]event, error) {
	var evs []event
	from := token
	for len(evs) < maxBackfill {
		chunk, end, err := ch.messages(ctx, roomID, from, to, 100)
		if err != nil {
			return nil, err
		}
		evs = append(evs, chunk...)
		if len(chunk) == 0 || end == "" || end == from {
			break
		}
		from = end
	}
	slices.Reverse(evs)
	return evs, nil
}

// messages reads one page of a room backwards from from ("" for the newest
// event) down to to ("" for no bound). It returns the events newest first
// and the token of the next page.
func (ch *Channel) messages(ctx context.Context, roomID, from, to string, limit int) ([]event, string, error) {
	q := url.Values{"dir": {"b"}, "limit": {strconv.Itoa(limit)}}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	var out struct {
		Chunk []event `json:"chunk"`
		End   string  `json:"end"`
	}
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/messages"
	if err := ch.c.do(ctx, http.MethodGet, path, q, nil, &out); err != nil {
		return nil, "", fmt.Errorf("history of %s: %w", roomID, err)
	}
	return valid(out.Chunk), out.End, nil
}

func (r *room) clone() *room {
	c := newRoom(r.id)
	for u, m := range r.members {
		c.members[u] = m
	}
	return c
}

func joinWarning(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
