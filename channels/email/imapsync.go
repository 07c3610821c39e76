package email

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/mail"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

// cursor is where the sync of one folder stands. It is saved with every
// batch, in the same store transaction, under "folder:<name>".
//
// Every message whose UID lies in [Oldest, Last] is stored, except those
// in Retry. New mail is above Last and is fetched oldest first; the
// history below Oldest is fetched newest first, so recent mail shows
// early, until Done.
type cursor struct {
	UIDValidity uint32   `json:"uidvalidity"`
	Last        imap.UID `json:"last"`
	Oldest      imap.UID `json:"oldest"`
	Done        bool     `json:"done"`
	// ModSeq is the folder's HIGHESTMODSEQ once its flags are read.
	ModSeq uint64 `json:"modseq,omitempty"`
	// Unseen is kept on a server without CONDSTORE, where nothing says
	// which flags changed: the UIDs in [Oldest, Last] that had no \Seen
	// when last read. Each sync reads the flags of that range again (one
	// UID FETCH) and reports the difference. Flags says Unseen is kept; a
	// cursor saved before has none, and its first reading only records it.
	Flags  bool   `json:"flags,omitempty"`
	Unseen uidSet `json:"unseen,omitempty"`
	// Retry counts the failed fetches of messages still to store.
	Retry map[imap.UID]int `json:"retry,omitempty"`
}

// current reports whether the folder is unchanged since the cursor was
// saved, judging by its STATUS: then Sync does not even select it. Without
// CONDSTORE, STATUS says nothing of flags: a folder with stored messages
// is never current, so its flags are read again.
func (cur *cursor) current(st *imap.StatusData, condstore bool) bool {
	return st != nil && cur.UIDValidity != 0 && st.UIDValidity == cur.UIDValidity &&
		cur.Done && len(cur.Retry) == 0 &&
		st.UIDNext != 0 && st.UIDNext-1 <= cur.Last &&
		(condstore && (st.HighestModSeq == 0 || st.HighestModSeq == cur.ModSeq) || !condstore && cur.Last == 0)
}

// uidSet is a set of UIDs, saved in a cursor as an IMAP sequence set
// ("3,7:9") so that it stays small.
type uidSet imap.UIDSet

// MarshalJSON implements json.Marshaler.
func (s uidSet) MarshalJSON() ([]byte, error) {
	return json.Marshal(imap.UIDSet(s).String())
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *uidSet) UnmarshalJSON(b []byte) error {
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		return err
	}
	var set imap.UIDSet
	for _, part := range strings.Split(text, ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, ":")
		start, err := strconv.ParseUint(lo, 10, 32)
		stop := start
		if err == nil && isRange {
			stop, err = strconv.ParseUint(hi, 10, 32)
		}
		if err != nil || start == 0 || stop == 0 {
			return fmt.Errorf("UID set %q: %q is no UID or UID range", text, part)
		}
		set.AddRange(imap.UID(start), imap.UID(stop))
	}
	*s = uidSet(set)
	return nil
}

// CursorKey returns the sink cursor key of a folder.
func CursorKey(folder string) string { return "folder:" + folder }

// Sync pulls the account's mail into sink: every folder except junk,
// trash and drafts, each from its saved cursor, history newest first, in
// batches that are committed with their cursor in one store transaction.
// Messages in the Sent folder (and any message from one of the business's
// addresses) come out outbound. With once, Sync returns when every folder
// has caught up; otherwise it then waits in IDLE on INBOX (RFC 2177) and
// fetches new mail as it arrives, checking every folder every few minutes.
// When sink is a channels.SeenSink, messages read or marked unread by the
// account's other clients are reported to it: with CONDSTORE from the
// flags changed since the folder's MODSEQ, without it by reading the flags
// of the stored messages again (one command a folder, see cursor.Unseen).
//
// Sync fails with inbox.Auth when the password is refused; any other error
// (a dropped connection) is temporary: the next Sync resumes from the
// cursors, and nothing is stored twice.
func (c *Channel) Sync(ctx context.Context, sink channels.Sink, once bool) error {
	s, err := c.connect(ctx)
	if err != nil {
		return err
	}
	defer s.close()
	y := &syncer{
		c: c, s: s, sink: sink,
		parser: Parser{Blobs: c.blobs, Own: c.own, Account: c.name},
		log:    c.log,
	}
	if err := y.all(ctx); err != nil {
		return y.fail(ctx, err)
	}
	if once {
		return nil
	}
	return y.fail(ctx, y.watch(ctx))
}

// syncer is one Sync call.
type syncer struct {
	c      *Channel
	s      *session
	sink   channels.Sink
	parser Parser
	log    *slog.Logger
	// The folder being synced, its UIDVALIDITY, and whether it is the
	// Sent folder.
	name     string
	validity uint32
	sent     bool
}

