package inbox

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Identity linking, the weak half (DESIGN.md "Identity linking"): exact
// identity matches merge customers automatically at ingestion; weaker
// evidence only suggests a merge, which a person accepts (Desk.Merge) or
// rejects (Desk.RejectSuggestion, remembered).

// SettingRejected is the setting the rejected suggestions are saved under:
// a JSON array of customer id pairs, the smaller id first.
const SettingRejected = "suggestions_rejected"

// suggestReach is how many of the customer's newest timeline entries
// Suggestions reads for addresses written in messages.
const suggestReach = 500

// Evidence kinds of a Suggestion.
const (
	// EvidenceSameName: both customers carry the same display name
	// (accents and case aside).
	EvidenceSameName = "same-name"
	// EvidenceMentioned: an e-mail address or phone number written in one
	// customer's message (or in a note about them) is an identity of the
	// other.
	EvidenceMentioned = "mentioned"
)

// Suggestion says another customer may be the same person.
type Suggestion struct {
	// Customer is the other customer; Name their display name.
	Customer CustomerID `json:"customer"`
	Name     string     `json:"name"`
	// Evidence is EvidenceSameName or EvidenceMentioned; a suggestion with
	// both kinds of evidence is EvidenceMentioned (the stronger).
	Evidence string `json:"evidence"`
	// Identity is the address written in a message (EvidenceMentioned),
	// zero for EvidenceSameName.
	Identity Identity `json:"identity,omitzero"`
	// Message is the message the address was written in (EvidenceMentioned).
	Message MessageID `json:"message,omitempty"`
	// Reason says the evidence in words a person can check: `same name
	// "Emily Carter"`, "wrote emily@example.com in a message".
	Reason string `json:"reason"`
}

// Suggestions returns the customers that may be the same person as id, the
// strongest evidence first: addresses written in messages (in either
// direction: id's messages naming another customer's address, or another
// customer's messages naming id's e-mail address, found through the search
// index when there is one), then the same display name. Pairs a person
// rejected are left out. all is every customer as the caller last read
// them (the GUI has them loaded), for the names; nil reads them from the
// store. It reads the customer's newest few hundred messages: call it off
// the UI goroutine.
func (d *Desk) Suggestions(ctx context.Context, id CustomerID, all []Customer) ([]Suggestion, error) {
	if id == OtherID {
		return nil, nil
	}
	c, err := d.store.Customer(id)
	if err != nil {
		return nil, err
	}
	rejected, err := d.rejected()
	if err != nil {
		return nil, err
	}
	if all == nil {
		if all, err = d.store.Customers(); err != nil {
			return nil, err
		}
	}
	byID := make(map[CustomerID]*Customer, len(all))
	for i := range all {
		byID[all[i].ID] = &all[i]
	}
	out := map[CustomerID]*Suggestion{}
	add := func(s Suggestion) {
		if s.Customer == id || s.Customer == OtherID || rejected[pairOf(id, s.Customer)] {
			return
		}
		other, ok := byID[s.Customer]
		if !ok {
			return
		}
		s.Name = other.Name
		if prev, ok := out[s.Customer]; ok && (prev.Evidence == EvidenceMentioned || s.Evidence != EvidenceMentioned) {
			return
		}
		out[s.Customer] = &s
	}

	// Addresses written in the customer's own messages and notes.
	err = d.newestFirst(id, suggestReach, func(m *Message) bool {
		if m.Direction != In && m.Direction != Note {
			return true
		}
		for _, ident := range d.AddressesIn(m.Text) {
			if c.Has(ident) {
				continue
			}
			owner, ok, err := d.store.Owner(ident)
			if err != nil || !ok {
				continue
			}
			add(Suggestion{Customer: owner, Evidence: EvidenceMentioned, Identity: ident, Message: m.ID,
				Reason: "wrote " + ident.Address + " in a message"})
		}
		return true
	})
	if err != nil {
		return nil, err
	}

	// The customer's e-mail addresses written in other customers' messages.
	// The index may be off or behind: then this evidence is simply missing.
	for _, ident := range c.Identities {
		if ident.Kind != KindEmail {
			continue
		}
		hits, err := d.store.Search(ctx, ident.Address, 20)
		if err != nil {
			break
		}
		for _, h := range hits {
			if h.CustomerID == id || h.CustomerID == OtherID {
				continue
			}
			m, err := d.store.Message(h.MessageID)
			if err != nil || (m.Direction != In && m.Direction != Note) {
				continue
			}
			if slices.Contains(d.AddressesIn(m.Text), ident) {
				add(Suggestion{Customer: h.CustomerID, Evidence: EvidenceMentioned, Identity: ident, Message: m.ID,
					Reason: "wrote " + ident.Address + " in a message"})
			}
		}
	}

	// The same display name.
	if name := nameKey(&c); name != "" {
		for i := range all {
			o := &all[i]
			if o.ID != id && d.names.of(o) == name {
				add(Suggestion{Customer: o.ID, Evidence: EvidenceSameName, Reason: "same name “" + strings.TrimSpace(o.Name) + "”"})
			}
		}
	}

	list := make([]Suggestion, 0, len(out))
	for _, s := range out {
		list = append(list, *s)
	}
	slices.SortFunc(list, func(a, b Suggestion) int {
		if a.Evidence != b.Evidence {
			if a.Evidence == EvidenceMentioned {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Customer, b.Customer)
	})
	return list, nil
}

// nameKey is the folded display name two customers must share for a
// EvidenceSameName suggestion; "" when the name is only an address (a customer the
// channel gave no name: see NameFrom), which says nothing about a person.
// nameKeys remembers the name key of each customer, with the name and
// the number of identities it came from, so a suggestion over 50,000
// customers folds only the names that changed since the last one.
type nameKeys struct {
	mu   sync.Mutex
	keys map[CustomerID]nameKeyEntry
}

type nameKeyEntry struct {
	name, key  string
	identities int
}

func (n *nameKeys) of(c *Customer) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e, ok := n.keys[c.ID]; ok && e.name == c.Name && e.identities == len(c.Identities) {
		return e.key
	}
	if n.keys == nil {
		n.keys = map[CustomerID]nameKeyEntry{}
	}
	k := nameKey(c)
	n.keys[c.ID] = nameKeyEntry{name: c.Name, key: k, identities: len(c.Identities)}
	return k
}

