package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/couture/couture/inbox"
)

// session is one logged-in IMAP connection. Only its owner's goroutine
// sends commands on it.
type session struct {
	c    *Channel
	cl   *imapclient.Client
	caps imap.CapSet
	stop func() bool // undoes the close-on-cancel hook
	// wake receives a value when the server reports a change in the
	// selected mailbox (new mail, expunge, flags) outside a command.
	wake chan struct{}
}

// connect dials the IMAP server, secures the connection as configured and
// logs in. It fails with inbox.Auth when the credentials are refused,
// inbox.Invalid when the server's certificate is not trusted and
// inbox.Unavailable when the server cannot be reached. Cancelling ctx
// closes the connection.
func (c *Channel) connect(ctx context.Context) (*session, error) {
	s := &session{c: c, wake: make(chan struct{}, 1)}
	notify := func() {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	opts := &imapclient.Options{
		TLSConfig: c.tlsConfig(c.imap.host),
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Expunge: func(uint32) { notify() },
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					notify()
				}
			},
			// The data must be read, or the client waits for it.
			Fetch: func(m *imapclient.FetchMessageData) {
				for m.Next() != nil {
				}
				notify()
			},
		},
	}
	conn, err := c.dial(ctx, c.imap.addr)
	if err != nil {
		return nil, connError("IMAP", c.imap, err)
	}
	stopEarly := context.AfterFunc(ctx, func() { conn.Close() })
	switch c.imap.security {
	case SecurityTLS:
		tc := tls.Client(conn, opts.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, connError("IMAP", c.imap, err)
		}
		s.cl = imapclient.New(tc, opts)
	case SecurityStartTLS:
		s.cl, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			conn.Close()
			if serverRefused(err) {
				return nil, inbox.Wrap(inbox.Invalid, err, fmt.Sprintf("the IMAP server %s does not offer STARTTLS; use security tls (port 993)", c.imap.addr))
			}
			return nil, connError("IMAP", c.imap, err)
		}
	default:
		s.cl = imapclient.New(conn, opts)
	}
	stopEarly()
	s.stop = context.AfterFunc(ctx, func() { s.cl.Close() })
	if err := s.cl.WaitGreeting(); err != nil {
		s.close()
		return nil, connError("IMAP", c.imap, err)
	}
	if err := s.login(ctx); err != nil {
		s.close()
		return nil, err
	}
	c.mu.Lock()
	c.sessions[s] = true
	c.mu.Unlock()
	return s, nil
}

// login authenticates: OAUTHBEARER or XOAUTH2 with the token command's
// token when one is configured, else AUTHENTICATE PLAIN when offered (it
// carries any UTF-8 password), else LOGIN.
func (s *session) login(ctx context.Context) error {
	c := s.c
	caps := s.cl.Caps()
	var err error
	switch {
	case c.tokenCmd != "":
		var tok string
		if tok, err = c.token(ctx); err != nil {
			return err
		}
		if caps.Has(imap.AuthCap(sasl.OAuthBearer)) {
			err = s.cl.Authenticate(oauthBearer{sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: c.username, Token: tok})})
		} else {
			err = s.cl.Authenticate(newXOAuth2(c.username, tok))
		}
	case caps.Has(imap.AuthCap(sasl.Plain)):
		err = s.cl.Authenticate(sasl.NewPlainClient("", c.username, c.password))
	default:
		err = s.cl.Login(c.username, c.password).Wait()
	}
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
			return inbox.Wrap(inbox.Auth, err, fmt.Sprintf(
				"the IMAP server %s refused the login of %s: check the user name and password (the server said %q)", c.imap.addr, c.username, ie.Text))
		}
		return connError("IMAP", c.imap, err)
	}
	s.caps = s.cl.Caps()
	return nil
}

// close logs out (best effort) and closes the connection.
func (s *session) close() {
	if s.stop != nil {
		s.stop()
	}
	s.c.mu.Lock()
	delete(s.c.sessions, s)
	s.c.mu.Unlock()
	if s.cl.State() == imap.ConnStateAuthenticated || s.cl.State() == imap.ConnStateSelected {
		s.cl.Logout().Wait()
	}
	s.cl.Close()
}

