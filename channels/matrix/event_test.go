package matrix

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

const me = "@shop:example.org"

func stateKey(s string) *string { return &s }

func memberEvent(user, membership string) event {
	c, _ := json.Marshal(memberContent{Membership: membership, DisplayName: strings.ToUpper(user[1:2])})
	return event{EventID: "$m" + user, Type: "m.room.member", Sender: user, StateKey: stateKey(user), Content: c}
}

func directRoom(other string) *room {
	r := newRoom("!dm:example.org")
	r.apply(memberEvent(me, "join"))
	r.apply(memberEvent(other, "join"))
	return r
}

func msg(sender, content string) event {
	return event{EventID: "$e1", Type: "m.room.message", Sender: sender, TS: 1700000000000, Content: json.RawMessage(content)}
}

func TestConvert(t *testing.T) {
	anna := "@anna:example.org"
	group := directRoom(anna)
	group.apply(memberEvent("@bob:example.org", "join"))
	tests := []struct {
		name      string
		ev        event
		room      *room
		ok        bool
		dir       inbox.Direction
		party     string
		text      string
		other     bool
		media     int
		warning   bool
		fromName  string
		wantState inbox.State
	}{
		{name: "text from customer", ev: msg(anna, `{"msgtype":"m.text","body":" hello "}`), room: directRoom(anna),
			ok: true, dir: inbox.In, party: anna, text: "hello", fromName: "A"},
		{name: "our text from another client", ev: msg(me, `{"msgtype":"m.text","body":"answer"}`), room: directRoom(anna),
			ok: true, dir: inbox.Out, party: anna, text: "answer", wantState: inbox.StateSent},
		{name: "echo of the outbox", ev: msg(me, `{"msgtype":"m.text","body":"x","io.couture.txn":"couture-1-a"}`), room: directRoom(anna)},
		{name: "reply fallback stripped", ev: msg(anna, `{"msgtype":"m.text","body":"> <@shop:example.org> hi\n> there\n\nthanks","m.relates_to":{"m.in_reply_to":{"event_id":"$x"}}}`),
			room: directRoom(anna), ok: true, dir: inbox.In, party: anna, text: "thanks"},
		{name: "image", ev: msg(anna, `{"msgtype":"m.image","body":"cake.jpg","url":"mxc://example.org/abc","info":{"mimetype":"image/jpeg","size":10}}`),
			room: directRoom(anna), ok: true, dir: inbox.In, party: anna, media: 1},
		{name: "file with caption", ev: msg(anna, `{"msgtype":"m.file","body":"my order","filename":"order.pdf","url":"mxc://example.org/abc"}`),
			room: directRoom(anna), ok: true, dir: inbox.In, party: anna, text: "my order", media: 1},
		{name: "emote", ev: msg(anna, `{"msgtype":"m.emote","body":"waves"}`), room: directRoom(anna),
			ok: true, dir: inbox.In, party: anna, text: "* A waves"},
		{name: "location", ev: msg(anna, `{"msgtype":"m.location","body":"Shop","geo_uri":"geo:45.7,4.8"}`), room: directRoom(anna),
			ok: true, dir: inbox.In, party: anna, text: "Shop (geo:45.7,4.8)"},
		{name: "redacted", ev: msg(anna, `{}`), room: directRoom(anna)},
		{name: "body not a string", ev: msg(anna, `{"msgtype":"m.text","body":42}`), room: directRoom(anna),
			ok: true, dir: inbox.In, party: anna, warning: true},
		{name: "encrypted", ev: event{EventID: "$e", Type: "m.room.encrypted", Sender: anna, Content: json.RawMessage(`{}`)}, room: directRoom(anna),
			ok: true, dir: inbox.In, party: anna, text: "(encrypted message)", warning: true},
		{name: "state event", ev: memberEvent(anna, "join"), room: directRoom(anna)},
		{name: "reaction", ev: event{EventID: "$r", Type: "m.reaction", Sender: anna, Content: json.RawMessage(`{}`)}, room: directRoom(anna)},
		{name: "group goes to Other", ev: msg(anna, `{"msgtype":"m.text","body":"hi all"}`), room: group,
			ok: true, dir: inbox.In, party: anna, text: "hi all", other: true},
		{name: "customer left, history stays theirs", ev: msg(anna, `{"msgtype":"m.text","body":"bye"}`),
			room: func() *room { r := directRoom(anna); r.apply(memberEvent(anna, "leave")); return r }(),
			ok:   true, dir: inbox.In, party: anna, text: "bye"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, att, ok := convert(tt.ev, tt.room, me, "acct")
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, in)
			}
			if !ok {
				return
			}
			m := in.Message
			if m.Direction != tt.dir || m.Party.Address != tt.party || m.Party.Kind != inbox.KindMatrix ||
				m.Text != tt.text || in.Other != tt.other || len(att) != tt.media || (m.Warning != "") != tt.warning ||
				m.State != tt.wantState {
				t.Errorf("got dir %s party %v text %q other %v media %d warning %q state %q",
					m.Direction, m.Party, m.Text, in.Other, len(att), m.Warning, m.State)
			}
			if tt.fromName != "" && m.FromName != tt.fromName {
				t.Errorf("FromName = %q, want %q", m.FromName, tt.fromName)
			}
			if m.ExternalID != tt.ev.EventID || m.Channel != inbox.ChannelMatrix || m.Account != "acct" {
				t.Errorf("envelope %q %q %q", m.ExternalID, m.Channel, m.Account)
			}
			if !m.SentAt.Equal(time.UnixMilli(tt.ev.TS)) && tt.ev.TS != 0 {
				t.Errorf("SentAt = %v", m.SentAt)
			}
		})
	}
}

