package email

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-message/mail"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/dovecot"
)

// answer is an outbound message as the Desk queues it.
func answer(id inbox.MessageID, to string) inbox.Message {
	return inbox.Message{
		ID: id, Channel: inbox.ChannelEmail, Direction: inbox.Out, State: inbox.StateSending,
		Party: inbox.Identity{Kind: inbox.KindEmail, Address: to}, To: to,
		Subject:    "Re: Fitting appointment — Tuesday?",
		Text:       "Hello Bob,\n\nYour suit is ready; come on Tuesday <after 10>.\nSee you & thanks!\n\n> Is my suit ready?\n> Bob",
		ThreadRefs: []string{"first@customer.example", "second@customer.example#0123456789ab"},
		SentAt:     time.Date(2024, 5, 14, 9, 30, 0, 0, time.UTC),
		Author:     "Anna",
	}
}

// sendSetup is a Dovecot, an SMTP server delivering into it, and alice's
// channel sending through it.
type sendSetup struct {
	srv  *dovecot.Server
	smtp *dovecot.SMTP
	k    *deskSink
	c    *Channel
}

func newSendSetup(t *testing.T, opts dovecot.SMTPOptions) *sendSetup {
	srv := dovecot.Start(t, nil)
	opts.Deliver = srv
	if opts.Users == nil {
		opts.Users = map[string]string{"alice": srv.Password("alice")}
	}
	if opts.Security == "" {
		opts.Security = SecurityStartTLS
	}
	sm := dovecot.StartSMTP(t, &opts)
	k := newDeskSink(t, "alice")
	c := newChannel(t, k, account(srv, "alice", func(s map[string]string) {
		s[channels.SetSMTP], s[channels.SetSMTPSecurity], s[channels.SetCAFile] = sm.Addr, opts.Security, sm.CAFile
	}), srv.Password("alice"))
	return &sendSetup{srv: srv, smtp: sm, k: k, c: c}
}

