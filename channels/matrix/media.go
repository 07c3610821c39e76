package matrix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // sizes of the images sent (m.image info)
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/couture/couture/inbox"
)

// fetch downloads an mxc:// media into the blob store. A media the server
// refuses or no longer has, or one above the size cap, becomes a warning on
// the attachment's message (returned as warning, err nil); a network or
// server failure is an error, so the sync is retried rather than the
// attachment lost.
func (ch *Channel) fetch(ctx context.Context, m media) (att inbox.Attachment, warning string, err error) {
	att = inbox.Attachment{Name: m.name, Type: m.typ, Size: m.size}
	if att.Name == "" {
		att.Name = "attachment"
	}
	limit := ch.maxAttachment()
	if m.size > limit {
		return att, fmt.Sprintf("attachment %s (%d bytes) is larger than %d bytes and was not downloaded", att.Name, m.size, limit), nil
	}
	server, id, ok := parseMXC(m.uri)
	if !ok {
		return att, fmt.Sprintf("attachment %s has an invalid address %q", att.Name, m.uri), nil
	}
	if ch.blobs == nil {
		return att, fmt.Sprintf("attachment %s was not downloaded (no blob store)", att.Name), nil
	}
	// Authenticated media (spec v1.11: GET /_matrix/client/v1/media/download),
	// then the older unauthenticated endpoint for servers without it.
	resp, err := ch.download(ctx, "/_matrix/client/v1/media/download/"+url.PathEscape(server)+"/"+url.PathEscape(id), true)
	var e *apiError
	if errors.As(err, &e) && (e.Status == http.StatusNotFound && e.Code != "M_NOT_FOUND" || e.Code == "M_UNRECOGNIZED") {
		resp, err = ch.download(ctx, "/_matrix/media/v3/download/"+url.PathEscape(server)+"/"+url.PathEscape(id), false)
	}
	if errors.As(err, &e) && e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests {
		return att, fmt.Sprintf("attachment %s could not be downloaded: %s", att.Name, e.Message), nil
	}
	if err != nil {
		return att, "", fmt.Errorf("download %s: %w", m.uri, err)
	}
	defer resp.Body.Close()
	if resp.ContentLength > limit {
		return att, fmt.Sprintf("attachment %s (%d bytes) is larger than %d bytes and was not downloaded", att.Name, resp.ContentLength, limit), nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return att, "", inbox.Wrap(inbox.Unavailable, fmt.Errorf("download %s: %w", m.uri, err), "the Matrix homeserver stopped sending an attachment")
	}
	if int64(len(data)) > limit {
		return att, fmt.Sprintf("attachment %s is larger than %d bytes and was not downloaded", att.Name, limit), nil
	}
	if att.Type == "" {
		if t, _, perr := mime.ParseMediaType(resp.Header.Get("Content-Type")); perr == nil {
			att.Type = t
		}
	}
	key, size, err := ch.blobs.Put(bytes.NewReader(data))
	if err != nil {
		return att, "", fmt.Errorf("store attachment %s: %w", att.Name, err)
	}
	att.Blob, att.Size = key, size
	return att, "", nil
}

// download GETs a media path, authenticated or not, re-logging in once on
// an expired token.
func (ch *Channel) download(ctx context.Context, path string, auth bool) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		tok := ""
		if auth {
			var err error
			if tok, err = ch.c.accessToken(ctx); err != nil {
				return nil, err
			}
		}
		resp, err := ch.c.send(ctx, http.MethodGet, path, url.Values{"allow_redirect": {"true"}}, nil, tok)
		if errCode(err) == "M_UNKNOWN_TOKEN" && attempt == 0 && auth {
			ch.c.expire(tok)
			continue
		}
		return resp, err
	}
}

// parseMXC splits mxc://server/id.
func parseMXC(uri string) (server, id string, ok bool) {
	rest, ok := strings.CutPrefix(uri, "mxc://")
	if !ok {
		return "", "", false
	}
	server, id, ok = strings.Cut(rest, "/")
	if !ok || server == "" || id == "" || strings.ContainsAny(id, "/?#") {
		return "", "", false
	}
	return server, id, true
}

// sendAttachment uploads a blob (spec: POST /_matrix/media/v3/upload) and
// sends it as m.image or m.file.
func (ch *Channel) sendAttachment(ctx context.Context, roomID, txn string, a inbox.Attachment) (string, error) {
	if ch.blobs == nil || a.Blob == "" {
		return "", inbox.Errorf(inbox.Invalid, "attachment %s has no stored content", a.Name)
	}
	rc, err := ch.blobs.Open(a.Blob)
	if err != nil {
		return "", inbox.Wrap(inbox.Invalid, fmt.Errorf("open attachment %s: %w", a.Blob, err),
			fmt.Sprintf("the attached file %s is no longer in the store: attach it again", a.Name))
	}
	data, err := io.ReadAll(io.LimitReader(rc, ch.maxAttachment()+1))
	rc.Close()
	if err != nil {
		return "", fmt.Errorf("read attachment %s: %w", a.Name, err)
	}
	typ := a.Type
	if typ == "" {
		typ = "application/octet-stream"
	}
	var up struct {
		ContentURI string `json:"content_uri"`
	}
	q := url.Values{"filename": {a.Name}}
	if err := ch.c.do(ctx, http.MethodPost, "/_matrix/media/v3/upload", q, upload{data: data, typ: typ}, &up); err != nil {
		if errCode(err) == "M_TOO_LARGE" || inbox.ErrorCode(err) == inbox.Invalid {
			return "", inbox.Wrap(inbox.Invalid, err, fmt.Sprintf("the Matrix homeserver refused %s (%s) as too large: send it another way or share a link", a.Name, inbox.SizeText(int64(len(data)))))
		}
		return "", fmt.Errorf("upload %s: %w", a.Name, err)
	}
	if up.ContentURI == "" {
		return "", inbox.Errorf(inbox.Unavailable, "the Matrix homeserver accepted %s without a content URI", a.Name)
	}
	msgtype := "m.file"
	info := map[string]any{"mimetype": typ, "size": len(data)}
	if strings.HasPrefix(typ, "image/") {
		msgtype = "m.image"
		// w and h let clients lay the image out before downloading it
		// (spec: ImageInfo).
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
			info["w"], info["h"] = cfg.Width, cfg.Height
		}
	}
	content := map[string]any{
		"msgtype": msgtype, "body": a.Name, "filename": a.Name, "url": up.ContentURI,
		"info":           info,
		"io.couture.txn": txn,
	}
	return ch.sendEvent(ctx, roomID, txn, content)
}
