package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/couture/couture/internal/dendrite"
)

// matrixCall is one client-server API call as the customer.
func matrixCall(t *testing.T, method, u, token string, body any) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d: %s", method, u, resp.StatusCode, b)
	}
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

// A customer on Matrix invites the business and writes; through the real
// binary the invite is accepted, the message lands on the customer's
// timeline, and `send --channel matrix` reaches the customer's room.
func TestMatrixThroughTheCLI(t *testing.T) {
	srv := dendrite.Start(t)
	shop := srv.CreateUser("shop", "shop-password")
	jonas := srv.CreateUser("jonas", "jonas-password")
	tok := srv.Login("jonas", "jonas-password")
	dir := t.TempDir()
	if r := couture(t, dir, "shop-password\n", "account", "add", "matrix", "--name", "shop-matrix",
		"--homeserver", srv.URL, "--user", shop, "--password-stdin"); r.code != 0 {
		t.Fatalf("add matrix: %s", r.stderr)
	}
	room := matrixCall(t, "POST", srv.URL+"/_matrix/client/v3/createRoom", tok,
		map[string]any{"invite": []string{shop}, "is_direct": true, "preset": "trusted_private_chat"})["room_id"].(string)
	ok(t, dir, "sync", "--once") // accepts the invite
	matrixCall(t, "PUT", srv.URL+"/_matrix/client/v3/rooms/"+url.PathEscape(room)+"/send/m.room.message/t1", tok,
		map[string]any{"msgtype": "m.text", "body": "Hello, can I change my weekly order?"})
	ok(t, dir, "sync", "--once")
	cs := decode[[]custJSON](t, ok(t, dir, "customers", "--json"))
	if len(cs) != 1 || len(cs[0].Identities) != 1 || cs[0].Identities[0].Address != jonas {
		t.Fatalf("customers = %+v", cs)
	}
	tl := decode[[]msgJSON](t, ok(t, dir, "timeline", fmt.Sprint(cs[0].ID), "--json"))
	if len(tl) == 0 || tl[len(tl)-1].Text != "Hello, can I change my weekly order?" || tl[len(tl)-1].Channel != "matrix" {
		t.Fatalf("timeline = %+v", tl)
	}
	if r := couture(t, dir, "Of course, tell me what to change.\n", "send", fmt.Sprint(cs[0].ID), "--channel", "matrix", "--body-stdin"); r.code != 0 {
		t.Fatalf("send: %s%s", r.stdout, r.stderr)
	}
	msgs := matrixCall(t, "GET", srv.URL+"/_matrix/client/v3/rooms/"+url.PathEscape(room)+"/messages?dir=b&limit=20", tok, nil)
	b, _ := json.Marshal(msgs["chunk"])
	if !strings.Contains(string(b), "Of course, tell me what to change.") {
		t.Fatalf("the customer's room does not hold the answer: %s", b)
	}
	// A second sync does not bring our own answer back as a second message.
	ok(t, dir, "sync", "--once")
	if again := decode[[]msgJSON](t, ok(t, dir, "timeline", fmt.Sprint(cs[0].ID), "--json")); len(again) != len(tl)+1 {
		t.Fatalf("after the echo: %d entries, want %d", len(again), len(tl)+1)
	}
}