// fail turns an error that ends Sync into one the Engine understands.
func (y *syncer) fail(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case inbox.ErrorCode(err) != "":
		return err
	}
	return inbox.Wrap(inbox.Unavailable, err, "lost the connection to the IMAP server "+y.c.imap.addr)
}

// serverRefused reports whether err is the server's NO or BAD answer to
// one command, which concerns that command only, rather than a broken
// connection.
func serverRefused(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && (ie.Type == imap.StatusResponseTypeNo || ie.Type == imap.StatusResponseTypeBad)
}

// all syncs every folder once.
func (y *syncer) all(ctx context.Context) error {
	folders, err := y.s.folders()
	if err != nil {
		return err
	}
	folders = slices.DeleteFunc(folders, func(f folder) bool { return !f.synced() })
	if err := y.statuses(folders); err != nil {
		return err
	}
	for _, f := range folders {
		y.sent = f.isSent()
		if err := y.folder(ctx, f.name, f.status); err != nil {
			if ctx.Err() != nil || !serverRefused(err) {
				return err
			}
			y.log.Warn("folder not synced", "folder", f.name, "err", err)
		}
	}
	// Caught up: Done == Total, which the Engine shows as idle.
	n := max(len(folders), 1)
	y.sink.Progress(channels.Progress{Account: y.c.name, Done: n, Total: n})
	return nil
}

// statuses fills in the status of folders that LIST did not return one
// for, with STATUS commands sent all at once: one round trip.
func (y *syncer) statuses(folders []folder) error {
	opts := &imap.StatusOptions{UIDNext: true, UIDValidity: true, NumMessages: true, HighestModSeq: y.s.condstore()}
	cmds := make([]*imapclient.StatusCommand, len(folders))
	for i, f := range folders {
		if f.status == nil {
			cmds[i] = y.s.cl.Status(f.name, opts)
		}
	}
	for i, cmd := range cmds {
		if cmd == nil {
			continue
		}
		st, err := cmd.Wait()
		if err != nil && !serverRefused(err) {
			return err
		}
		folders[i].status = st
	}
	return nil
}

// loadCursor reads a folder's saved cursor.
func (y *syncer) loadCursor(name string) (cursor, error) {
	var cur cursor
	b, err := y.sink.Cursor(CursorKey(name))
	if err != nil || b == nil {
		return cur, err
	}
	if err := json.Unmarshal(b, &cur); err != nil {
		y.log.Warn("unreadable folder cursor; syncing the folder again", "folder", name, "err", err)
		return cursor{}, nil
	}
	return cur, nil
}

// sized is a message's UID and size.
type sized struct {
	uid  imap.UID
	size int64
	// headerOnly asks for the header alone: the whole message failed to
	// fetch maxAttempts times, or broke the connection.
	headerOnly bool
	// park leaves the message alone for now: it broke the connection
	// twice. It is kept in the cursor's Retry.
	park bool
}

// step is one batch of the plan: which UIDs to fetch and how the cursor
// moves once they are stored.
type step struct {
	uids    []sized
	advance func(cur *cursor)
}

// folder syncs one folder; st is its STATUS, nil when unknown.
func (y *syncer) folder(ctx context.Context, name string, st *imap.StatusData) error {
	cur, err := y.loadCursor(name)
	if err != nil {
		return err
	}
	condstore := y.s.condstore()
	if cur.current(st, condstore) {
		return nil
	}
	sel, err := y.s.cl.Select(name, &imap.SelectOptions{ReadOnly: true, CondStore: condstore}).Wait()
	if err != nil {
		return fmt.Errorf("examine %s: %w", name, err)
	}
	saved := cur
	if sel.UIDValidity != cur.UIDValidity {
		if cur.UIDValidity != 0 {
			// RFC 9051 section 2.3.1.1: the old UIDs mean nothing now.
			// Everything is fetched again; the store recognises what it
			// has by external id, so nothing is stored twice.
			y.log.Info("UIDVALIDITY changed; reading the folder again", "folder", name, "old", cur.UIDValidity, "new", sel.UIDValidity)
		}
		cur = cursor{UIDValidity: sel.UIDValidity}
		saved = cursor{}
	}
	y.name, y.validity = name, cur.UIDValidity
	if sel.UIDNext == 0 { // not sent by very old servers: ask for the last UID
		last, err := y.sizes(imap.UIDSet{{Start: 0, Stop: 0}}, 0)
		if err != nil {
			return err
		}
		sel.UIDNext = 1
		if len(last) > 0 {
			sel.UIDNext = last[len(last)-1].uid + 1
		}
	}
	if cur.Last == 0 && cur.Oldest == 0 {
		cur.Last, cur.Oldest = sel.UIDNext-1, sel.UIDNext
	}
	if condstore && cur.ModSeq != 0 && sel.HighestModSeq != cur.ModSeq && cur.Last > 0 {
		if err := y.flags(ctx, name, cur); err != nil {
			return err
		}
	}
	if condstore {
		cur.ModSeq = sel.HighestModSeq
		cur.Flags, cur.Unseen = false, nil
	} else if err := y.reflag(ctx, name, &cur); err != nil {
		return err
	}

	plan, err := y.plan(name, &cur, sel.UIDNext)
	if err != nil {
		return err
	}
	total := 0
	for _, p := range plan {
		total += len(p.uids)
	}
	if total == 0 {
		if b, _ := json.Marshal(cur); !bytes.Equal(b, mustJSON(saved)) {
			_, err := y.sink.Commit(ctx, inbox.Batch{Account: y.c.name, CursorKey: CursorKey(name), Cursor: b})
			return err
		}
		return nil
	}
	y.log.Debug("sync folder", "folder", name, "messages", total)
	return y.run(ctx, name, &cur, plan, total)
}

