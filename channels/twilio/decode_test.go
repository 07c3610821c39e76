package twilio

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/phone"
)

// stubMedia stands in for the Media subresource: every message has its
// num_media files, "stored" under a fixed key.
type stubMedia struct{}

func (stubMedia) media(_ context.Context, m *apiMessage) ([]inbox.Attachment, []string, error) {
	var out []inbox.Attachment
	for i := 0; i < int(m.NumMedia) && i < 10; i++ {
		out = append(out, inbox.Attachment{Name: "ME" + strings.Repeat("0", 32) + extension("image/jpeg"), Type: "image/jpeg", Blob: strings.Repeat("cd", 32)})
	}
	return out, nil, nil
}

// TestDecodeListPage decodes the readFullPage1 example of ListMessage in
// Twilio's OpenAPI description (testdata/messages_page.json): the outbound
// message is skipped, the inbound MMS becomes an SMS-channel message.
func TestDecodeListPage(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "messages_page.json"))
	if err != nil {
		t.Fatal(err)
	}
	var page messagePage
	if err := json.Unmarshal(data, &page); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.NextPageURI, "PageToken=PAMMc26223853f8c46b4ab7dfaa6abba0a26") {
		t.Errorf("next_page_uri = %q", page.NextPageURI)
	}
	var got []inbox.Incoming
	for _, raw := range page.Messages {
		m, err := decodeMessage(raw)
		if err != nil {
			t.Fatal(err)
		}
		in, ok, err := incoming(context.Background(), m, testAccount, phone.Normalizer{}, stubMedia{})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, in)
		}
	}
	if len(got) != 1 {
		t.Fatalf("decoded %d messages, want the one inbound", len(got))
	}
	m := got[0].Message
	if m.ExternalID != "MMc26223853f8c46b4ab7dfaa6abba0a26" || m.Channel != inbox.ChannelSMS || m.Text != "look mom I have media!" ||
		m.Party != (inbox.Identity{Kind: inbox.KindPhone, Address: "+12019235161"}) || len(m.Attachments) != 3 ||
		m.SentAt.Format("2006-01-02 15:04:05") != "2019-05-24 17:44:49" {
		t.Errorf("decoded %+v", m)
	}
}

// FuzzTwilioMessage feeds arbitrary Message resources to the decoder: it
// must never panic, and what it accepts must be a message the store can
// take: the SID as external id, sms or whatsapp, an E.164 phone party (or
// the Other view).
func FuzzTwilioMessage(f *testing.F) {
	f.Add([]byte(`{"sid":"SM0123456789abcdef0123456789abcdef","from":"+33612345678","to":"+12025550143","body":"hi","status":"received","direction":"inbound","date_sent":"Fri, 24 May 2019 17:44:49 +0000","num_media":"0"}`))
	f.Add([]byte(`{"sid":"MM0123456789abcdef0123456789abcdef","from":"whatsapp:+33612345678","to":"whatsapp:+12025550144","body":"","status":"received","direction":"inbound","date_sent":null,"date_created":"Fri, 24 May 2019 17:44:49 +0000","num_media":2,"error_code":null}`))
	f.Add([]byte(`{"sid":"SM1","from":"TWVERIFY","direction":"inbound","status":"received","num_media":"x"}`))
	f.Add([]byte(`{"sid":"SM2","from":"WhatsApp:0033 6 12 34 56 78","direction":"inbound","status":"received","error_code":"63016"}`))
	f.Add([]byte(`{"direction":"outbound-api","status":"queued"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMessage(data)
		if err != nil {
			return
		}
		_ = delivery(m, "")
		in, ok, err := incoming(context.Background(), m, testAccount, phone.Normalizer{}, stubMedia{})
		if err != nil || !ok {
			return
		}
		msg := in.Message
		if msg.ExternalID != m.SID || msg.ExternalID == "" {
			t.Errorf("external id %q for SID %q", msg.ExternalID, m.SID)
		}
		if msg.Channel != inbox.ChannelSMS && msg.Channel != inbox.ChannelWhatsApp {
			t.Errorf("channel %q", msg.Channel)
		}
		if msg.Direction != inbox.In {
			t.Errorf("direction %q", msg.Direction)
		}
		if !in.Other {
			id, err := inbox.NewIdentity(inbox.KindPhone, msg.Party.Address, phone.Normalizer{})
			if err != nil || id != msg.Party || !strings.HasPrefix(id.Address, "+") {
				t.Errorf("party %v is not a normalized phone identity: %v", msg.Party, err)
			}
			if in.Name == "" {
				t.Error("a customer message without a name")
			}
		}
		if len(msg.Attachments) != min(int(m.NumMedia), 10) && m.NumMedia > 0 {
			t.Errorf("%d attachments for num_media %d", len(msg.Attachments), m.NumMedia)
		}
	})
}
