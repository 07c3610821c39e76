package inbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Attachment limits of outgoing answers, per channel. The sizes are the
// files' own sizes, before any transfer encoding.
const (
	// MaxEmailAttachments is the total of an e-mail's files: 25 MB, the
	// limit of the big mail providers (Gmail, Outlook.com). Base64 makes the
	// message about a third larger on the wire.
	MaxEmailAttachments = 25 << 20
	// MaxTelegramFile is the largest file a bot may send (Bot API: "Bots can
	// currently send files of any type of up to 50 MB in size"); each file
	// goes as a message of its own.
	MaxTelegramFile = 50 << 20
	// MaxMatrixFile is the largest file Couture uploads to a Matrix
	// homeserver's media repository: the size Couture also downloads
	// (homeservers set their own limit, often 50 MB; the upload fails with
	// a clear error when theirs is lower).
	MaxMatrixFile = 25 << 20
	// MaxAttachment is the largest file Couture attaches at all: the
	// largest any channel takes.
	MaxAttachment = MaxTelegramFile
)

// TwilioAttachmentRefusal is why SMS and WhatsApp answers carry no files:
// Twilio's MediaUrl must be a URL Twilio can fetch, and a desktop app has
// none to offer.
const TwilioAttachmentRefusal = "SMS and WhatsApp through Twilio cannot carry attachments from Couture: Twilio fetches media from a public URL, which a desktop app does not have; send the file by e-mail, Telegram or Matrix"

// AttachmentLimit is what a channel accepts in files.
type AttachmentLimit struct {
	Channel ChannelKind
	// PerFile bounds each file, Total all of them together; 0 is no bound.
	PerFile int64
	Total   int64
	// Refused, when not empty, says why the channel takes no files at all.
	Refused string
}

// AttachmentLimits returns channel ch's limits (the zero limit for a
// channel Couture does not know; Reply refuses those anyway).
func AttachmentLimits(ch ChannelKind) AttachmentLimit {
	l := AttachmentLimit{Channel: ch}
	switch ch {
	case ChannelEmail:
		l.Total = MaxEmailAttachments
	case ChannelTelegram:
		l.PerFile = MaxTelegramFile
	case ChannelMatrix:
		l.PerFile = MaxMatrixFile
	case ChannelSMS, ChannelWhatsApp:
		l.Refused = TwilioAttachmentRefusal
	}
	return l
}

// TotalSize adds up the sizes of atts.
func TotalSize(atts []Attachment) int64 {
	var n int64
	for _, a := range atts {
		n += a.Size
	}
	return n
}

// CheckAttachments says whether atts can go out on channel ch: nil, or an
// Invalid error whose message says what to do (remove a file, pick another
// channel). Each attachment must name a stored blob.
func CheckAttachments(ch ChannelKind, atts []Attachment) error {
	for _, a := range atts {
		if a.Blob == "" {
			return Errorf(Invalid, "attachment %q has no stored content: attach the file again", a.Name)
		}
	}
	return AttachmentLimits(ch).Check(atts)
}

// Check measures files against the limit by their names and sizes alone
// (before they are stored, say): nil, or an Invalid error whose message
// says what to do.
func (l AttachmentLimit) Check(atts []Attachment) error {
	if len(atts) == 0 {
		return nil
	}
	for _, a := range atts {
		if a.Size < 0 {
			return Errorf(Invalid, "attachment %q has a negative size", a.Name)
		}
	}
	if l.Refused != "" {
		return Errorf(Invalid, "%s", l.Refused)
	}
	if l.PerFile > 0 {
		for _, a := range atts {
			if a.Size > l.PerFile {
				return Errorf(Invalid, "%s is %s; %s takes files of at most %s: remove it or share a link instead",
					a.Name, SizeText(a.Size), channelTitle(l.Channel), SizeText(l.PerFile))
			}
		}
	}
	if total := TotalSize(atts); l.Total > 0 && total > l.Total {
		return Errorf(Invalid, "the attachments make %s; an %s carries at most %s: remove some or share a link instead",
			SizeText(total), channelTitle(l.Channel), SizeText(l.Total))
	}
	return nil
}

