package email

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

func TestNewChecksSettings(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	base := func() map[string]string {
		return map[string]string{
			channels.SetAddress: "Hello@Atelier.Example",
			channels.SetIMAP:    "imap.atelier.example:993", channels.SetSMTP: "smtp.atelier.example:587",
		}
	}
	tests := []struct {
		name   string
		change map[string]string
		secret string
		says   string // "" when New must accept the settings
	}{
		{name: "defaults from ports", change: nil},
		{name: "no address", change: map[string]string{channels.SetAddress: ""}, says: "is not an e-mail address"},
		{name: "no IMAP server", change: map[string]string{channels.SetIMAP: ""}, says: "no IMAP server"},
		{name: "no port", change: map[string]string{channels.SetSMTP: "smtp.atelier.example"}, says: "give it as host:port"},
		{name: "bad port", change: map[string]string{channels.SetIMAP: "imap.atelier.example:99999"}, says: "from 1 to 65535"},
		{name: "unknown security", change: map[string]string{channels.SetIMAPSecurity: "ssl"}, says: "use tls, starttls or none"},
		{name: "none off loopback", change: map[string]string{channels.SetIMAPSecurity: "none"}, says: "would send the password in clear"},
		{name: "none allowed", change: map[string]string{channels.SetIMAPSecurity: "none", channels.SetAllowInsecure: "true"}},
		{name: "none on loopback", change: map[string]string{channels.SetSMTP: "127.0.0.1:25", channels.SetSMTPSecurity: "none"}},
		{name: "none on localhost", change: map[string]string{channels.SetSMTP: "localhost:25", channels.SetSMTPSecurity: "none"}},
		{name: "none on IPv6 loopback", change: map[string]string{channels.SetIMAP: "[::1]:143", channels.SetIMAPSecurity: "none"}},
		{name: "missing CA file", change: map[string]string{channels.SetCAFile: filepath.Join(dir, "nope.pem")}, says: "cannot read the CA file"},
		{name: "CA file without PEM", change: map[string]string{channels.SetCAFile: notPEM}, says: "holds no PEM certificate"},
		{name: "bad sent_copy", change: map[string]string{SetSentCopy: "sometimes"}, says: "use auto, append or server"},
		{name: "no password", secret: "-", says: "has no password"},
		{name: "token instead of password", secret: "-", change: map[string]string{channels.SetTokenCommand: "echo tok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			for k, v := range tt.change {
				s[k] = v
			}
			secret := "pw"
			if tt.secret == "-" {
				secret = ""
			}
			c, err := New(channels.Account{Name: "shop", Kind: channels.KindEmail, Settings: s}, secret, channels.Deps{})
			if tt.says == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if inbox.ErrorCode(err) != inbox.Invalid || !strings.Contains(inbox.Explain(err), tt.says) {
				t.Fatalf("New: %v (%v), want invalid saying %q", err, c, tt.says)
			}
		})
	}
	c, err := New(channels.Account{Name: "shop", Kind: channels.KindEmail, Settings: base()}, "pw", channels.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if c.address != "hello@atelier.example" || c.username != "hello@atelier.example" || c.imap.security != SecurityTLS || c.smtp.security != SecurityStartTLS || c.sentCopy != "auto" {
		t.Errorf("defaults: address %s user %s imap %s smtp %s sent %s", c.address, c.username, c.imap, c.smtp, c.sentCopy)
	}
}

func TestOwnAddresses(t *testing.T) {
	c, err := New(channels.Account{Name: "shop", Kind: channels.KindEmail, Settings: map[string]string{
		channels.SetAddress: "hello@atelier.example", channels.SetAliases: "Orders@Atelier.Example, nonsense",
		channels.SetIMAP: "imap.atelier.example:993", channels.SetSMTP: "smtp.atelier.example:465",
	}}, "pw", channels.Deps{Own: func(a string) bool { return a == "other@shop.example" }})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"hello@atelier.example": true, "orders@atelier.example": true, "other@shop.example": true,
		"customer@example.com": false, "nonsense": false,
	} {
		if c.own(addr) != want {
			t.Errorf("own(%q) = %v", addr, !want)
		}
	}
}

func TestToken(t *testing.T) {
	c := &Channel{name: "shop", tokenCmd: "printf ' ya29.token \\n'"}
	if tok, err := c.token(context.Background()); err != nil || tok != "ya29.token" {
		t.Errorf("token = %q, %v", tok, err)
	}
	c.tokenCmd = "exit 3"
	if _, err := c.token(context.Background()); inbox.ErrorCode(err) != inbox.Auth {
		t.Errorf("failing token command: %v", err)
	}
}