func mustJSON(cur cursor) []byte {
	b, _ := json.Marshal(cur)
	return b
}

// plan lists the batches that bring the folder up to date: new mail above
// Last (oldest first), the history below Oldest (newest first), then the
// messages to retry.
func (y *syncer) plan(name string, cur *cursor, uidNext imap.UID) ([]step, error) {
	var plan []step
	if uidNext-1 > cur.Last {
		fresh, err := y.sizes(imap.UIDSet{{Start: cur.Last + 1, Stop: 0}}, cur.Last)
		if err != nil {
			return nil, err
		}
		bs := y.batches(name, cur.UIDValidity, fresh)
		for i, b := range bs {
			last := i == len(bs)-1
			plan = append(plan, step{uids: b, advance: func(c *cursor) {
				c.Last = max(c.Last, b[len(b)-1].uid)
				if last {
					c.Last = max(c.Last, uidNext-1)
				}
			}})
		}
		if len(bs) == 0 {
			cur.Last = uidNext - 1 // only expunged messages in between
		}
	}
	if !cur.Done {
		var old []sized
		if cur.Oldest > 1 {
			var err error
			if old, err = y.sizes(imap.UIDSet{{Start: 1, Stop: cur.Oldest - 1}}, 0); err != nil {
				return nil, err
			}
			old = slices.DeleteFunc(old, func(s sized) bool { return s.uid >= cur.Oldest })
		}
		slices.Reverse(old)
		bs := y.batches(name, cur.UIDValidity, old)
		for i, b := range bs {
			last := i == len(bs)-1
			plan = append(plan, step{uids: b, advance: func(c *cursor) {
				c.Oldest = min(c.Oldest, b[len(b)-1].uid)
				c.Done = last
			}})
		}
		if len(bs) == 0 {
			cur.Done = true
		}
	}
	if len(cur.Retry) > 0 {
		var set imap.UIDSet
		for uid := range cur.Retry {
			set.AddNum(uid)
		}
		retry, err := y.sizes(set, 0)
		if err != nil {
			return nil, err
		}
		// Retried UIDs the server no longer has were expunged.
		for uid := range cur.Retry {
			if !slices.ContainsFunc(retry, func(s sized) bool { return s.uid == uid }) {
				delete(cur.Retry, uid)
			}
		}
		for i := range retry {
			retry[i].headerOnly = cur.Retry[retry[i].uid] >= maxAttempts
		}
		for _, b := range y.batches(name, cur.UIDValidity, retry) {
			plan = append(plan, step{uids: b, advance: func(*cursor) {}})
		}
	}
	return plan, nil
}

// batches cuts a list of messages into fetch batches of at most
// batchCount messages and batchBytes bytes (a larger message alone). A
// message suspected of breaking the connection is fetched alone, with its
// header only once it did, and not at all (parked) once it did twice.
func (y *syncer) batches(name string, validity uint32, list []sized) [][]sized {
	trouble := y.c.troubleOf(name, validity)
	var out [][]sized
	var cur []sized
	var bytes int64
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur, bytes = nil, 0
		}
	}
	for _, s := range list {
		if t, ok := trouble[s.uid]; ok {
			flush()
			s.headerOnly = s.headerOnly || t.deaths >= 1
			s.park = t.deaths >= 2
			out = append(out, []sized{s})
			continue
		}
		size := min(s.size, y.c.maxSize)
		if len(cur) > 0 && (len(cur) >= y.c.batchCount || bytes+size > y.c.batchBytes) {
			flush()
		}
		cur = append(cur, s)
		bytes += size
	}
	flush()
	return out
}

// trouble is what the channel remembers, for the life of the process, of
// a message whose fetch broke the connection (some servers drop the
// connection on a message file they cannot read).
type trouble struct {
	deaths int // connections lost while fetching it alone
	at     time.Time
}

