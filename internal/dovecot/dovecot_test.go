package dovecot

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net/mail"
	"os"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func login(t *testing.T, s *Server, user string, useTLS bool) *imapclient.Client {
	t.Helper()
	var c *imapclient.Client
	var err error
	if useTLS {
		pem, rerr := os.ReadFile(s.CAFile)
		if rerr != nil {
			t.Fatal(rerr)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		c, err = imapclient.DialTLS(s.IMAPS, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
	} else {
		c, err = imapclient.DialInsecure(s.IMAP, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, s.Password(user)).Wait(); err != nil {
		t.Fatalf("login: %v\n%s", err, s.Log())
	}
	return c
}

func TestServerSeedsFoldersAndSpeaksIMAP(t *testing.T) {
	s := Start(t, nil)
	ids := s.Seed("alice", "INBOX", 20)
	s.Seed("alice", "Sent", 3)
	s.Seed("alice", "Projects/2024", 2)
	c := login(t, s, "alice", true)

	for _, capab := range []imap.Cap{imap.CapCondStore, imap.CapIdle, imap.CapSpecialUse, imap.CapListStatus, imap.CapUIDPlus} {
		if !c.Caps().Has(capab) {
			t.Errorf("capability %s missing", capab)
		}
	}
	list, err := c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true, ReturnStatus: &imap.StatusOptions{NumMessages: true, HighestModSeq: true}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint32{}
	special := map[string]string{}
	for _, l := range list {
		if l.Status != nil && l.Status.NumMessages != nil {
			got[l.Mailbox] = *l.Status.NumMessages
		}
		for _, a := range l.Attrs {
			special[string(a)] = l.Mailbox
		}
	}
	if got["INBOX"] != 20 || got["Sent"] != 3 || got["Projects/2024"] != 2 || got["Trash"] != 0 {
		t.Errorf("message counts = %v", got)
	}
	if special[`\Sent`] != "Sent" || special[`\Junk`] != "Junk" || special[`\Trash`] != "Trash" || special[`\Drafts`] != "Drafts" {
		t.Errorf("special-use = %v", special)
	}

	sel, err := c.Select("INBOX", &imap.SelectOptions{CondStore: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.HighestModSeq == 0 {
		t.Errorf("no HIGHESTMODSEQ: CONDSTORE is off")
	}
	msgs, err := c.Fetch(imap.UIDSetNum(1, 20), &imap.FetchOptions{Flags: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("fetched %d messages", len(msgs))
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[1].BodySection[0].Bytes))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Message-Id"); got != "<"+ids[19]+">" {
		t.Errorf("newest Message-ID = %s, want <%s>", got, ids[19])
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	s := Start(t, nil)
	c, err := imapclient.DialInsecure(s.IMAP, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", "nope").Wait(); err == nil {
		t.Fatal("login with a wrong password worked")
	}
}

func TestSMTPDeliversIntoDovecot(t *testing.T) {
	s := Start(t, nil)
	sink := StartSMTP(t, &SMTPOptions{Users: map[string]string{"bob": "pw"}, Security: "starttls", Deliver: s})
	pem, err := os.ReadFile(sink.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := smtp.DialStartTLS(sink.Addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "bob", "pw")); err != nil {
		t.Fatal(err)
	}
	raw := Generate(1, Address("bob"), true).Raw
	if err := c.SendMail(Address("bob"), []string{Address("alice")}, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	if _, err := sink.WaitMails(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	ic := login(t, s, "alice", false)
	st, err := ic.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if *st.NumMessages != 1 {
		t.Errorf("INBOX has %d messages, want the delivered one", *st.NumMessages)
	}
}
