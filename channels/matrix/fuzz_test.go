package matrix

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/couture/couture/inbox"
)

// FuzzDecodeSync feeds arbitrary /sync answers through the decoder and the
// event converters: they must never panic, and every message they accept
// must be one the store can ingest (a Matrix party, an event id).
func FuzzDecodeSync(f *testing.F) {
	f.Add([]byte(`{"next_batch":"s1"}`))
	f.Add([]byte(`{"next_batch":"s2","rooms":{"join":{"!a:x":{"state":{"events":[
		{"event_id":"$m","type":"m.room.member","sender":"@a:x","state_key":"@a:x","content":{"membership":"join","displayname":"Anna"}}]},
		"timeline":{"limited":true,"prev_batch":"p","events":[
		{"event_id":"$1","type":"m.room.message","sender":"@a:x","origin_server_ts":1700000000000,"content":{"msgtype":"m.text","body":"hi"}},
		{"event_id":"$2","type":"m.room.message","sender":"@shop:example.org","content":{"msgtype":"m.image","body":"a.png","url":"mxc://x/y","info":{"size":3}}},
		{"event_id":"$3","type":"m.room.message","sender":"@a:x","content":{"msgtype":"m.text","body":"> <@b> q\n\nr","m.relates_to":{"m.in_reply_to":{"event_id":"$1"}}}},
		{"event_id":"$4","type":"m.room.encrypted","sender":"@a:x","content":{}}]}}},
		"invite":{"!b:x":{"invite_state":{"events":[{"type":"m.room.member","state_key":"@shop:example.org","sender":"@a:x","content":{"membership":"invite","is_direct":true}}]}}},
		"leave":{"!c:x":{"timeline":{"events":[{"event_id":"$5","type":"m.sticker","sender":"@a:x","content":{"body":"s","url":"mxc://x/z"}}]}}}}}`))
	f.Add([]byte(`{"next_batch":"s","rooms":{"join":{"!a:x":{"timeline":{"events":[{"event_id":"$1","type":"m.room.message","sender":"@a:x","origin_server_ts":-1,"content":{"body":{"x":1}}}]}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeSync(bytes.NewReader(data))
		if err != nil {
			return
		}
		for id, jr := range s.Rooms.Join {
			r := newRoom(id)
			for _, ev := range jr.State.Events {
				r.apply(ev)
			}
			for _, ev := range jr.Timeline.Events {
				r.apply(ev)
			}
			for _, ev := range jr.Timeline.Events {
				in, att, ok := convert(ev, r, me, "acct")
				if !ok {
					continue
				}
				m := in.Message
				if m.ExternalID == "" || m.Channel != inbox.ChannelMatrix {
					t.Fatalf("accepted message without id: %+v", m)
				}
				if !in.Other && (m.Party.Kind != inbox.KindMatrix || m.Party.Address == "") {
					t.Fatalf("customer message without a party: %+v", m)
				}
				if m.Direction != inbox.In && m.Direction != inbox.Out {
					t.Fatalf("direction %q", m.Direction)
				}
				for _, a := range att {
					parseMXC(a.uri)
				}
				_ = utf8.ValidString(m.Text)
			}
		}
		for _, ir := range s.Rooms.Invite {
			for _, ev := range ir.InviteState.Events {
				newRoom("!x").apply(ev)
			}
		}
	})
}