func nameKey(c *Customer) string {
	name := strings.Join(strings.Fields(Fold(c.Name)), " ")
	if name == "" || !strings.ContainsFunc(name, unicode.IsLetter) || strings.ContainsAny(name, "@+") {
		return ""
	}
	for _, id := range c.Identities {
		addr := strings.ToLower(id.Address)
		if name == addr || (id.Kind == KindEmail && strings.HasPrefix(addr, name+"@")) {
			return ""
		}
	}
	return name
}

// AddressesIn returns the e-mail addresses, phone numbers and Matrix ids
// written in text, normalized as identities (phone numbers by the Desk's
// normalizer), each once, in order of appearance.
func (d *Desk) AddressesIn(text string) []Identity {
	var out []Identity
	seen := map[Identity]bool{}
	keep := func(id Identity, err error) {
		if err == nil && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(`<>()[]{},;"'«»`, r)
	}) {
		w = strings.TrimRight(strings.TrimPrefix(w, "mailto:"), ".!?:")
		at := strings.IndexByte(w, '@')
		switch {
		case at == 0 && strings.IndexByte(w, ':') > 1:
			keep(NewIdentity(KindMatrix, w, nil))
		case at > 0 && strings.IndexByte(w[at:], '.') > 0:
			keep(NewIdentity(KindEmail, w, nil))
		}
	}
	for _, p := range phoneRuns(text) {
		keep(NewIdentity(KindPhone, p, d.phones))
	}
	return out
}

// phoneRuns returns the runs of text that may be phone numbers: a + or a
// digit, then digits and the separators people write between them, with 8
// to 15 digits in all.
func phoneRuns(text string) []string {
	var out []string
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r != '+' && (r < '0' || r > '9') {
			continue
		}
		if i > 0 && (unicode.IsLetter(rs[i-1]) || unicode.IsDigit(rs[i-1])) {
			continue
		}
		j, digits := i, 0
		for ; j < len(rs); j++ {
			c := rs[j]
			if c >= '0' && c <= '9' {
				digits++
			} else if (c == '+' && j == i) || strings.ContainsRune(" .-()\u00a0", c) {
				continue
			} else {
				break
			}
		}
		run := strings.TrimRight(string(rs[i:j]), " .-(\u00a0")
		end := i + len([]rune(run))
		if digits >= 8 && digits <= 15 && (end == len(rs) || !unicode.IsLetter(rs[end])) {
			out = append(out, run)
		}
		i = j
	}
	return out
}

// RejectSuggestion remembers that a and b are not the same person:
// Suggestions never offers the pair again.
func (d *Desk) RejectSuggestion(a, b CustomerID) error {
	if a == b {
		return Errorf(Invalid, "a customer is always the same person as themselves")
	}
	rejected, err := d.rejected()
	if err != nil {
		return err
	}
	p := pairOf(a, b)
	if rejected[p] {
		return nil
	}
	rejected[p] = true
	list := make([][2]CustomerID, 0, len(rejected))
	for p := range rejected {
		list = append(list, p)
	}
	slices.SortFunc(list, func(x, y [2]CustomerID) int {
		return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1]))
	})
	buf, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return d.store.SetSetting(SettingRejected, buf)
}

func pairOf(a, b CustomerID) [2]CustomerID {
	if a > b {
		a, b = b, a
	}
	return [2]CustomerID{a, b}
}

func (d *Desk) rejected() (map[[2]CustomerID]bool, error) {
	buf, err := d.store.Setting(SettingRejected)
	if err != nil {
		return nil, err
	}
	out := map[[2]CustomerID]bool{}
	if buf == nil {
		return out, nil
	}
	var list [][2]CustomerID
	if err := json.Unmarshal(buf, &list); err != nil {
		return nil, Wrap(Invalid, err, "the rejected merge suggestions do not decode")
	}
	for _, p := range list {
		out[pairOf(p[0], p[1])] = true
	}
	return out, nil
}