// sentCount returns how many messages user's Sent folder holds.
func sentCount(t testing.TB, srv *dovecot.Server, user string) uint32 {
	t.Helper()
	st, err := imapLogin(t, srv, user).Status("Sent", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return *st.NumMessages
}

func TestSendReachesTheRecipientAndSent(t *testing.T) {
	t.Parallel()
	s := newSendSetup(t, dovecot.SMTPOptions{})
	ctx := context.Background()
	m := answer(42, dovecot.Address("bob"))
	rc, err := s.c.Send(ctx, m)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if rc.State != inbox.StateSent || !rc.SentAt.Equal(m.SentAt) || !strings.HasPrefix(rc.ExternalID, "couture.") {
		t.Errorf("receipt = %+v", rc)
	}

	mails, err := s.smtp.WaitMails(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := mails[0]
	if got.From != "alice@couture.test" || len(got.To) != 1 || got.To[0] != "bob@couture.test" {
		t.Errorf("envelope from %s to %v", got.From, got.To)
	}
	mr, err := mail.CreateReader(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	h := mr.Header
	checks := map[string]string{
		"From":        "<alice@couture.test>",
		"To":          "<bob@couture.test>",
		"Message-Id":  "<" + MessageIDOf(rc.ExternalID) + ">",
		"In-Reply-To": "<second@customer.example>",
		"References":  "<first@customer.example> <second@customer.example>",
		"Date":        "Tue, 14 May 2024 09:30:00 +0000",
	}
	for k, want := range checks {
		if v := h.Get(k); v != want {
			t.Errorf("%s: %q, want %q", k, v, want)
		}
	}
	if subj, _ := h.Subject(); subj != m.Subject {
		t.Errorf("Subject %q", subj)
	}
	if ct, _, _ := h.ContentType(); ct != "multipart/alternative" {
		t.Errorf("Content-Type %s", ct)
	}
	bodies := map[string]string{}
	for p := range parts(t, mr.NextPart) {
		ih, ok := p.Header.(*mail.InlineHeader)
		if !ok {
			t.Fatalf("part %T is not inline", p.Header)
		}
		ct, params, _ := ih.ContentType()
		body, _ := io.ReadAll(p.Body)
		bodies[ct] = strings.ReplaceAll(string(body), "\r\n", "\n")
		if params["charset"] != "utf-8" {
			t.Errorf("%s charset %q", ct, params["charset"])
		}
	}
	if !strings.Contains(bodies["text/plain"], "Your suit is ready; come on Tuesday <after 10>.\nSee you & thanks!") {
		t.Errorf("text part %q", bodies["text/plain"])
	}
	for _, want := range []string{"<p>Hello Bob,</p>", "come on Tuesday &lt;after 10&gt;.<br>\nSee you &amp; thanks!", "<blockquote", "Is my suit ready?<br>\nBob"} {
		if !strings.Contains(bodies["text/html"], want) {
			t.Errorf("HTML part lacks %q:\n%s", want, bodies["text/html"])
		}
	}

	// Bob receives it; alice's Sent holds one copy, read back as the same
	// message.
	kb := newDeskSink(t, "bob")
	syncOnce(t, newChannel(t, kb, account(s.srv, "bob"), s.srv.Password("bob")), kb)
	if in, ok := kb.byMessageID()[MessageIDOf(rc.ExternalID)]; !ok || in.Direction != inbox.In || in.ExternalID != rc.ExternalID {
		t.Errorf("bob's copy: %+v (found %v)", in, ok)
	}
	if n := sentCount(t, s.srv, "alice"); n != 1 {
		t.Errorf("alice's Sent holds %d messages, want 1", n)
	}
	syncOnce(t, s.c, s.k)
	sent := s.k.messages()
	if len(sent) != 1 || sent[0].ExternalID != rc.ExternalID || sent[0].Direction != inbox.Out || sent[0].Party.Address != "bob@couture.test" || !strings.Contains(sent[0].Text, "Your suit is ready") {
		t.Errorf("alice's Sent synced as %+v", sent)
	}

	// After a crash, Delivered finds it; a message never sent is not found.
	drc, ok, err := s.c.Delivered(ctx, m)
	if err != nil || !ok || drc.ExternalID != rc.ExternalID {
		t.Errorf("Delivered(sent) = %+v, %v, %v", drc, ok, err)
	}
	if _, ok, err := s.c.Delivered(ctx, answer(43, dovecot.Address("bob"))); err != nil || ok {
		t.Errorf("Delivered(unsent) = %v, %v", ok, err)
	}
}

func TestSentCopyOfAStoredAnswerIsNoDuplicate(t *testing.T) {
	t.Parallel()
	s := newSendSetup(t, dovecot.SMTPOptions{})
	// The answer as the Desk stores it, then as the Outbox records it.
	m := answer(0, dovecot.Address("bob"))
	m.State = inbox.StateQueued
	res, err := s.k.desk.Ingest(context.Background(), inbox.Batch{Account: "alice", Messages: []inbox.Incoming{{Message: m}}})
	if err != nil || res.Added != 1 {
		t.Fatalf("store the answer: %+v, %v", res, err)
	}
	stored := s.k.messages()[0]
	rc, err := s.c.Send(context.Background(), stored)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.k.store.UpdateMessage(stored.ID, func(x *inbox.Message) error {
		x.State, x.ExternalID = rc.State, rc.ExternalID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	syncOnce(t, s.c, s.k)
	if added, dups, _ := s.k.totals(); added != 0 || dups != 1 {
		t.Errorf("syncing the Sent copy: added %d, duplicates %d; want 0 and 1", added, dups)
	}
	if n := len(s.k.messages()); n != 1 {
		t.Errorf("the timeline holds %d messages, want the one answer", n)
	}
}

func TestSendDoesNotFileASecondCopyWhenTheServerDid(t *testing.T) {
	t.Parallel()
	s := newSendSetup(t, dovecot.SMTPOptions{FileSent: true}) // Gmail-like
	if _, err := s.c.Send(context.Background(), answer(7, dovecot.Address("bob"))); err != nil {
		t.Fatal(err)
	}
	if n := sentCount(t, s.srv, "alice"); n != 1 {
		t.Errorf("Sent holds %d copies, want the server's one", n)
	}
}

func TestSendOverImplicitTLS(t *testing.T) {
	t.Parallel()
	s := newSendSetup(t, dovecot.SMTPOptions{Security: SecurityTLS})
	if _, err := s.c.Send(context.Background(), answer(8, dovecot.Address("bob"))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.smtp.WaitMails(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	lines, err := s.c.Test(context.Background())
	if err != nil || len(lines) != 2 || !strings.Contains(lines[1], "logged in as alice (offers PLAIN)") {
		t.Errorf("Test = %q, %v", lines, err)
	}
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	s := newSendSetup(t, dovecot.SMTPOptions{})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := closed.Addr().String()
	closed.Close()
	tests := []struct {
		name     string
		settings func(map[string]string)
		password string
		to       string
		code     inbox.Code
		says     string
	}{
		{"wrong password", nil, "nope", "bob@couture.test", inbox.Auth, "refused the login of alice"},
		{"refused recipient", nil, "", "reject@customer.example", inbox.Invalid, "did not accept the recipient reject@customer.example: 550"},
		{"server down", func(m map[string]string) { m[channels.SetSMTP] = down }, "", "bob@couture.test", inbox.Unavailable, "cannot reach the SMTP server"},
		{"untrusted certificate", func(m map[string]string) { m[channels.SetCAFile] = "" }, "", "bob@couture.test", inbox.Invalid, "--ca-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := account(s.srv, "alice", func(m map[string]string) {
				m[channels.SetSMTP], m[channels.SetSMTPSecurity], m[channels.SetCAFile] = s.smtp.Addr, SecurityStartTLS, s.smtp.CAFile
			})
			if tt.settings != nil {
				tt.settings(a.Settings)
			}
			pw := tt.password
			if pw == "" {
				pw = s.srv.Password("alice")
			}
			c := newChannel(t, s.k, a, pw)
			_, err := c.Send(context.Background(), answer(9, tt.to))
			if inbox.ErrorCode(err) != tt.code || !strings.Contains(inbox.Explain(err), tt.says) {
				t.Errorf("Send: %v (code %q); want code %q saying %q", err, inbox.ErrorCode(err), tt.code, tt.says)
			}
		})
	}
}

// TestSendWithoutVerdictIsUncertain uses a server that takes the whole
// message and hangs up before answering: the message may have left.
func TestSendWithoutVerdictIsUncertain(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		io.WriteString(conn, "220 mx.test ESMTP\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); cmd {
			case "EHLO", "HELO":
				io.WriteString(conn, "250 mx.test\r\n")
			case "MAIL", "RCPT":
				io.WriteString(conn, "250 OK\r\n")
			case "DATA":
				io.WriteString(conn, "354 go on\r\n")
				for {
					l, err := r.ReadString('\n')
					if err != nil || l == ".\r\n" {
						return // hang up without a verdict
					}
				}
			default:
				io.WriteString(conn, "502 no\r\n")
			}
		}
	}()
	k := newDeskSink(t, "alice")
	c, err := New(channels.Account{Name: "alice", Kind: channels.KindEmail, Settings: map[string]string{
		channels.SetAddress: "alice@couture.test", channels.SetIMAP: "127.0.0.1:1", channels.SetIMAPSecurity: SecurityNone,
		channels.SetSMTP: l.Addr().String(), channels.SetSMTPSecurity: SecurityNone, SetSentCopy: "server",
	}}, "pw", channels.Deps{Blobs: k.store})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Send(context.Background(), answer(10, "bob@customer.example"))
	var unsure *channels.Uncertain
	if !errors.As(err, &unsure) {
		t.Errorf("Send: %v, want *channels.Uncertain", err)
	}
}