func TestComposeIsStable(t *testing.T) {
	c, err := New(channels.Account{Name: "shop", Kind: channels.KindEmail, Settings: map[string]string{
		channels.SetAddress: "hello@atelier.example", channels.SetIMAP: "imap.atelier.example:993", channels.SetSMTP: "smtp.atelier.example:465",
	}}, "pw", channels.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	m := answer(42, "bob@customer.example")
	raw1, id1, err := c.compose(m)
	if err != nil {
		t.Fatal(err)
	}
	raw2, id2, _ := c.compose(m)
	if id1 != id2 || !strings.HasSuffix(id1, "@atelier.example") {
		t.Errorf("Message-IDs %q and %q: want the same, at the account's domain", id1, id2)
	}
	// Boundaries differ; the key the store de-duplicates on does not.
	if c.externalID(raw1) != c.externalID(raw2) || c.externalID(raw1) == "" {
		t.Errorf("external ids %q and %q", c.externalID(raw1), c.externalID(raw2))
	}
	in, err := (&Parser{Own: c.own}).Parse(raw1)
	if err != nil {
		t.Fatal(err)
	}
	got := in.Message
	if got.Direction != inbox.Out || got.Party.Address != "bob@customer.example" || got.Subject != m.Subject ||
		!got.SentAt.Equal(m.SentAt) || got.Warning != "" || !strings.HasPrefix(got.Text, "Hello Bob,\n\nYour suit is ready") {
		t.Errorf("parsed back: %+v", got)
	}
	if refs := got.ThreadRefs; len(refs) != 2 || refs[0] != "first@customer.example" || refs[1] != "second@customer.example" {
		t.Errorf("thread refs %v", refs)
	}
	m.ID = 43
	if _, id3, _ := c.compose(m); id3 == id1 {
		t.Errorf("two answers share the Message-ID %s", id1)
	}
	m.ExternalID = "kept@atelier.example#0123456789ab"
	if _, id4, _ := c.compose(m); id4 != "kept@atelier.example" {
		t.Errorf("Message-ID %q, want the recorded one", id4)
	}
	if _, _, err := c.compose(inbox.Message{Text: "x"}); inbox.ErrorCode(err) != inbox.Invalid {
		t.Errorf("compose without recipient: %v", err)
	}
}

func TestHTMLOf(t *testing.T) {
	got := htmlOf("Hi <b>Bob</b> & co,\nline two\n\n\n> quoted\n> more\n\nbye")
	for _, want := range []string{
		"<p>Hi &lt;b&gt;Bob&lt;/b&gt; &amp; co,<br>\nline two</p>",
		"<blockquote", "<p>quoted<br>\nmore</p></blockquote>", "<p>bye</p>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("htmlOf lacks %q:\n%s", want, got)
		}
	}
}

func TestFolderRules(t *testing.T) {
	tests := []struct {
		f            folder
		synced, sent bool
	}{
		{folder{name: "INBOX"}, true, false},
		{folder{name: "Archive/2023"}, true, false},
		{folder{name: "Sent Items"}, true, true},
		{folder{name: "[Gmail]/Sent Mail", attrs: []imap.MailboxAttr{`\Sent`}}, true, true},
		{folder{name: "Envoyés"}, true, true},
		{folder{name: "[Gmail]/Spam", attrs: []imap.MailboxAttr{`\Junk`}}, false, false},
		{folder{name: "Junk E-mail"}, false, false},
		{folder{name: "Deleted Items"}, false, false},
		{folder{name: "Drafts"}, false, false},
		{folder{name: "Papierkorb"}, false, false},
		{folder{name: "Poubelle", attrs: []imap.MailboxAttr{`\Trash`}}, false, false},
		{folder{name: "[Gmail]/Starred", attrs: []imap.MailboxAttr{`\Flagged`}}, false, false},
		{folder{name: "[Gmail]", attrs: []imap.MailboxAttr{`\Noselect`}}, false, false},
		{folder{name: "Customers.Spam"}, false, false},
	}
	for _, tt := range tests {
		if tt.f.synced() != tt.synced || tt.f.isSent() != tt.sent {
			t.Errorf("%s %v: synced %v sent %v, want %v %v", tt.f.name, tt.f.attrs, tt.f.synced(), tt.f.isSent(), tt.synced, tt.sent)
		}
	}
}
