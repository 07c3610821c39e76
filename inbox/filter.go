package inbox

import "strings"

// Match reports whether customer c passes the filter, as Desk.Customers
// judges it: c as Desk.Customers returns it (an expired snooze already reads
// open). The GUI loads every customer once and filters them again as a
// person changes the filter, counting each status without a store read.
func (f Filter) Match(c *Customer) bool {
	if c.ID == OtherID {
		return false
	}
	if f.Status != "" && c.Status != f.Status {
		return false
	}
	if f.Unread && c.Unread == 0 {
		return false
	}
	if f.Channel != "" && !hasKind(c.Identities, f.Channel.IdentityKind()) {
		return false
	}
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" && !matches(c, q) {
		return false
	}
	return true
}
