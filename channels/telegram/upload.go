package telegram

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // sendPhoto's formats, for their dimensions
	_ "image/png"
	"io"
	"mime/multipart"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/couture/couture/inbox"
)

// sendFile uploads one stored file to the chat, with caption when not
// empty: as a photo (sendPhoto, which Telegram shows inline and compresses)
// when it is a JPEG or PNG that sendPhoto takes (at most MaxPhoto, width
// plus height at most 10,000, a ratio of at most 20), else as a document
// (sendDocument, the file as it is). A photo Telegram refuses all the same
// (PHOTO_INVALID_DIMENSIONS, IMAGE_PROCESS_FAILED…) goes again as a
// document.
func (c *Channel) sendFile(ctx context.Context, chatID int64, a inbox.Attachment, caption string) (botMessage, error) {
	method, field := "sendDocument", "document"
	if c.photoFits(a) {
		method, field = "sendPhoto", "photo"
	}
	sent, err := c.upload(ctx, method, field, chatID, a, caption)
	if err != nil && method == "sendPhoto" && inbox.ErrorCode(err) == inbox.Invalid && photoRefused(err) {
		c.log.Info("telegram refused a photo; sending it as a document", "file", a.Name, "err", err)
		sent, err = c.upload(ctx, "sendDocument", "document", chatID, a, caption)
	}
	return sent, err
}

// photoRefused reports whether Telegram refused a photo for what it is
// (https://core.telegram.org/api/errors: PHOTO_*, IMAGE_PROCESS_FAILED),
// not for the chat.
func photoRefused(err error) bool {
	s := err.Error()
	return strings.Contains(s, "PHOTO_") || strings.Contains(s, "IMAGE_PROCESS_FAILED")
}

// photoFits reports whether a may go by sendPhoto: "The photo must be at
// most 10 MB in size. The photo's width and height must not exceed 10000 in
// total. Width and height ratio must be at most 20."
func (c *Channel) photoFits(a inbox.Attachment) bool {
	if (a.Type != "image/jpeg" && a.Type != "image/png") || a.Size <= 0 || a.Size > MaxPhoto {
		return false
	}
	r, err := c.deps.Blobs.Open(a.Blob)
	if err != nil {
		return false
	}
	defer r.Close()
	cfg, _, err := image.DecodeConfig(r)
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return false
	}
	w, h := cfg.Width, cfg.Height
	return w+h <= 10000 && max(w, h) <= 20*min(w, h)
}

// upload calls method with the file as the multipart/form-data field
// (https://core.telegram.org/bots/api#sending-files: "Post the file using
// multipart/form-data in the usual way that files are uploaded via the
// browser"). The file streams from the blob store; the request's length is
// known beforehand, so no chunked encoding is needed.
func (c *Channel) upload(ctx context.Context, method, field string, chatID int64, a inbox.Attachment, caption string) (botMessage, error) {
	rc, err := c.deps.Blobs.Open(a.Blob)
	if err != nil {
		return botMessage{}, inbox.Wrap(inbox.Invalid, fmt.Errorf("open attachment %s: %w", a.Blob, err),
			fmt.Sprintf("the attached file %s is no longer in the store: attach it again", a.Name))
	}
	defer rc.Close()
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	mw.WriteField("chat_id", strconv.FormatInt(chatID, 10))
	if caption != "" {
		mw.WriteField("caption", caption)
	}
	typ := a.Type
	if typ == "" {
		typ = "application/octet-stream"
	}
	ph := textproto.MIMEHeader{}
	ph.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+quoteEscaper.Replace(fileName(a))+`"`)
	ph.Set("Content-Type", typ)
	if _, err := mw.CreatePart(ph); err != nil {
		return botMessage{}, fmt.Errorf("telegram %s: %w", method, err)
	}
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	body := request{
		body:   io.MultiReader(&head, &exact{r: rc, n: a.Size}, strings.NewReader(tail)),
		length: int64(head.Len()) + a.Size + int64(len(tail)),
		typ:    mw.FormDataContentType(),
	}
	var sent botMessage
	err = c.post(ctx, method, body, &sent, c.opts.UploadTimeout, true)
	return sent, err
}

// quoteEscaper escapes a multipart/form-data filename as mime/multipart's
// CreateFormFile does (RFC 7578 section 4.2: the name as UTF-8, quoted).
var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")

func fileName(a inbox.Attachment) string {
	if n := strings.TrimSpace(a.Name); n != "" {
		return n
	}
	return "attachment"
}

// exact reads exactly n bytes from r: an error when r holds fewer (the
// request would not match its Content-Length), and no more than n.
type exact struct {
	r io.Reader
	n int64
}

func (e *exact) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.n {
		p = p[:e.n]
	}
	k, err := e.r.Read(p)
	e.n -= int64(k)
	if err == io.EOF && e.n > 0 {
		return k, io.ErrUnexpectedEOF
	}
	if err == io.EOF {
		err = nil
	}
	return k, err
}
