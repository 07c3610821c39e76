package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/couture/couture/inbox"
)

// The Bot API objects Sync reads (https://core.telegram.org/bots/api#available-types).

type user struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
}

type chat struct {
	ID    int64  `json:"id"`
	Type  string `json:"type"`
	Title string `json:"title"`
}

// file covers PhotoSize, Document, Video, Audio, Voice, Animation,
// VideoNote and Sticker: each carries a file_id and most a size, a name or
// a MIME type.
type file struct {
	FileID   string `json:"file_id"`
	FileSize int64  `json:"file_size"`
	FileName string `json:"file_name"`
	MimeType string `json:"mime_type"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
}

type contact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	UserID      int64  `json:"user_id"`
}

type location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

type message struct {
	MessageID int64     `json:"message_id"`
	From      *user     `json:"from"`
	Date      int64     `json:"date"`
	Chat      chat      `json:"chat"`
	Text      string    `json:"text"`
	Caption   string    `json:"caption"`
	Photo     []file    `json:"photo"`
	Document  *file     `json:"document"`
	Video     *file     `json:"video"`
	Audio     *file     `json:"audio"`
	Voice     *file     `json:"voice"`
	Animation *file     `json:"animation"`
	VideoNote *file     `json:"video_note"`
	Sticker   *file     `json:"sticker"`
	Contact   *contact  `json:"contact"`
	Location  *location `json:"location"`
	Poll      *struct {
		Question string `json:"question"`
	} `json:"poll"`
}

type update struct {
	UpdateID int64    `json:"update_id"`
	Message  *message `json:"message"`
}

// fileRef is one file of a message to download.
type fileRef struct {
	id   string
	size int64
	name string
	typ  string
}

// fetcher downloads a file into the blob store. It returns the attachment,
// or a warning when the file cannot be had for good (too big, gone), or an
// error when trying again later may work.
type fetcher interface {
	fetch(ctx context.Context, f fileRef) (inbox.Attachment, string, error)
}

// decodeUpdates splits a getUpdates result into updates. An update that
// does not decode is kept with its id only, so the offset still moves past
// it, and reported in bad.
func decodeUpdates(result []byte) (ups []update, bad []string, err error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(result, &raws); err != nil {
		return nil, nil, fmt.Errorf("getUpdates result is not an array: %w", err)
	}
	for _, raw := range raws {
		var u update
		if err := json.Unmarshal(raw, &u); err != nil {
			var id struct {
				UpdateID int64 `json:"update_id"`
			}
			if json.Unmarshal(raw, &id) != nil || id.UpdateID == 0 {
				return nil, nil, fmt.Errorf("getUpdates result holds an update without update_id: %w", err)
			}
			bad = append(bad, fmt.Sprintf("update %d: %v", id.UpdateID, err))
			u = update{UpdateID: id.UpdateID}
		}
		ups = append(ups, u)
	}
	return ups, bad, nil
}

// incoming turns an update into the message Couture stores; ok is false for
// updates that carry no message. account names the account, bot is the
// bot's @username ("" when unknown), phones normalizes a shared phone
// number.
func incoming(ctx context.Context, u update, account, bot string, phones inbox.PhoneNormalizer, f fetcher) (in inbox.Incoming, ok bool, err error) {
	m := u.Message
	if m == nil || m.MessageID <= 0 || m.Chat.ID == 0 {
		return inbox.Incoming{}, false, nil // not a message Telegram sends
	}
	msg := inbox.Message{
		Channel:    inbox.ChannelTelegram,
		Account:    account,
		Direction:  inbox.In,
		ExternalID: strconv.FormatInt(m.Chat.ID, 10) + "/" + strconv.FormatInt(m.MessageID, 10),
		To:         bot,
	}
	if m.Date > 0 {
		msg.SentAt = time.Unix(m.Date, 0).UTC()
	}
	name := ""
	if m.From != nil {
		msg.From = strconv.FormatInt(m.From.ID, 10)
		name = displayName(m.From)
		msg.FromName = name
	}
	private := m.Chat.Type == "private" && m.From != nil && !m.From.IsBot && m.From.ID > 0
	if private {
		msg.Party = inbox.Identity{Kind: inbox.KindTelegram, Address: strconv.FormatInt(m.From.ID, 10)}
		in.Name = name
	} else {
		in.Other = true
		msg.Subject = strings.TrimSpace(m.Chat.Title)
	}

	var text []string
	var warnings []string
	if t := strings.TrimSpace(m.Text); t != "" {
		text = append(text, m.Text)
	}
	if t := strings.TrimSpace(m.Caption); t != "" {
		text = append(text, m.Caption)
	}
	if c := m.Contact; c != nil {
		who := strings.TrimSpace(c.FirstName + " " + c.LastName)
		text = append(text, strings.TrimSpace("Shared contact: "+who+" "+sharedPhone(c.PhoneNumber)))
		if private && c.UserID != 0 && c.UserID == m.From.ID {
			id, err := inbox.NewIdentity(inbox.KindPhone, sharedPhone(c.PhoneNumber), phones)
			if err != nil {
				warnings = append(warnings, "the shared phone number could not be read: "+inbox.Explain(err))
			} else {
				in.Links = append(in.Links, id)
			}
		}
	}
	if l := m.Location; l != nil {
		text = append(text, fmt.Sprintf("Location: %.6f, %.6f", l.Latitude, l.Longitude))
	}
	if p := m.Poll; p != nil {
		text = append(text, "Poll: "+p.Question)
	}

	for _, ref := range files(m) {
		if f == nil {
			warnings = append(warnings, ref.name+" was not downloaded")
			continue
		}
		a, warn, err := f.fetch(ctx, ref)
		if err != nil {
			return inbox.Incoming{}, false, err
		}
		if warn != "" {
			warnings = append(warnings, warn)
			continue
		}
		msg.Attachments = append(msg.Attachments, a)
	}
	msg.Text = strings.Join(text, "\n\n")
	if msg.Text == "" && len(msg.Attachments) == 0 && len(warnings) == 0 {
		msg.Text = "[a Telegram message Couture cannot show]"
		warnings = append(warnings, "this kind of Telegram message is not supported; open Telegram to see it")
	}
	msg.Warning = strings.Join(warnings, "; ")
	in.Message = msg
	return in, true, nil
}

// files lists the files of a message: the largest size of a photo, and
// every other file kind.
func files(m *message) []fileRef {
	var out []fileRef
	if len(m.Photo) > 0 {
		best := m.Photo[0]
		for _, p := range m.Photo[1:] {
			if p.FileSize > best.FileSize || (p.FileSize == best.FileSize && p.Width*p.Height > best.Width*best.Height) {
				best = p
			}
		}
		if best.FileID != "" {
			out = append(out, fileRef{id: best.FileID, size: best.FileSize, name: "photo.jpg", typ: "image/jpeg"})
		}
	}
	kinds := []struct {
		f         *file
		name, typ string
	}{
		{m.Document, "document", "application/octet-stream"},
		{m.Video, "video.mp4", "video/mp4"},
		{m.Animation, "animation.mp4", "video/mp4"},
		{m.VideoNote, "video-note.mp4", "video/mp4"},
		{m.Audio, "audio.mp3", "audio/mpeg"},
		{m.Voice, "voice.ogg", "audio/ogg"},
		{m.Sticker, "sticker.webp", "image/webp"},
	}
	for _, k := range kinds {
		if k.f == nil || k.f.FileID == "" {
			continue
		}
		ref := fileRef{id: k.f.FileID, size: k.f.FileSize, name: k.name, typ: k.typ}
		if n := cleanName(k.f.FileName); n != "" {
			ref.name = n
		}
		if t := strings.TrimSpace(k.f.MimeType); t != "" && !strings.ContainsAny(t, "\r\n") {
			ref.typ = t
		}
		out = append(out, ref)
	}
	return out
}

// cleanName keeps the last path element of a file name people gave, without
// control characters.
func cleanName(s string) string {
	s = s[strings.LastIndexAny(s, `/\`)+1:]
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "." || s == ".." {
		return ""
	}
	return s
}

func displayName(u *user) string {
	if n := strings.TrimSpace(strings.TrimSpace(u.FirstName) + " " + strings.TrimSpace(u.LastName)); n != "" {
		return n
	}
	if u.Username != "" {
		return "@" + u.Username
	}
	return "Telegram user " + strconv.FormatInt(u.ID, 10)
}

// sharedPhone returns a contact's phone number in international form:
// Telegram sends a user's own number with its country code but often
// without the leading +.
func sharedPhone(p string) string {
	p = strings.TrimSpace(p)
	if p != "" && p[0] >= '0' && p[0] <= '9' && !strings.HasPrefix(p, "00") {
		return "+" + p
	}
	return p
}
