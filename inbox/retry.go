package inbox

// Retry puts a failed or uncertain answer back in the outbox: a person
// looked at it and decided it should go (again). The outbox worker sends it
// on its next pass; an uncertain answer may then reach the customer twice,
// which is what the person accepted.
func (d *Desk) Retry(id MessageID) error {
	m, err := d.store.UpdateMessage(id, func(m *Message) error {
		if m.Direction != Out {
			return Errorf(Invalid, "message %d is not an answer; only answers are sent", id)
		}
		switch m.State {
		case StateFailed, StateUncertain:
		default:
			return Errorf(Conflict, "answer %d is %s; only failed or uncertain answers can be sent again", id, m.State)
		}
		m.State, m.Error = StateQueued, ""
		return nil
	})
	if err != nil {
		return err
	}
	d.events.Publish(Change{Kind: CustomerChanged, Customer: m.CustomerID, Message: id})
	return nil
}