// troubleKey names a message across syncs.
type troubleKey struct {
	folder   string
	validity uint32
	uid      imap.UID
}

// parkFor is how long a message that broke the connection twice is left
// alone before it is tried again.
const parkFor = 30 * time.Minute

// troubleOf returns the troubled messages of a folder.
func (c *Channel) troubleOf(name string, validity uint32) map[imap.UID]trouble {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[imap.UID]trouble{}
	for k, t := range c.trouble {
		if k.folder != name || k.validity != validity {
			continue
		}
		if t.deaths >= 2 && time.Since(t.at) > parkFor {
			t.deaths = 0
			c.trouble[k] = t
		}
		out[k.uid] = t
	}
	return out
}

// noteTrouble records that the connection broke while uids (not yet
// received) were being fetched: together they become suspects, alone the
// message is blamed.
func (c *Channel) noteTrouble(name string, validity uint32, uids []imap.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, uid := range uids {
		k := troubleKey{name, validity, uid}
		t := c.trouble[k]
		if len(uids) == 1 {
			t.deaths++
		}
		t.at = time.Now()
		c.trouble[k] = t
	}
}

// suspect marks a message to be fetched alone.
func (c *Channel) suspect(name string, validity uint32, uid imap.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := troubleKey{name, validity, uid}
	t := c.trouble[k]
	t.at = time.Now()
	c.trouble[k] = t
}

// clearTrouble forgets messages that were fetched.
func (c *Channel) clearTrouble(name string, validity uint32, uids []imap.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.trouble) == 0 {
		return
	}
	for _, uid := range uids {
		delete(c.trouble, troubleKey{name, validity, uid})
	}
}

// sizes returns the UIDs and sizes of the messages in set, above after,
// in UID order. It lists the UIDs first (UID SEARCH reads only the index),
// then asks their sizes; a message that broke the connection before is
// not asked (its size is unknown: 0), and when the connection breaks now,
// the message it broke at is remembered, so the next Sync gets past it.
func (y *syncer) sizes(set imap.UIDSet, after imap.UID) ([]sized, error) {
	var opts *imap.SearchOptions
	if y.s.caps.Has(imap.CapESearch) || y.s.caps.Has(imap.CapIMAP4rev2) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	res, err := y.s.cl.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, opts).Wait()
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	uids := slices.DeleteFunc(res.AllUIDs(), func(u imap.UID) bool { return u <= after })
	slices.Sort(uids)
	trouble := y.c.troubleOf(y.name, y.validity)
	asked := 0
	for _, u := range uids {
		if _, bad := trouble[u]; !bad {
			asked++
		}
	}
	size := make(map[imap.UID]int64, asked)
	if asked > 0 {
		// The ranges asked, not the UIDs found: a short command line
		// however fragmented the folder (servers cap it, 64 KB for
		// Dovecot).
		ask := without(set, trouble)
		cmd := y.s.cl.Fetch(ask, &imap.FetchOptions{UID: true, RFC822Size: true})
		err := y.s.each(cmd, func(buf response) { size[buf.uid] = buf.size })
		if err != nil {
			return nil, y.sizesBroken(uids, size, trouble, err)
		}
		if err := cmd.Close(); err != nil {
			if !serverRefused(err) {
				return nil, y.sizesBroken(uids, size, trouble, err)
			}
			y.log.Warn("the server did not tell some message sizes", "folder", y.name, "err", err)
		}
	}
	out := make([]sized, 0, len(uids))
	for _, u := range uids {
		out = append(out, sized{uid: u, size: size[u]})
	}
	return out, nil
}

// without returns set minus the troubled UIDs, as ranges.
func without(set imap.UIDSet, trouble map[imap.UID]trouble) imap.UIDSet {
	if len(trouble) == 0 {
		return set
	}
	bad := make([]imap.UID, 0, len(trouble))
	for u := range trouble {
		bad = append(bad, u)
	}
	slices.Sort(bad)
	var out imap.UIDSet
	for _, r := range set {
		if r.Start == 0 { // "*"
			out = append(out, r)
			continue
		}
		start := r.Start
		for _, u := range bad {
			if u < start || (r.Stop != 0 && u > r.Stop) {
				continue
			}
			if u > start {
				out.AddRange(start, u-1)
			}
			start = u + 1
		}
		if r.Stop == 0 || start <= r.Stop {
			out = append(out, imap.UIDRange{Start: start, Stop: r.Stop})
		}
	}
	return out
}

// sizesBroken remembers, when the connection broke while the server sent
// sizes (in UID order), the first message it did not send: a suspect.
func (y *syncer) sizesBroken(uids []imap.UID, got map[imap.UID]int64, trouble map[imap.UID]trouble, err error) error {
	for _, u := range uids {
		if _, ok := got[u]; !ok {
			if _, bad := trouble[u]; !bad {
				y.c.suspect(y.name, y.validity, u)
				break
			}
		}
	}
	return err
}

