package email

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// MarkSeen keeps the server's \Seen flag in step with Couture: it sets the
// flag (or clears it, when seen is false) on every copy of the messages
// with these Message-IDs (without angle brackets, as MessageIDOf returns
// them), in every folder Sync reads, so a mail client shows them read too.
// It opens its own connection; the next Sync sees the change as already
// known.
func (c *Channel) MarkSeen(ctx context.Context, messageIDs []string, seen bool) error {
	if len(messageIDs) == 0 {
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
	op := imap.StoreFlagsAdd
	if !seen {
		op = imap.StoreFlagsDel
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
		for start := 0; start < len(messageIDs); start += 50 {
			crit := byMessageID(messageIDs[start:min(start+50, len(messageIDs))])
			res, err := s.cl.UIDSearch(crit, nil).Wait()
			if err != nil {
				return fmt.Errorf("search %s: %w", f.name, err)
			}
			uids := res.AllUIDs()
			if len(uids) == 0 {
				continue
			}
			store := &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
			if err := s.cl.Store(imap.UIDSetNum(uids...), store, nil).Close(); err != nil {
				return fmt.Errorf("mark %d messages in %s: %w", len(uids), f.name, err)
			}
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
