package twilio

import (
	"context"
	"strings"
	"testing"

	"github.com/couture/couture/inbox"
)

// TestSendRefusesAttachments: Twilio fetches media from a public URL,
// which Couture does not have, so an answer with a file never reaches it.
func TestSendRefusesAttachments(t *testing.T) {
	for _, ch := range []inbox.ChannelKind{inbox.ChannelSMS, inbox.ChannelWhatsApp} {
		t.Run(string(ch), func(t *testing.T) {
			e := newEnv(t)
			m := reply(ch, anna, "Your quote")
			m.Attachments = []inbox.Attachment{{Name: "devis.pdf", Type: "application/pdf", Size: 12, Blob: "abc"}}
			_, err := e.ch.Send(context.Background(), m)
			if inbox.ErrorCode(err) != inbox.Invalid || !strings.Contains(inbox.Explain(err), "Twilio fetches media from a public URL") {
				t.Errorf("Send = %v, want the refusal", err)
			}
			if n := len(e.fake.Requests()); n != 0 {
				t.Errorf("%d requests reached Twilio", n)
			}
		})
	}
}