// flags reads the flags that changed since the cursor's MODSEQ (RFC 7162
// section 3.1.4, FETCH CHANGEDSINCE) and hands \Seen to the sink.
func (y *syncer) flags(ctx context.Context, name string, cur cursor) error {
	ss, ok := y.sink.(channels.SeenSink)
	if !ok {
		return nil
	}
	cmd := y.s.cl.Fetch(imap.UIDSet{{Start: 1, Stop: cur.Last}}, &imap.FetchOptions{
		UID: true, Flags: true, ChangedSince: cur.ModSeq, BodySection: messageIDHeader(),
	})
	seen := map[bool][]string{}
	err := y.s.each(cmd, func(buf response) {
		if id := messageID(buf); id != "" {
			s := slices.Contains(buf.flags, imap.FlagSeen)
			seen[s] = append(seen[s], id)
		}
	})
	if err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("read changed flags in %s: %w", name, err)
	}
	return reportSeen(ctx, ss, seen)
}

// reportSeen hands the sink the Message-IDs now seen and now unseen, as
// the prefixes of their external ids (see ExternalID).
func reportSeen(ctx context.Context, ss channels.SeenSink, seen map[bool][]string) error {
	for _, s := range []bool{true, false} {
		if len(seen[s]) == 0 {
			continue
		}
		prefixes := make([]string, len(seen[s]))
		for i, id := range seen[s] {
			prefixes[i] = id + "#"
		}
		if err := ss.SetSeen(ctx, inbox.ChannelEmail, prefixes, s); err != nil {
			return err
		}
	}
	return nil
}

// reflag follows \Seen on a server without CONDSTORE: it reads the flags
// of the stored range [Oldest, Last] again (one UID FETCH … (FLAGS)),
// compares them with the cursor's Unseen and hands the sink the messages
// read or marked unread since, whose Message-IDs it fetches (a second
// command, only when something changed). Unseen becomes what it read.
func (y *syncer) reflag(ctx context.Context, name string, cur *cursor) error {
	ss, ok := y.sink.(channels.SeenSink)
	if !ok {
		cur.Flags, cur.Unseen = false, nil
		return nil
	}
	if cur.Last == 0 || cur.Oldest > cur.Last {
		// Nothing stored yet: the messages fetched from now on bring
		// their flags (run).
		cur.Flags, cur.Unseen = true, nil
		return nil
	}
	cmd := y.s.cl.Fetch(imap.UIDSet{{Start: cur.Oldest, Stop: cur.Last}}, &imap.FetchOptions{UID: true, Flags: true})
	var unseen imap.UIDSet
	var changed imap.UIDSet
	now := map[imap.UID]bool{} // seen now, for the changed ones
	err := y.s.each(cmd, func(buf response) {
		if buf.uid == 0 {
			return
		}
		seen := slices.Contains(buf.flags, imap.FlagSeen)
		if !seen {
			unseen.AddNum(buf.uid)
		}
		if wasSeen := !imap.UIDSet(cur.Unseen).Contains(buf.uid); wasSeen != seen {
			changed.AddNum(buf.uid)
			now[buf.uid] = seen
		}
	})
	if err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("read flags in %s: %w", name, err)
	}
	known := cur.Flags
	cur.Flags, cur.Unseen = true, uidSet(unseen)
	if !known || len(changed) == 0 {
		return nil // a first reading only records the flags
	}
	ids, err := y.messageIDs(name, changed)
	if err != nil {
		return err
	}
	seen := map[bool][]string{}
	for uid, id := range ids {
		seen[now[uid]] = append(seen[now[uid]], id)
	}
	for _, list := range seen {
		slices.Sort(list)
	}
	y.log.Debug("flags changed", "folder", name, "seen", len(seen[true]), "unseen", len(seen[false]))
	return reportSeen(ctx, ss, seen)
}

// messageIDs fetches the Message-IDs of the messages, by UID; those
// without one are left out.
func (y *syncer) messageIDs(name string, uids imap.UIDSet) (map[imap.UID]string, error) {
	cmd := y.s.cl.Fetch(uids, &imap.FetchOptions{UID: true, BodySection: messageIDHeader()})
	out := map[imap.UID]string{}
	err := y.s.each(cmd, func(buf response) {
		if id := messageID(buf); id != "" && buf.uid != 0 {
			out[buf.uid] = id
		}
	})
	if err != nil {
		return nil, err
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("read Message-IDs in %s: %w", name, err)
	}
	return out, nil
}

