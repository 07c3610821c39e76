package inbox

import (
	"encoding/json"
	"strconv"
	"strings"
)

// settingDraft prefixes the setting a customer's draft is saved under:
// "draft/<customer id>".
const settingDraft = "draft/"

// Draft is an answer or a note a person started writing to a customer and
// has not sent yet. It is kept per customer across restarts, so leaving a
// customer (or closing the app) never loses a half-written answer.
type Draft struct {
	// Channel is the channel the answer was going out on; "" for the
	// customer's default (DefaultChannel).
	Channel ChannelKind `json:"channel,omitempty"`
	// To is the identity picked on Channel; zero for the Desk's choice.
	To      Identity `json:"to,omitzero"`
	Subject string   `json:"subject,omitempty"`
	Text    string   `json:"text,omitempty"`
	// Note is true when the person was writing an internal note.
	Note bool `json:"note,omitempty"`
	// Attachments are the files attached so far, already in the blob store
	// (PutAttachment), so they survive a restart with the draft.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Empty reports whether the draft holds nothing worth keeping: no text, no
// subject and no attachment (a channel choice alone is not kept).
func (d Draft) Empty() bool {
	return strings.TrimSpace(d.Text) == "" && strings.TrimSpace(d.Subject) == "" && len(d.Attachments) == 0
}

func draftKey(id CustomerID) string { return settingDraft + strconv.FormatUint(uint64(id), 10) }

// Draft returns the customer's saved draft; the zero Draft when none.
func (d *Desk) Draft(id CustomerID) (Draft, error) {
	b, err := d.store.Setting(draftKey(id))
	if err != nil || b == nil {
		return Draft{}, err
	}
	var dr Draft
	if err := json.Unmarshal(b, &dr); err != nil {
		// A draft that does not decode is not worth an error a person has
		// to act on: it is dropped, as if it had been sent.
		return Draft{}, nil
	}
	return dr, nil
}

// SaveDraft keeps dr as the customer's draft; an empty draft (see
// Draft.Empty) deletes the saved one. It writes one small setting and
// publishes no change: nothing in a list depends on drafts.
func (d *Desk) SaveDraft(id CustomerID, dr Draft) error {
	if dr.Empty() {
		return d.store.SetSetting(draftKey(id), nil)
	}
	b, err := json.Marshal(dr)
	if err != nil {
		return err
	}
	return d.store.SetSetting(draftKey(id), b)
}
