package email

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

var _ channels.Flagger = (*Channel)(nil)

// imapFlags maps Couture's flags to IMAP's (RFC 9051 section 2.3.2).
var imapFlags = map[inbox.Flag]imap.Flag{
	inbox.FlagSeen:     imap.FlagSeen,
	inbox.FlagAnswered: imap.FlagAnswered,
}

// flagOp is one STORE to make: add or remove a flag on the messages with
// these Message-IDs.
type flagOp struct {
	flag imap.Flag
	on   bool
	ids  []string
}

// SetFlags implements channels.Flagger: it puts each change (\Seen when a
// customer was read in Couture, \Answered on the message an answer
// replied to) on every copy of the message, found by its Message-ID, in
// every folder Sync reads, so other mail clients show it too. A message
// the server no longer has, or one without a Message-ID, is skipped. It
// opens its own connection; the next Sync reads the change back as
// already known.
func (c *Channel) SetFlags(ctx context.Context, changes []inbox.FlagChange) error {
	type opKey struct {
		flag imap.Flag
		on   bool
	}
	var ops []flagOp
	index := map[opKey]int{}
	for _, ch := range changes {
		f, ok := imapFlags[ch.Flag]
		id := MessageIDOf(ch.ExternalID)
		if !ok || id == "" {
			continue
		}
		k := opKey{f, ch.On}
		i, ok := index[k]
		if !ok {
			i = len(ops)
			index[k] = i
			ops = append(ops, flagOp{flag: f, on: ch.On})
		}
		ops[i].ids = append(ops[i].ids, id)
	}
	return c.storeFlags(ctx, ops)
}

// MarkSeen sets the server's \Seen flag (or clears it, when seen is false)
// on every copy of the messages with these Message-IDs (without angle
// brackets, as MessageIDOf returns them), as SetFlags does.
func (c *Channel) MarkSeen(ctx context.Context, messageIDs []string, seen bool) error {
	if len(messageIDs) == 0 {
		return nil
	}
	return c.storeFlags(ctx, []flagOp{{flag: imap.FlagSeen, on: seen, ids: messageIDs}})
}

// storeFlags makes the STOREs of ops in every synced folder that has
// messages: one SELECT per folder, then per op a UID SEARCH for 50
// Message-IDs at a time and one UID STORE of what it found. A folder or a
// command the server refuses (NO, BAD) is skipped; a broken connection
// fails the whole call.
func (c *Channel) storeFlags(ctx context.Context, ops []flagOp) error {
	if len(ops) == 0 {
		return nil
	}
	s, err := c.connect(ctx)
	if err != nil {
		return err
	}
	defer s.close()
	folders, err := s.folders()
	if err != nil {
		return connError("IMAP", c.imap, err)
	}
	for _, f := range folders {
		if !f.synced() || (f.status != nil && f.status.NumMessages != nil && *f.status.NumMessages == 0) {
			continue
		}
		if _, err := s.cl.Select(f.name, nil).Wait(); err != nil {
			if serverRefused(err) {
				continue
			}
			return connError("IMAP", c.imap, err)
		}
		for _, op := range ops {
			if err := s.storeFlag(f.name, op); err != nil {
				if serverRefused(err) {
					c.log.Warn("flags not set in a folder", "folder", f.name, "flag", op.flag, "err", err)
					continue
				}
				return inbox.Wrap(inbox.Unavailable, err, "lost the connection to the IMAP server "+c.imap.addr)
			}
		}
	}
	return nil
}

// storeFlag makes one op in the selected folder.
func (s *session) storeFlag(folder string, op flagOp) error {
	mode := imap.StoreFlagsAdd
	if !op.on {
		mode = imap.StoreFlagsDel
	}
	for start := 0; start < len(op.ids); start += 50 {
		crit := byMessageID(op.ids[start:min(start+50, len(op.ids))])
		res, err := s.cl.UIDSearch(crit, nil).Wait()
		if err != nil {
			return fmt.Errorf("search %s: %w", folder, err)
		}
		uids := res.AllUIDs()
		if len(uids) == 0 {
			continue
		}
		store := &imap.StoreFlags{Op: mode, Silent: true, Flags: []imap.Flag{op.flag}}
		if err := s.cl.Store(imap.UIDSetNum(uids...), store, nil).Close(); err != nil {
			return fmt.Errorf("flag %d messages %s in %s: %w", len(uids), op.flag, folder, err)
		}
	}
	return nil
}

// byMessageID is a SEARCH for any of the Message-IDs (RFC 9051 section
// 6.4.4: OR of HEADER keys).
func byMessageID(ids []string) *imap.SearchCriteria {
	crit := imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + ids[0] + ">"}}}
	for _, id := range ids[1:] {
		one := imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + id + ">"}}}
		crit = imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{crit, one}}}
	}
	return &crit
}