// messageIDHeader asks a FETCH for the Message-Id field of the header,
// leaving \Seen alone.
func messageIDHeader() []*imap.FetchItemBodySection {
	return []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Message-Id"}, Peek: true}}
}

// messageID returns the first Message-ID of a response to a FETCH asking
// for messageIDHeader, "" when it has none.
func messageID(buf response) string {
	if ids := msgIDs(headerValue(buf.body, "Message-Id")); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// headerValue returns the unfolded value of a field in a raw header.
func headerValue(raw []byte, key string) string {
	var out []string
	in := false
	for _, line := range strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n") {
		switch {
		case in && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")):
			out = append(out, strings.TrimSpace(line))
		case len(line) > len(key) && strings.EqualFold(line[:len(key)], key) && line[len(key)] == ':':
			in = true
			out = append(out, strings.TrimSpace(line[len(key)+1:]))
		default:
			if in {
				return strings.Join(out, " ")
			}
		}
	}
	return strings.Join(out, " ")
}

// response is one FETCH response, with the one body section asked for
// (nil when the server sent none).
type response struct {
	uid   imap.UID
	flags []imap.Flag
	date  time.Time
	size  int64
	body  []byte
}

// each reads the responses of a FETCH command one by one (see collect)
// and hands them to f until the command has no more. It returns the first
// read error, after which cmd must not be touched again; otherwise the
// caller closes cmd, whose error says whether the server answered the
// whole command.
func (s *session) each(cmd *imapclient.FetchCommand, f func(response)) error {
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		r, err := s.collect(m)
		if err != nil {
			return err
		}
		f(r)
	}
	return nil
}

// collect reads one FETCH response. Unlike FetchMessageData.Collect it
// leaves the response alone after a failed read and closes the connection
// instead: go-imap v2.0.0-beta.8 would read the broken literal a second
// time, from this goroutine while its reader goroutine goes on (a data
// race). After an error the caller must not touch the command again.
func (s *session) collect(m *imapclient.FetchMessageData) (response, error) {
	var r response
	for {
		item := m.Next()
		if item == nil {
			return r, nil
		}
		switch it := item.(type) {
		case imapclient.FetchItemDataUID:
			r.uid = it.UID
		case imapclient.FetchItemDataFlags:
			r.flags = it.Flags
		case imapclient.FetchItemDataInternalDate:
			r.date = it.Time
		case imapclient.FetchItemDataRFC822Size:
			r.size = it.Size
		case imapclient.FetchItemDataBodySection:
			if it.Literal == nil {
				r.body = []byte{}
				continue
			}
			b, err := io.ReadAll(it.Literal)
			if err == nil && int64(len(b)) < it.Literal.Size() {
				// The connection ended inside the literal, which the
				// reader reports as a plain EOF.
				err = io.ErrUnexpectedEOF
			}
			if err != nil {
				s.cl.Close()
				return r, err
			}
			if r.body == nil {
				r.body = b
			}
		}
	}
}

// fetched is one message read from the server.
type fetched struct {
	uid   imap.UID
	flags []imap.Flag
	date  time.Time
	size  int64
	raw   []byte
	// headerOnly says why raw is the header only, "" for a whole message.
	headerOnly string
}

// batch is what the fetcher hands the committer.
type batch struct {
	step    step
	msgs    []fetched
	failed  []imap.UID // fetches that failed; retried later
	parked  []imap.UID // not fetched this time; retried later
	missing []imap.UID // gone from the server (expunged meanwhile)
	parsed  []inbox.Incoming
	err     error
}