func TestRoomParty(t *testing.T) {
	tests := []struct {
		name    string
		members map[string]string
		party   string
		ok      bool
	}{
		{"direct", map[string]string{me: "join", "@a:x": "join"}, "@a:x", true},
		{"invited", map[string]string{me: "join", "@a:x": "invite"}, "@a:x", true},
		{"left", map[string]string{me: "join", "@a:x": "leave"}, "@a:x", true},
		{"alone", map[string]string{me: "join"}, "", false},
		{"group", map[string]string{me: "join", "@a:x": "join", "@b:x": "invite"}, "", false},
		{"two left", map[string]string{me: "join", "@a:x": "leave", "@b:x": "leave"}, "", false},
		{"banned is not a party", map[string]string{me: "join", "@a:x": "ban"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom("!r:x")
			for u, m := range tt.members {
				r.apply(memberEvent(u, m))
			}
			p, ok := r.party(me)
			if p != tt.party || ok != tt.ok {
				t.Errorf("party = %q, %v; want %q, %v", p, ok, tt.party, tt.ok)
			}
		})
	}
}

func TestDecodeSync(t *testing.T) {
	raw := `{"next_batch":"s2","rooms":{"join":{"!a:x":{"timeline":{"limited":true,"prev_batch":"p1","events":[
		{"event_id":"$1","type":"m.room.message","sender":"@a:x","origin_server_ts":1,"content":{"body":"hi","msgtype":"m.text"}},
		{"type":"m.room.message","sender":"@a:x","content":{}},
		{"event_id":"$2","type":"m.room.message","sender":"@a:x","content":"not an object"}]}}},
		"invite":{"!b:x":{"invite_state":{"events":[{"type":"m.room.member","state_key":"@shop:example.org","sender":"@a:x","content":{"membership":"invite"}}]}}}}}`
	s, err := decodeSync(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	j := s.Rooms.Join["!a:x"]
	if s.NextBatch != "s2" || !j.Timeline.Limited || j.Timeline.PrevBatch != "p1" || len(j.Timeline.Events) != 2 {
		t.Fatalf("decoded %+v", s)
	}
	if len(s.Rooms.Invite["!b:x"].InviteState.Events) != 1 {
		t.Errorf("invite state lost")
	}
	for _, bad := range []string{``, `{}`, `{"next_batch":1}`, `[]`} {
		if _, err := decodeSync(strings.NewReader(bad)); err == nil {
			t.Errorf("decodeSync(%q) succeeded", bad)
		}
	}
}

func TestTextContent(t *testing.T) {
	c, err := textContent("**bold** and plain", "t1")
	if err != nil {
		t.Fatal(err)
	}
	if c["formatted_body"] != "<p><strong>bold</strong> and plain</p>" || c["format"] != "org.matrix.custom.html" || c["io.couture.txn"] != "t1" {
		t.Errorf("content %v", c)
	}
	c, _ = textContent("just text, nothing else", "t1")
	if _, ok := c["formatted_body"]; ok {
		t.Errorf("plain text got a formatted_body: %v", c)
	}
	c, _ = textContent("<script>alert(1)</script> *x*", "t1")
	if strings.Contains(c["formatted_body"].(string), "<script") {
		t.Errorf("raw HTML passed through: %v", c["formatted_body"])
	}
	if _, err := textContent(strings.Repeat("a", MaxEventBytes), "t1"); inbox.ErrorCode(err) != inbox.Invalid {
		t.Errorf("65 kB text: err = %v, want invalid", err)
	}
	if c, _ := textContent("  ", "t1"); c != nil {
		t.Errorf("empty text gave content %v", c)
	}
}

func TestStatusError(t *testing.T) {
	resp := func(status int, body string) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
	}
	err := statusError("GET", "/x", resp(429, `{"errcode":"M_LIMIT_EXCEEDED","error":"slow","retry_after_ms":1500}`))
	var ra *channels.RetryAfter
	if !errors.As(err, &ra) || ra.Wait != 1500*time.Millisecond || errCode(err) != "M_LIMIT_EXCEEDED" {
		t.Errorf("429: %v", err)
	}
	if err := statusError("PUT", "/x", resp(413, `{"errcode":"M_TOO_LARGE","error":"big"}`)); inbox.ErrorCode(err) != inbox.Invalid {
		t.Errorf("413: %v", err)
	}
	if err := statusError("GET", "/x", resp(502, `<html>bad gateway</html>`)); inbox.ErrorCode(err) != inbox.Unavailable {
		t.Errorf("502: %v", err)
	}
	if err := statusError("GET", "/x", resp(401, `{"errcode":"M_UNKNOWN_TOKEN","error":"gone"}`)); errCode(err) != "M_UNKNOWN_TOKEN" {
		t.Errorf("401: %v", err)
	}
}

func TestTxnIDStable(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := TxnID(inbox.Message{ID: 7, SentAt: at})
	if a != TxnID(inbox.Message{ID: 7, SentAt: at, Text: "other"}) {
		t.Error("TxnID depends on more than id and time")
	}
	if a == TxnID(inbox.Message{ID: 7, SentAt: at.Add(time.Millisecond)}) || a == TxnID(inbox.Message{ID: 8, SentAt: at}) {
		t.Error("TxnID collides")
	}
	// The device id must never change for an account (a new one would add
	// a device on every upgrade): pinned here.
	if d := DeviceID("shop"); d != "COUTURE8D9001D32C" {
		t.Errorf("DeviceID(shop) = %s", d)
	}
	if DeviceID("shop") == DeviceID("shop2") {
		t.Error("two accounts share a device id")
	}
}

func TestParseMXC(t *testing.T) {
	for uri, ok := range map[string]bool{
		"mxc://example.org/abc": true, "mxc://example.org/": false, "https://x/y": false,
		"mxc:///abc": false, "mxc://x/a/b": false,
	} {
		if _, _, got := parseMXC(uri); got != ok {
			t.Errorf("parseMXC(%q) = %v", uri, got)
		}
	}
}
