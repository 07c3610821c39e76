package twilio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/couture/couture/inbox"
)

// apiMessage is the part of a Message resource the channel reads
// (components/schemas/api.v2010.account.message).
type apiMessage struct {
	SID             string            `json:"sid"`
	From            string            `json:"from"`
	To              string            `json:"to"`
	Body            string            `json:"body"`
	Status          string            `json:"status"`
	Direction       string            `json:"direction"`
	DateSent        string            `json:"date_sent"`
	DateCreated     string            `json:"date_created"`
	NumMedia        count             `json:"num_media"`
	ErrorCode       count             `json:"error_code"`
	ErrorMessage    string            `json:"error_message"`
	SubresourceURIs map[string]string `json:"subresource_uris"`
}

// messagePage is one page of ListMessage.
type messagePage struct {
	Messages    []json.RawMessage `json:"messages"`
	NextPageURI string            `json:"next_page_uri"`
}

// apiMedia is one Media resource.
type apiMedia struct {
	SID         string `json:"sid"`
	ContentType string `json:"content_type"`
	URI         string `json:"uri"`
}

type mediaPage struct {
	MediaList   []apiMedia `json:"media_list"`
	NextPageURI string     `json:"next_page_uri"`
}

// count reads Twilio's counts, which the API renders as strings ("2") and
// sometimes as numbers or null.
type count int

// UnmarshalJSON implements json.Unmarshaler.
func (c *count) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*c = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(strings.TrimSpace(s))
		if len(b) == 0 {
			*c = 0
			return nil
		}
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return fmt.Errorf("count %q: %w", b, err)
	}
	*c = count(n)
	return nil
}

// decodeMessage reads one Message resource; a resource that does not
// decode is reported with its SID when it has one.
func decodeMessage(raw []byte) (apiMessage, error) {
	var m apiMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return apiMessage{}, err
	}
	return m, nil
}

// parseDate reads Twilio's RFC 2822 dates ("Fri, 24 May 2019 17:44:46 +0000").
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// sentAt is when an inbound message reached Twilio.
func (m *apiMessage) sentAt() time.Time {
	if t := parseDate(m.DateSent); !t.IsZero() {
		return t
	}
	return parseDate(m.DateCreated)
}

// inbound reports whether m is a complete message from a customer.
func (m *apiMessage) inbound() bool {
	return m.SID != "" && m.Direction == "inbound" && m.Status != "receiving" && m.Status != "accepted"
}

// mediaSource lists and downloads a message's media.
type mediaSource interface {
	media(ctx context.Context, m *apiMessage) ([]inbox.Attachment, []string, error)
}

// incoming turns an inbound Message resource into what Couture stores; ok
// is false for anything else. phones normalizes the sender's number.
func incoming(ctx context.Context, m apiMessage, account string, phones inbox.PhoneNormalizer, src mediaSource) (in inbox.Incoming, ok bool, err error) {
	if !m.inbound() {
		return inbox.Incoming{}, false, nil
	}
	channel := inbox.ChannelSMS
	raw := strings.TrimSpace(m.From)
	if rest, wa := cutPrefixFold(raw, "whatsapp:"); wa {
		channel, raw = inbox.ChannelWhatsApp, rest
	}
	msg := inbox.Message{
		Channel: channel, Account: account, Direction: inbox.In,
		From: raw, To: strings.TrimSpace(m.To), ExternalID: m.SID,
		Text: m.Body, SentAt: m.sentAt(),
	}
	var warnings []string
	id, err := inbox.NewIdentity(inbox.KindPhone, raw, phones)
	if err != nil {
		// A short code or an alphanumeric sender: not a person to answer.
		in.Other = true
		warnings = append(warnings, "the sender "+strconv.Quote(raw)+" is not a phone number")
	} else {
		msg.Party, msg.From = id, id.Address
		in.Name = id.Address
	}
	if m.NumMedia > 0 {
		if src == nil {
			warnings = append(warnings, fmt.Sprintf("%d media not downloaded", m.NumMedia))
		} else {
			atts, warns, err := src.media(ctx, &m)
			if err != nil {
				return inbox.Incoming{}, false, err
			}
			msg.Attachments = atts
			warnings = append(warnings, warns...)
		}
	}
	msg.Warning = strings.Join(warnings, "; ")
	in.Message = msg
	return in, true, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// extension returns a file name extension for a media content type.
func extension(contentType string) string {
	switch strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0])) {
	case "image/jpeg", "image/jpg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	case "video/mp4":
		return ".mp4"
	case "video/3gpp":
		return ".3gp"
	case "audio/ogg":
		return ".ogg"
	case "audio/mpeg":
		return ".mp3"
	case "audio/amr":
		return ".amr"
	case "application/pdf":
		return ".pdf"
	case "text/vcard", "text/x-vcard":
		return ".vcf"
	case "text/plain":
		return ".txt"
	}
	return ""
}