// run works through the plan in three stages that overlap: one goroutine
// fetches batches, one parses them (on every CPU), and this one commits
// them, in plan order, each with the cursor that follows it.
func (y *syncer) run(ctx context.Context, name string, cur *cursor, plan []step, total int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fetched := make(chan batch, 1)
	parsed := make(chan batch, 1)
	var wg sync.WaitGroup
	send := func(ch chan<- batch, b batch) bool {
		select {
		case ch <- b:
			return b.err == nil
		case <-ctx.Done():
			return false
		}
	}
	wg.Go(func() {
		defer close(fetched)
		for _, p := range plan {
			if !send(fetched, y.fetch(name, y.validity, p)) {
				return
			}
		}
	})
	wg.Go(func() {
		defer close(parsed)
		for b := range fetched {
			if b.err == nil {
				b.parsed, b.err = y.parse(b.msgs)
			}
			if !send(parsed, b) {
				return
			}
		}
	})
	defer wg.Wait()
	done := 0
	y.sink.Progress(channels.Progress{Account: y.c.name, Folder: name, Done: 0, Total: total})
	for b := range parsed {
		if b.err != nil {
			y.s.cl.Close() // stops the fetcher mid-command; Sync ends
			return b.err
		}
		msgs := b.parsed
		var ok []imap.UID
		for _, m := range b.msgs {
			ok = append(ok, m.uid)
		}
		b.step.advance(cur)
		for _, uid := range ok {
			delete(cur.Retry, uid)
		}
		if cur.Flags {
			// Without CONDSTORE the cursor remembers what is unread.
			for _, m := range b.msgs {
				if !slices.Contains(m.flags, imap.FlagSeen) {
					(*imap.UIDSet)(&cur.Unseen).AddNum(m.uid)
				}
			}
		}
		for _, uid := range b.missing {
			delete(cur.Retry, uid)
		}
		for _, uid := range b.parked {
			if cur.Retry == nil {
				cur.Retry = map[imap.UID]int{}
			}
			cur.Retry[uid] = max(cur.Retry[uid], 1)
		}
		for _, uid := range b.failed {
			if cur.Retry == nil {
				cur.Retry = map[imap.UID]int{}
			}
			cur.Retry[uid]++
			if cur.Retry[uid] > maxAttempts+2 {
				// Not even its header comes: give up rather than fail
				// every sync.
				delete(cur.Retry, uid)
				y.log.Error("message cannot be fetched; giving up", "folder", name, "uid", uid)
				continue
			}
			y.log.Warn("message not fetched; will retry", "folder", name, "uid", uid, "attempt", cur.Retry[uid])
		}
		raw, _ := json.Marshal(cur)
		if _, err := y.sink.Commit(ctx, inbox.Batch{Account: y.c.name, Messages: msgs, CursorKey: CursorKey(name), Cursor: raw}); err != nil {
			y.s.cl.Close()
			return err
		}
		done += len(b.step.uids)
		y.sink.Progress(channels.Progress{Account: y.c.name, Folder: name, Done: done, Total: total})
	}
	return ctx.Err()
}

// fetch reads one batch: whole messages (BODY.PEEK[], which leaves \Seen
// alone), with their flags, arrival time and size; messages over the size
// limit, and those that failed maxAttempts times, with their header only.
func (y *syncer) fetch(name string, validity uint32, p step) batch {
	b := batch{step: p}
	var whole, header imap.UIDSet
	want := map[imap.UID]sized{}
	for _, s := range p.uids {
		if s.park {
			b.parked = append(b.parked, s.uid)
			continue
		}
		want[s.uid] = s
		if s.size > y.c.maxSize || s.headerOnly {
			header.AddNum(s.uid)
		} else {
			whole.AddNum(s.uid)
		}
	}
	got := map[imap.UID]bool{}  // stored in b.msgs
	seen := map[imap.UID]bool{} // the server answered for it
	var refused error
	for _, part := range []struct {
		set     imap.UIDSet
		section imap.FetchItemBodySection
	}{{whole, imap.FetchItemBodySection{Peek: true}}, {header, imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}}} {
		if len(part.set) == 0 {
			continue
		}
		cmd := y.s.cl.Fetch(part.set, &imap.FetchOptions{
			UID: true, Flags: true, InternalDate: true, RFC822Size: true,
			BodySection: []*imap.FetchItemBodySection{&part.section},
		})
		err := y.s.each(cmd, func(buf response) {
			s, ok := want[buf.uid]
			if !ok {
				return
			}
			seen[buf.uid] = true
			if buf.body == nil {
				return
			}
			f := fetched{uid: buf.uid, flags: buf.flags, date: buf.date, size: buf.size, raw: buf.body}
			if part.section.Specifier == imap.PartSpecifierHeader {
				f.headerOnly = fmt.Sprintf("the message is %s, over the %s limit: only its header was fetched; read it in a mail client", humanSize(f.size), humanSize(y.c.maxSize))
				if s.headerOnly {
					f.headerOnly = fmt.Sprintf("the server failed %d times to send this message: only its header was fetched; read it in a mail client", maxAttempts)
				}
			}
			got[buf.uid] = true
			b.msgs = append(b.msgs, f)
		})
		if err != nil {
			b.err = y.broken(name, validity, p, got, err)
			return b
		}
		if err := cmd.Close(); err != nil {
			if !serverRefused(err) {
				b.err = y.broken(name, validity, p, got, err)
				return b
			}
			refused = err
		}
	}
	if len(p.uids) == 1 {
		y.c.clearTrouble(name, validity, []imap.UID{p.uids[0].uid})
	}
	for _, s := range p.uids {
		switch {
		case s.park:
		case got[s.uid]:
		case seen[s.uid] || refused != nil:
			b.failed = append(b.failed, s.uid)
		default:
			b.missing = append(b.missing, s.uid)
		}
	}
	if len(b.failed) > 0 {
		y.log.Warn("the server did not send some messages", "failed", len(b.failed), "err", refused)
	}
	return b
}