// oauthBearer finishes a refused OAUTHBEARER exchange as RFC 7628 §3.2.3
// asks: the server's error challenge is answered with a lone %x01, and the
// server then ends the command with NO, which login reports as a refused
// login. go-sasl's client gives up on the challenge instead, leaving the
// command half done.
type oauthBearer struct{ sasl.Client }

func (o oauthBearer) Next(challenge []byte) ([]byte, error) {
	if _, err := o.Client.Next(challenge); err != nil {
		var refused *sasl.OAuthBearerError
		if errors.As(err, &refused) {
			return []byte{1}, nil
		}
		return nil, err
	}
	return []byte{}, nil
}

// xoauth2 is the SASL XOAUTH2 mechanism of Gmail and Outlook
// (developers.google.com/gmail/imap/xoauth2-protocol).
type xoauth2 struct{ user, token string }

func newXOAuth2(user, token string) sasl.Client { return &xoauth2{user, token} }

func (x *xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers the server's error challenge with an empty response, as
// the protocol asks, so the server ends with NO.
func (x *xoauth2) Next([]byte) ([]byte, error) { return []byte{}, nil }

// folder is a mailbox as LIST reports it.
type folder struct {
	name   string
	attrs  []imap.MailboxAttr
	status *imap.StatusData // from LIST-STATUS; nil when the server has none
}

// has reports whether the folder carries a mailbox attribute.
func (f folder) has(a imap.MailboxAttr) bool {
	return slices.ContainsFunc(f.attrs, func(x imap.MailboxAttr) bool { return strings.EqualFold(string(x), string(a)) })
}

// Folder names that mean junk, trash, drafts and sent mail when a server
// has no SPECIAL-USE (RFC 6154) attributes, lower-case, as the last part
// of the folder's path.
var (
	skipNames = map[string]bool{
		"junk": true, "junk e-mail": true, "junk email": true, "junk mail": true, "spam": true,
		"bulk mail": true, "unwanted": true, "courrier indésirable": true, "spamverdacht": true,
		"trash": true, "deleted": true, "deleted items": true, "deleted messages": true, "bin": true,
		"corbeille": true, "papierkorb": true, "éléments supprimés": true,
		"drafts": true, "draft": true, "brouillons": true, "entwürfe": true, "templates": true,
	}
	sentNames = []string{"sent", "sent items", "sent messages", "sent mail", "éléments envoyés", "envoyés", "gesendet", "gesendete objekte"}
)

// leaf returns the last part of a folder path.
func leaf(name string) string {
	if i := strings.LastIndexAny(name, "/."); i >= 0 && !strings.EqualFold(name, "INBOX") {
		return name[i+1:]
	}
	return name
}

// synced reports whether Sync reads the folder: every selectable folder
// except junk, trash and drafts (by SPECIAL-USE attribute, RFC 6154, or
// by name), and except virtual views that repeat other folders (\Flagged,
// \Important).
func (f folder) synced() bool {
	for _, a := range []imap.MailboxAttr{imap.MailboxAttrNoSelect, imap.MailboxAttrNonExistent,
		imap.MailboxAttrJunk, imap.MailboxAttrTrash, imap.MailboxAttrDrafts, imap.MailboxAttrFlagged, imap.MailboxAttr(`\Important`)} {
		if f.has(a) {
			return false
		}
	}
	return !skipNames[strings.ToLower(leaf(f.name))] && !skipNames[strings.ToLower(f.name)]
}

// isSent reports whether the folder holds the account's sent mail.
func (f folder) isSent() bool {
	return f.has(imap.MailboxAttrSent) || slices.Contains(sentNames, strings.ToLower(leaf(f.name)))
}

// folders lists the mailboxes, with their status when the server can send
// it in the same command (LIST-STATUS, RFC 5819): then an unchanged account
// costs this one round trip.
func (s *session) folders() ([]folder, error) {
	// RETURN options need LIST-EXTENDED (RFC 5258); LIST-STATUS (RFC 5819)
	// implies it. Without them, SPECIAL-USE attributes still come with a
	// plain LIST (RFC 6154 section 2).
	var opts *imap.ListOptions
	extended := s.caps.Has(imap.CapListExtended) || s.caps.Has(imap.CapIMAP4rev2)
	if s.caps.Has(imap.CapListStatus) || s.caps.Has(imap.CapIMAP4rev2) {
		opts = &imap.ListOptions{ReturnStatus: &imap.StatusOptions{UIDNext: true, UIDValidity: true, NumMessages: true, HighestModSeq: s.condstore()}}
		extended = true
	}
	if extended && s.caps.Has(imap.CapSpecialUse) {
		if opts == nil {
			opts = &imap.ListOptions{}
		}
		opts.ReturnSpecialUse = true
	}
	list, err := s.cl.List("", "*", opts).Collect()
	if err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	out := make([]folder, 0, len(list))
	for _, l := range list {
		out = append(out, folder{name: l.Mailbox, attrs: l.Attrs, status: l.Status})
	}
	// INBOX first, then Sent, then the rest by name: recent conversations
	// show early.
	rank := func(f folder) int {
		switch {
		case strings.EqualFold(f.name, "INBOX"):
			return 0
		case f.isSent():
			return 1
		case f.has(imap.MailboxAttrAll):
			return 3
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b folder) int {
		if r := rank(a) - rank(b); r != 0 {
			return r
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

// condstore reports whether the server offers CONDSTORE (RFC 7162).
func (s *session) condstore() bool {
	return s.caps.Has(imap.CapCondStore) || s.caps.Has(imap.CapIMAP4rev2)
}

// sentFolder returns the name of the Sent folder, creating "Sent" when the
// account has none.
func (s *session) sentFolder() (string, error) {
	all, err := s.folders()
	if err != nil {
		return "", err
	}
	for _, f := range all {
		if f.has(imap.MailboxAttrSent) {
			return f.name, nil
		}
	}
	for _, f := range all {
		if f.isSent() && !f.has(imap.MailboxAttrNoSelect) {
			return f.name, nil
		}
	}
	if err := s.cl.Create("Sent", nil).Wait(); err != nil {
		return "", fmt.Errorf("create the Sent folder: %w", err)
	}
	return "Sent", nil
}

// testIMAP logs in and describes the account.
func (c *Channel) testIMAP(ctx context.Context) (string, error) {
	s, err := c.connect(ctx)
	if err != nil {
		return "", err
	}
	defer s.close()
	all, err := s.folders()
	if err != nil {
		return "", connError("IMAP", c.imap, err)
	}
	var synced []string
	sent := "none yet (Couture will create Sent)"
	for _, f := range all {
		if f.synced() {
			synced = append(synced, f.name)
		}
		if f.isSent() && !strings.HasPrefix(sent, "\"") {
			sent = fmt.Sprintf("%q", f.name)
		}
	}
	var caps []string
	for _, cp := range []imap.Cap{imap.CapIMAP4rev2, imap.CapCondStore, imap.CapQResync, imap.CapIdle, imap.CapListStatus, imap.CapSpecialUse, imap.CapUIDPlus, imap.CapMove} {
		if s.caps.Has(cp) {
			caps = append(caps, string(cp))
		}
	}
	missing := ""
	if !s.condstore() {
		missing += "; without CONDSTORE every sync re-reads flags"
	}
	if !s.caps.Has(imap.CapIdle) && !s.caps.Has(imap.CapIMAP4rev2) {
		missing += "; without IDLE new mail is polled every few minutes"
	}
	return fmt.Sprintf("logged in as %s; %d folders, %d synced (%s); Sent folder %s; capabilities %s%s",
		c.username, len(all), len(synced), strings.Join(synced, ", "), sent, strings.Join(caps, " "), missing), nil
}
