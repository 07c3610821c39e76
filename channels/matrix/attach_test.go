package matrix

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/dendrite"
)

// testSendAttachments: an answer with a PDF and an image reaches the
// customer's client as m.text, m.file and m.image events whose media hold
// the very bytes; a resend after a crash repeats nothing; files the domain
// refuses never reach the server.
func testSendAttachments(t *testing.T, srv *dendrite.Server) {
	b := newBusiness(t, srv, "shopfiles")
	gil := newPeer(t, srv, "gil")
	ctx := context.Background()
	pdf := bytes.Repeat([]byte("%PDF-1.7 devis\n"), 20000)
	var img bytes.Buffer
	png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 64, 48)))
	m := inbox.Message{ID: 77, SentAt: time.Now(), Direction: inbox.Out, Channel: inbox.ChannelMatrix,
		Party: inbox.Identity{Kind: inbox.KindMatrix, Address: gil.user}, Text: "Your quote and the cake."}
	for name, data := range map[string][]byte{"Devis été.pdf": pdf, "tarte.png": img.Bytes()} {
		a, err := inbox.PutAttachment(b.store, name, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		m.Attachments = append(m.Attachments, a)
	}
	if m.Attachments[0].Name != "Devis été.pdf" { // map order: keep the PDF first
		m.Attachments[0], m.Attachments[1] = m.Attachments[1], m.Attachments[0]
	}
	ch := b.channel()
	rcpt, err := ch.Send(ctx, m)
	if err != nil {
		t.Fatal(err)
	}

	got := map[string]peerEvent{}
	for _, ev := range gil.collect(func(evs []peerEvent) bool { return len(evs) == 3 }, b.user) {
		got[ev.Content["msgtype"].(string)] = ev
	}
	if txt := got["m.text"]; txt.ID != rcpt.ExternalID || txt.Content["body"] != m.Text {
		t.Errorf("text event %+v, receipt %s", txt, rcpt.ExternalID)
	}
	for msgtype, want := range map[string]struct {
		name, typ string
		data      []byte
	}{"m.file": {"Devis été.pdf", "application/pdf", pdf}, "m.image": {"tarte.png", "image/png", img.Bytes()}} {
		ev := got[msgtype]
		info, _ := ev.Content["info"].(map[string]any)
		if ev.Content["body"] != want.name || ev.Content["filename"] != want.name || info["mimetype"] != want.typ ||
			info["size"] != float64(len(want.data)) {
			t.Errorf("%s event %+v", msgtype, ev.Content)
		}
		if msgtype == "m.image" && (info["w"] != float64(64) || info["h"] != float64(48)) {
			t.Errorf("image info %+v", info)
		}
		uri, _ := ev.Content["url"].(string)
		if data := gil.download(uri); !bytes.Equal(data, want.data) {
			t.Errorf("%s: %d bytes downloaded, want %d", want.name, len(data), len(want.data))
		}
	}

	// After a crash the same message is found, and sending it again
	// (same transaction ids) adds no event.
	if r, ok, err := b.channel().Delivered(ctx, m); err != nil || !ok {
		t.Errorf("Delivered = %+v, %v, %v", r, ok, err)
	}
	if _, err := ch.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	marker := gil.say(got["m.text"].Room, "marker")
	evs := gil.collect(func(evs []peerEvent) bool { return len(evs) > 0 && evs[len(evs)-1].ID == marker }, b.user, gil.user)
	for _, ev := range evs[:len(evs)-1] {
		t.Errorf("a resend added %s %v", ev.Type, ev.Content["msgtype"])
	}

	// Too large for the domain: refused before any request.
	big := m
	big.ID = 78
	big.Attachments = []inbox.Attachment{{Name: "film.mov", Type: "video/quicktime", Size: inbox.MaxMatrixFile + 1, Blob: m.Attachments[0].Blob}}
	if _, err := ch.Send(ctx, big); inbox.ErrorCode(err) != inbox.Invalid || !strings.Contains(inbox.Explain(err), "at most 25 MB") {
		t.Errorf("Send of a 25 MB file: %v", err)
	}
}

// collect syncs until done says the m.room.message events from senders
// seen so far are complete, and returns them in order.
func (p *peer) collect(done func([]peerEvent) bool, senders ...string) []peerEvent {
	p.tb.Helper()
	var out []peerEvent
	ok := p.watch(func(evs []peerEvent) bool {
		for _, ev := range evs {
			if ev.Type == "m.room.message" && slices.Contains(senders, ev.Sender) {
				out = append(out, ev)
			}
		}
		return done(out)
	})
	if !ok {
		p.tb.Fatalf("%s: %d events within 60 s, not the ones awaited", p.user, len(out))
	}
	return out
}

// download fetches an mxc:// media as the peer, through authenticated
// media (spec v1.11).
func (p *peer) download(uri string) []byte {
	p.tb.Helper()
	server, id, ok := parseMXC(uri)
	if !ok {
		p.tb.Fatalf("not an mxc URI: %q", uri)
	}
	req, _ := http.NewRequest("GET", p.srv.URL+"/_matrix/client/v1/media/download/"+url.PathEscape(server)+"/"+url.PathEscape(id), nil)
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		p.tb.Fatalf("download %s: HTTP %d", uri, resp.StatusCode)
	}
	data, _ := io.ReadAll(resp.Body)
	return data
}
