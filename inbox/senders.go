package inbox

import (
	"encoding/json"
	"slices"
	"strings"
)

// SettingSenders is the setting the sender rules are saved under (JSON
// SenderRules).
const SettingSenders = "senders"

// SenderRules are what the agent taught about senders with the "this is a
// customer" and "this is not a customer" actions. Each entry is an
// identity (kind:address, as Identity.String prints it) or a whole e-mail
// domain ("email:@newsletter.example"). Ingest consults them before
// storing: a customer sender is never routed to Other, whatever the
// channel thought (a shop that writes from a no-reply address); an Other
// sender never creates a customer. An exact address wins over its domain.
//
// Teaching a rule also moves the messages stored before it (TeachSender).
type SenderRules struct {
	Customers []string `json:"customers"`
	Others    []string `json:"others"`
}

// SenderVerdict is what the rules say about one sender.
type SenderVerdict int

// Verdicts.
const (
	SenderUnknown SenderVerdict = iota
	SenderCustomer
	SenderOther
)

// Verdict returns what the rules say about id: an exact entry first, then
// its e-mail domain.
func (r *SenderRules) Verdict(id Identity) SenderVerdict {
	key := id.String()
	switch {
	case slices.Contains(r.Customers, key):
		return SenderCustomer
	case slices.Contains(r.Others, key):
		return SenderOther
	}
	if id.Kind == KindEmail {
		if at := strings.LastIndexByte(id.Address, '@'); at >= 0 {
			dom := "email:" + id.Address[at:]
			switch {
			case slices.Contains(r.Customers, dom):
				return SenderCustomer
			case slices.Contains(r.Others, dom):
				return SenderOther
			}
		}
	}
	return SenderUnknown
}

// NormalizeSender turns what a person types into a rule entry: an e-mail
// address ("Anna <anna@x.example>"), a domain ("@x.example"), a phone number
// in international form, or kind:address.
func NormalizeSender(raw string, phones PhoneNormalizer) (string, error) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return "", Errorf(Invalid, "no sender address given")
	case strings.HasPrefix(raw, "@") && !strings.Contains(raw, ":"), strings.HasPrefix(strings.ToLower(raw), "email:@"):
		dom := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(raw), "email:"), "@"))
		if dom == "" || strings.ContainsAny(dom, "@ ") || !strings.Contains(dom, ".") {
			return "", Errorf(Invalid, "%q is not an e-mail domain (@example.org)", raw)
		}
		return "email:@" + dom, nil
	case strings.HasPrefix(raw, "+") || strings.HasPrefix(raw, "00"):
		id, err := NewIdentity(KindPhone, raw, phones)
		if err != nil {
			return "", err
		}
		return id.String(), nil
	case strings.Contains(raw, "@") && !strings.HasPrefix(raw, "matrix:") && !strings.HasPrefix(raw, "email:"):
		id, err := NewIdentity(KindEmail, raw, phones)
		if err != nil {
			return "", err
		}
		return id.String(), nil
	}
	id, err := ParseIdentity(raw, phones)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// SenderRules returns the saved sender rules.
func (d *Desk) SenderRules() (SenderRules, error) {
	var r SenderRules
	b, err := d.store.Setting(SettingSenders)
	if err != nil || b == nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return SenderRules{}, Wrap(Invalid, err, "the saved sender rules do not decode")
	}
	return r, nil
}

// TeachSender records that a sender is a customer (customer true) or not
// (Other), replacing any earlier rule for the same entry, and returns the
// entry as saved. From now on Ingest routes the sender's messages
// accordingly, and the messages already stored move with the rule: out of
// Other to their customer (created when needed), or from the customer into
// Other (a customer left with nothing is removed).
func (d *Desk) TeachSender(raw string, customer bool) (string, error) {
	d.rules.Lock()
	defer d.rules.Unlock()
	key, r, _, err := d.dropSenderRule(raw)
	if err != nil {
		return "", err
	}
	want := SenderOther
	if customer {
		r.Customers = append(r.Customers, key)
		want = SenderCustomer
	} else {
		r.Others = append(r.Others, key)
	}
	if err := d.saveSenderRules(r); err != nil {
		return "", err
	}
	touched, err := d.store.Reassign(func(id Identity) bool { return r.Verdict(id) == want }, !customer, d.clock())
	if err != nil {
		return key, err
	}
	for _, id := range touched {
		d.events.Publish(Change{Kind: CustomerChanged, Customer: id})
	}
	return key, nil
}

// ForgetSender removes the rule for a sender.
func (d *Desk) ForgetSender(raw string) (string, error) {
	d.rules.Lock()
	defer d.rules.Unlock()
	key, r, had, err := d.dropSenderRule(raw)
	if err != nil {
		return "", err
	}
	if !had {
		return key, Errorf(NotFound, "no sender rule for %s", key)
	}
	return key, d.saveSenderRules(r)
}

// dropSenderRule normalizes raw to its rule entry and returns it with the
// saved rules, the entry dropped from both lists, and whether it was in
// one. The caller holds d.rules.
func (d *Desk) dropSenderRule(raw string) (key string, r SenderRules, had bool, err error) {
	if key, err = NormalizeSender(raw, d.phones); err != nil {
		return "", SenderRules{}, false, err
	}
	if r, err = d.SenderRules(); err != nil {
		return "", SenderRules{}, false, err
	}
	n := len(r.Customers) + len(r.Others)
	r.Customers = slices.DeleteFunc(r.Customers, func(s string) bool { return s == key })
	r.Others = slices.DeleteFunc(r.Others, func(s string) bool { return s == key })
	return key, r, len(r.Customers)+len(r.Others) != n, nil
}

func (d *Desk) saveSenderRules(r SenderRules) error {
	if r.Customers == nil {
		r.Customers = []string{}
	}
	if r.Others == nil {
		r.Others = []string{}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return d.store.SetSetting(SettingSenders, b)
}

// applySenderRules routes one incoming message by the rules.
func (r *SenderRules) apply(in *Incoming) {
	m := &in.Message
	if m.Direction != In {
		return
	}
	party := m.Party
	if party == (Identity{}) && m.Channel == ChannelEmail {
		if addr, err := NormalizeEmail(m.From); err == nil {
			party = Identity{KindEmail, addr}
		}
	}
	if party == (Identity{}) {
		return
	}
	switch r.Verdict(party) {
	case SenderOther:
		in.Other = true
	case SenderCustomer:
		if in.Other {
			in.Other = false
			m.Party = party
		}
	}
}
