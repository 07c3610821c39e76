package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/internal/dovecot"
	faketelegram "github.com/couture/couture/internal/fakes/telegram"
	faketwilio "github.com/couture/couture/internal/fakes/twilio"
)

// The same person writes by SMS, then WhatsApp, then Telegram (sharing their
// phone number), then e-mail: through the real binary, `sync --once` makes
// ONE customer of the three phone channels (exact links), the e-mail joins by
// an agent's merge (an address is only evidence, never an automatic link),
// and an answer on each channel reaches that channel's server in the shape
// its API documents.
func TestOnePersonAcrossSMSWhatsAppAndTelegram(t *testing.T) {
	dir := t.TempDir()
	const shop, anna = "+33465712020", "+33612345678"
	sid := faketwilio.SID("AC", 7)
	tw := faketwilio.New(sid, "twilio-secret")
	defer tw.Close()
	tw.AddNumber(shop)
	tw.AddWhatsAppSender(shop)
	tg := faketelegram.New("123456:telegram-token")
	defer tg.Close()

	if r := couture(t, dir, "twilio-secret\n", "account", "add", "twilio", "--name", "shop-sms", "--account-sid", sid,
		"--auth-token-stdin", "--from", shop, "--whatsapp-from", shop, "--api-url", tw.URL); r.code != 0 {
		t.Fatalf("add twilio: %s", r.stderr)
	}
	if r := couture(t, dir, "123456:telegram-token\n", "account", "add", "telegram", "--name", "shop-bot",
		"--token-stdin", "--api-url", tg.URL); r.code != 0 {
		t.Fatalf("add telegram: %s", r.stderr)
	}

	mail := dovecot.Start(t, nil)
	sink := dovecot.StartSMTP(t, &dovecot.SMTPOptions{Deliver: mail, Users: map[string]string{"alice": mail.Password("alice")}})
	if r := couture(t, dir, mail.Password("alice")+"\n", "account", "add", "email", "--name", "shop-mail",
		"--address", dovecot.Address("alice"), "--imap", mail.IMAP, "--imap-security", "none",
		"--smtp", sink.Addr, "--smtp-security", "none", "--username", "alice", "--password-stdin"); r.code != 0 {
		t.Fatalf("add email: %s", r.stderr)
	}

	now := time.Now()
	tw.AddInboundAt(now.Add(-3*time.Hour), anna, shop, "Bonjour, vous faites des fraisiers ?")
	tw.AddInboundAt(now.Add(-2*time.Hour), "whatsapp:"+anna, "whatsapp:"+shop, "C'est Anna, pour samedi 8 personnes")
	tg.SetClock(func() time.Time { return now.Add(-time.Hour) })
	annaTG := faketelegram.User{ID: 4242, FirstName: "Anna", LastName: "Martin"}
	tg.SendText(annaTG, "Je vous écris aussi ici")
	tg.ShareContact(annaTG, faketelegram.Contact{PhoneNumber: anna, FirstName: "Anna", UserID: annaTG.ID})

	mail.Deliver("alice", []byte("From: Anna Martin <anna@example.org>\r\nTo: "+dovecot.Address("alice")+
		"\r\nSubject: Fraisier samedi\r\nMessage-ID: <anna-1@example.org>\r\nDate: "+now.Add(-time.Minute).Format(time.RFC1123Z)+
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nJe confirme par mail.\r\nAnna, "+anna+"\r\n"))

	ok(t, dir, "sync", "--once")
	cs := decode[[]custJSON](t, ok(t, dir, "customers", "--json"))
	if len(cs) != 2 {
		t.Fatalf("customers = %+v, want the phone person and the e-mail address", cs)
	}
	// The agent merges the e-mail address into the phone person.
	into, from := cs[0], cs[1]
	if len(from.Identities) != 1 || from.Identities[0].Kind != "email" {
		into, from = from, into
	}
	ok(t, dir, "merge", fmt.Sprint(into.ID), fmt.Sprint(from.ID))
	cs = decode[[]custJSON](t, ok(t, dir, "customers", "--json"))
	if len(cs) != 1 {
		t.Fatalf("customers = %+v, want one person", cs)
	}
	kinds := map[string]string{}
	for _, id := range cs[0].Identities {
		kinds[id.Kind] = id.Address
	}
	if kinds["phone"] != anna || kinds["telegram"] != "4242" || kinds["email"] != "anna@example.org" {
		t.Fatalf("identities = %+v", cs[0].Identities)
	}
	tl := decode[[]msgJSON](t, ok(t, dir, "timeline", fmt.Sprint(cs[0].ID), "--json"))
	var channels []string
	for _, m := range tl {
		if m.Direction == "in" {
			channels = append(channels, m.Channel)
		}
	}
	if got := strings.Join(channels, ","); got != "sms,whatsapp,telegram,telegram,email" {
		t.Fatalf("inbound channels in order = %s", got)
	}
	// Syncing again adds nothing.
	ok(t, dir, "sync", "--once")
	if again := decode[[]msgJSON](t, ok(t, dir, "timeline", fmt.Sprint(cs[0].ID), "--json")); len(again) != len(tl) {
		t.Fatalf("second sync: %d entries, was %d", len(again), len(tl))
	}

	id := fmt.Sprint(cs[0].ID)
	for _, ch := range []string{"sms", "whatsapp", "telegram", "email"} {
		r := couture(t, dir, "Oui, fraisier pour 8 samedi ("+ch+")\n", "send", id, "--channel", ch, "--body-stdin")
		if r.code != 0 {
			t.Fatalf("send on %s: exit %d: %s%s", ch, r.code, r.stdout, r.stderr)
		}
	}
	sent := tw.Sent()
	if len(sent) != 2 || sent[0].Form.Get("To") != anna || sent[0].Form.Get("From") != shop ||
		sent[1].Form.Get("To") != "whatsapp:"+anna || sent[1].Form.Get("From") != "whatsapp:"+shop {
		t.Fatalf("Twilio received %+v", sent)
	}
	if v := tw.Violations(); len(v) != 0 {
		t.Fatalf("requests outside Twilio's OpenAPI description: %v", v)
	}
	if ts := tg.Sent(); len(ts) != 1 || ts[0].ChatID != annaTG.ID || !strings.Contains(ts[0].Text, "(telegram)") {
		t.Fatalf("Telegram received %+v", ts)
	}
	mails, err := sink.WaitMails(1, 10*time.Second)
	if err != nil || len(mails) != 1 || mails[0].To[0] != "anna@example.org" ||
		!strings.Contains(string(mails[0].Data), "In-Reply-To: <anna-1@example.org>") {
		t.Fatalf("SMTP received %+v (%v)", mails, err)
	}
}