// channelTitle names a channel in a sentence.
func channelTitle(ch ChannelKind) string {
	switch ch {
	case ChannelEmail:
		return "e-mail"
	case ChannelTelegram:
		return "Telegram"
	case ChannelMatrix:
		return "Matrix"
	case ChannelSMS:
		return "SMS"
	case ChannelWhatsApp:
		return "WhatsApp"
	}
	return string(ch)
}

// SizeText renders a byte count for a person, in binary units the way the
// limits are set: "512 B", "12 KB", "3.4 MB", "25 MB".
func SizeText(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	}
	mb := float64(n) / (1 << 20)
	if n%(1<<20) == 0 || mb >= 100 {
		return fmt.Sprintf("%.0f MB", mb)
	}
	return fmt.Sprintf("%.1f MB", mb)
}

// AttachmentName makes a file name fit to travel: the base name of path,
// without control characters, "attachment" when nothing is left.
func AttachmentName(path string) string {
	name := filepath.Base(strings.ReplaceAll(path, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '/' || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		return "attachment"
	}
	return name
}

// ErrTooLarge is returned (wrapped in an Invalid error) by PutAttachment
// for a file over MaxAttachment, and by a Capped reader past its cap.
var ErrTooLarge = errors.New("file larger than the attachment limit")

// PutAttachment stores the file read from r in blobs and returns it as an
// attachment named name (see AttachmentName), its media type guessed from
// the name's extension, else from its first bytes. A file over
// MaxAttachment is refused with an Invalid error before it is stored whole.
func PutAttachment(blobs Blobs, name string, r io.Reader) (Attachment, error) {
	if blobs == nil {
		return Attachment{}, Errorf(Unavailable, "no attachment store: files cannot be attached")
	}
	name = AttachmentName(name)
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return Attachment{}, Wrap(Unavailable, err, "cannot read "+name)
	}
	head = head[:n]
	lr := &Capped{R: io.MultiReader(bytes.NewReader(head), r), Left: MaxAttachment}
	key, size, err := blobs.Put(lr)
	if lr.Over {
		return Attachment{}, Wrap(Invalid, ErrTooLarge,
			fmt.Sprintf("%s is larger than %s, the most Couture sends on any channel: share a link instead", name, SizeText(MaxAttachment)))
	}
	if err != nil {
		return Attachment{}, Wrap(Unavailable, err, "cannot store "+name)
	}
	return Attachment{Name: name, Type: guessType(name, head), Size: size, Blob: key}, nil
}

// Capped is an io.Reader that reads at most Left bytes of R. Past them it
// fails with ErrTooLarge and sets Over when R has more, so that a blob
// store fed through it gives up on a file too large before storing it
// whole (Blobs.Put then fails; Over tells why).
type Capped struct {
	R    io.Reader
	Left int64
	Over bool
}

// Read implements io.Reader.
func (c *Capped) Read(p []byte) (int, error) {
	if c.Left <= 0 {
		var one [1]byte
		if k, _ := io.ReadFull(c.R, one[:]); k > 0 {
			c.Over = true
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.Left {
		p = p[:c.Left]
	}
	k, err := c.R.Read(p)
	c.Left -= int64(k)
	return k, err
}

// guessType returns the media type of a file: by its extension, else by
// the signatures of common formats, else application/octet-stream.
func guessType(name string, head []byte) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
	}
	for _, s := range signatures {
		if bytes.HasPrefix(head, s.magic) {
			return s.typ
		}
	}
	text := head
	for i := 0; i < utf8.UTFMax-1 && len(text) > 0 && !utf8.Valid(text); i++ {
		text = text[:len(text)-1] // a character cut by the 512-byte window
	}
	if len(text) > 0 && utf8.Valid(text) && !bytes.ContainsAny(text, "\x00") {
		return "text/plain"
	}
	return "application/octet-stream"
}

var signatures = []struct {
	magic []byte
	typ   string
}{
	{[]byte("\x89PNG\r\n\x1a\n"), "image/png"},
	{[]byte("\xff\xd8\xff"), "image/jpeg"},
	{[]byte("GIF87a"), "image/gif"},
	{[]byte("GIF89a"), "image/gif"},
	{[]byte("%PDF-"), "application/pdf"},
	{[]byte("PK\x03\x04"), "application/zip"},
}
