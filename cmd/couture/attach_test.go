package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	faketelegram "github.com/couture/couture/internal/fakes/telegram"
	faketwilio "github.com/couture/couture/internal/fakes/twilio"
)

// `send --attach`: a file reaches Telegram as an uploaded document and
// shows on the timeline; SMS refuses files before anything is queued.
func TestSendAttachments(t *testing.T) {
	dir := t.TempDir()
	const shop, anna = "+33465712020", "+33612345678"
	sid := faketwilio.SID("AC", 9)
	tw := faketwilio.New(sid, "twilio-secret")
	defer tw.Close()
	tw.AddNumber(shop)
	tg := faketelegram.New("123456:telegram-token")
	defer tg.Close()
	if r := couture(t, dir, "twilio-secret\n", "account", "add", "twilio", "--name", "shop-sms", "--account-sid", sid,
		"--auth-token-stdin", "--from", shop, "--api-url", tw.URL); r.code != 0 {
		t.Fatalf("add twilio: %s", r.stderr)
	}
	if r := couture(t, dir, "123456:telegram-token\n", "account", "add", "telegram", "--name", "shop-bot",
		"--token-stdin", "--api-url", tg.URL); r.code != 0 {
		t.Fatalf("add telegram: %s", r.stderr)
	}
	tw.AddInboundAt(time.Now().Add(-time.Hour), anna, shop, "Le devis ?")
	annaTG := faketelegram.User{ID: 4242, FirstName: "Anna"}
	tg.ShareContact(annaTG, faketelegram.Contact{PhoneNumber: anna, FirstName: "Anna", UserID: annaTG.ID})
	ok(t, dir, "sync", "--once")
	cs := decode[[]custJSON](t, ok(t, dir, "customers", "--json"))
	if len(cs) != 1 {
		t.Fatalf("customers = %+v", cs)
	}
	id := fmt.Sprint(cs[0].ID)

	pdf := bytes.Repeat([]byte("%PDF-1.7 devis\n"), 1000)
	file := filepath.Join(t.TempDir(), "Devis été.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}

	// Refused before anything is queued.
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"sms", []string{"send", id, "--channel", "sms", "Le voici", "--attach", file}, "Twilio fetches media from a public URL"},
		{"missing file", []string{"send", id, "--channel", "telegram", "Le voici", "--attach", file + ".nope"}, "cannot attach"},
		{"a folder", []string{"send", id, "--channel", "telegram", "Le voici", "--attach", dir}, "it is a folder"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := couture(t, dir, "", tt.args...)
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, tt.want)
			}
		})
	}
	if len(tw.Sent()) != 0 || len(tg.Sent()) != 0 {
		t.Fatalf("refused answers left: Twilio %d, Telegram %d", len(tw.Sent()), len(tg.Sent()))
	}

	r := couture(t, dir, "Voici le devis.\n", "send", id, "--channel", "telegram", "--body-stdin", "--attach", file)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "sent" {
		t.Fatalf("send: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	sent := tg.Sent()
	if len(sent) != 1 || sent[0].Method != "sendDocument" || sent[0].FileName != "Devis été.pdf" ||
		sent[0].Caption != "Voici le devis." || !bytes.Equal(sent[0].Data, pdf) {
		t.Fatalf("Telegram received %+v", sent)
	}
	tl := decode[[]struct {
		Direction   string `json:"direction"`
		Channel     string `json:"channel"`
		State       string `json:"state"`
		Attachments []struct {
			Name string `json:"name"`
			Size int64  `json:"size"`
		} `json:"attachments"`
	}](t, ok(t, dir, "timeline", id, "--json"))
	last := tl[len(tl)-1]
	if last.Direction != "out" || last.Channel != "telegram" || last.State != "sent" || len(last.Attachments) != 1 ||
		last.Attachments[0].Name != "Devis été.pdf" || last.Attachments[0].Size != int64(len(pdf)) {
		t.Errorf("the answer on the timeline: %+v", last)
	}
}