// broken notes which messages were being fetched when the connection
// broke, so the next Sync fetches them alone and one message the server
// cannot send does not stop the folder for good.
func (y *syncer) broken(name string, validity uint32, p step, got map[imap.UID]bool, err error) error {
	var pending []imap.UID
	for _, s := range p.uids {
		if !got[s.uid] && !s.park {
			pending = append(pending, s.uid)
		}
	}
	y.c.noteTrouble(name, validity, pending)
	if len(pending) == 1 {
		y.log.Warn("connection lost while fetching one message", "folder", name, "uid", pending[0], "err", err)
	}
	return err
}

// parse turns fetched messages into Incoming values, on every CPU.
func (y *syncer) parse(ms []fetched) ([]inbox.Incoming, error) {
	out := make([]inbox.Incoming, len(ms))
	errs := make([]error, len(ms))
	var next atomic.Int64
	var wg sync.WaitGroup
	// More workers than CPUs: storing a blob waits on the disk.
	for range min(max(8, runtime.GOMAXPROCS(0)), len(ms)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ms) {
					return
				}
				out[i], errs[i] = y.incoming(ms[i])
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// incoming parses one message and adds what IMAP knows about it.
func (y *syncer) incoming(f fetched) (inbox.Incoming, error) {
	raw := f.raw
	if f.headerOnly != "" {
		raw = append(bytes.TrimRight(raw, "\r\n"), "\r\n\r\n"...)
	}
	p := y.parser
	if y.sent {
		// What the Sent folder holds is the business's own, even from an
		// address not configured as an alias.
		if a, err := mail.ParseAddress(headerValue(raw, "From")); err == nil {
			from := strings.ToLower(a.Address)
			p.Own = func(addr string) bool { return addr == from || y.c.own(addr) }
		}
	}
	in, err := p.Parse(raw)
	if err != nil {
		return in, err
	}
	m := &in.Message
	if !f.date.IsZero() {
		m.ReceivedAt = f.date
	}
	m.Seen = slices.Contains(f.flags, imap.FlagSeen)
	if f.headerOnly != "" {
		w := f.headerOnly
		if m.Warning != "" {
			w += "; " + m.Warning
		}
		m.Warning = w
	}
	return in, nil
}

// humanSize renders a byte count as "31 MB".
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", (n+(1<<19))>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+(1<<9))>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// watch keeps the account in step after the first pass: IDLE on INBOX
// (RFC 2177), fetching INBOX whenever the server reports a change, and
// every folder every pollEvery. Servers without IDLE are polled.
func (y *syncer) watch(ctx context.Context) error {
	s := y.s
	tick := time.NewTicker(y.c.pollEvery)
	defer tick.Stop()
	canIdle := s.caps.Has(imap.CapIdle) || s.caps.Has(imap.CapIMAP4rev2)
	for {
		inboxOnly := false
		if canIdle {
			sel, err := s.cl.Select("INBOX", &imap.SelectOptions{CondStore: s.condstore()}).Wait()
			if err != nil {
				return fmt.Errorf("select INBOX: %w", err)
			}
			// Mail that arrived since INBOX was read is in this SELECT's
			// answer, and no IDLE notice will come for it; notices that
			// came before it are stale.
			select {
			case <-s.wake:
			default:
			}
			if stale, err := y.stale("INBOX", sel); err != nil {
				return err
			} else if stale {
				y.sent = false
				if err := y.folder(ctx, "INBOX", nil); err != nil && (ctx.Err() != nil || !serverRefused(err)) {
					return err
				}
				continue
			}
			idle, err := s.cl.Idle()
			if err != nil {
				return fmt.Errorf("idle: %w", err)
			}
			select {
			case <-ctx.Done():
				idle.Close()
				return ctx.Err()
			case <-s.cl.Closed():
				return errors.New("the server closed the connection")
			case <-s.wake:
				inboxOnly = true
			case <-tick.C:
			}
			if err := idle.Close(); err != nil {
				return fmt.Errorf("end idle: %w", err)
			}
			if err := idle.Wait(); err != nil {
				return fmt.Errorf("idle: %w", err)
			}
		} else {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
		}
		var err error
		if inboxOnly {
			y.sent = false
			err = y.folder(ctx, "INBOX", nil)
		} else {
			err = y.all(ctx)
		}
		if err != nil && (ctx.Err() != nil || !serverRefused(err)) {
			return err
		}
	}
}

// stale reports whether a selected folder changed since its cursor was
// saved.
func (y *syncer) stale(name string, sel *imap.SelectData) (bool, error) {
	cur, err := y.loadCursor(name)
	if err != nil {
		return false, err
	}
	return sel.UIDValidity != cur.UIDValidity || (sel.UIDNext != 0 && sel.UIDNext-1 > cur.Last) ||
		(y.s.condstore() && sel.HighestModSeq != 0 && sel.HighestModSeq != cur.ModSeq), nil
}
