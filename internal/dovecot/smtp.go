package dovecot

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPOptions configure StartSMTP; nil means defaults.
type SMTPOptions struct {
	// Users maps login names to passwords for AUTH PLAIN; when not nil, a
	// client must log in before MAIL FROM. Nil accepts mail from anyone.
	Users map[string]string
	// Tokens maps OAuth2 access tokens to login names: when not nil, the
	// server also offers OAUTHBEARER and XOAUTH2 and accepts those tokens.
	Tokens map[string]string
	// Security is "none" (the default), "starttls" or "tls" (implicit
	// TLS), with a self-signed certificate for 127.0.0.1 (CAFile): the
	// Deliver server's when there is one.
	Security string
	// Deliver, when set, delivers each accepted message to the recipients
	// that are users of this Dovecot (user@couture.test): into their
	// INBOX, as an MTA's local delivery does.
	Deliver *Server
	// FileSent, with Deliver, also files a copy of each message whose
	// envelope sender is a user of that Dovecot into the user's Sent
	// folder, as Gmail does: clients must not add a second one.
	FileSent bool
}

// Mail is one message the SMTP server accepted.
type Mail struct {
	From string
	To   []string
	Data []byte
}

// SMTP is a real SMTP server (go-smtp's server package) on a loopback port
// that records what it accepts. Recipients whose local part starts with
// "reject" are refused with 550 5.1.1, for tests of permanent failures.
type SMTP struct {
	// Addr is the host:port to send to.
	Addr string
	// CAFile is the PEM certificate of its TLS listener.
	CAFile string

	opts    SMTPOptions
	mu      sync.Mutex
	mails   []Mail
	arrived chan struct{} // closed and replaced at each accepted message
}

// StartSMTP runs an SMTP server for the test and stops it when the test
// ends.
func StartSMTP(tb testing.TB, opts *SMTPOptions) *SMTP {
	tb.Helper()
	s := &SMTP{arrived: make(chan struct{})}
	if opts != nil {
		s.opts = *opts
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }))
	srv.Domain = "smtp." + Domain
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 64 << 20
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.ErrorLog = tbLogger{tb}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtp: %v", err)
	}
	s.Addr = l.Addr().String()
	if s.opts.Security == "tls" || s.opts.Security == "starttls" {
		// With a Dovecot, its certificate: one ca_file serves both.
		dir := tb.TempDir()
		if s.opts.Deliver != nil {
			dir = s.opts.Deliver.Dir
		} else if err := writeCertificate(dir); err != nil {
			tb.Fatalf("smtp: %v", err)
		}
		s.CAFile = filepath.Join(dir, "cert.pem")
		cert, err := tls.LoadX509KeyPair(s.CAFile, filepath.Join(dir, "key.pem"))
		if err != nil {
			tb.Fatalf("smtp: %v", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		if s.opts.Security == "tls" {
			l = tls.NewListener(l, srv.TLSConfig)
		}
	}
	done := make(chan struct{})
	go func() { srv.Serve(l); close(done) }()
	tb.Cleanup(func() { srv.Close(); <-done })
	return s
}

// Mails returns the messages accepted so far.
func (s *SMTP) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// WaitMails waits until at least n messages were accepted, at most limit.
func (s *SMTP) WaitMails(n int, limit time.Duration) ([]Mail, error) {
	deadline := time.After(limit)
	for {
		s.mu.Lock()
		got, arrived := len(s.mails), s.arrived
		s.mu.Unlock()
		if got >= n {
			return s.Mails(), nil
		}
		select {
		case <-arrived:
		case <-deadline:
			return s.Mails(), fmt.Errorf("smtp: %d of %d messages after %v", got, n, limit)
		}
	}
}

func (s *SMTP) accept(m Mail) error {
	if d := s.opts.Deliver; d != nil {
		if local, domain, _ := strings.Cut(strings.ToLower(m.From), "@"); s.opts.FileSent && domain == Domain && d.users[local] != "" {
			d.Put(local, "Sent", m.Data, "S")
		}
		for _, rcpt := range m.To {
			local, domain, _ := strings.Cut(strings.ToLower(rcpt), "@")
			if domain != Domain || d.users[local] == "" {
				continue
			}
			received := fmt.Sprintf("Received: from couture by smtp.%s; %s\r\n", Domain, time.Now().Format(time.RFC1123Z))
			d.Deliver(local, append([]byte(received), m.Data...))
		}
	}
	s.mu.Lock()
	s.mails = append(s.mails, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()
	return nil
}

type smtpSession struct {
	s      *SMTP
	authed bool
	from   string
	to     []string
}

func (ss *smtpSession) AuthMechanisms() []string {
	if ss.s.opts.Tokens != nil {
		return []string{sasl.Plain, sasl.OAuthBearer, "XOAUTH2"}
	}
	return []string{sasl.Plain}
}

var errBadCredentials = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}

// token accepts an access token for user.
func (ss *smtpSession) token(user, tok string) bool {
	if u, ok := ss.s.opts.Tokens[tok]; ok && u == user {
		ss.authed = true
		return true
	}
	return false
}

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	switch mech {
	case sasl.OAuthBearer:
		return refusal{sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if !ss.token(o.Username, o.Token) {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		})}, nil
	case "XOAUTH2":
		return &xoauth2Server{check: ss.token}, nil
	}
	return sasl.NewPlainServer(func(_, username, password string) error {
		if p, ok := ss.s.opts.Users[username]; !ok || p != password {
			return errBadCredentials
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.Users != nil && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(strings.ToLower(to), "reject") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(ss.to) == 0 {
		return errors.New("no recipients")
	}
	return ss.s.accept(Mail{From: ss.from, To: ss.to, Data: b})
}

func (ss *smtpSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *smtpSession) Logout() error { return nil }

// tbLogger sends go-smtp's server errors to the test log.
type tbLogger struct{ tb testing.TB }

func (l tbLogger) Printf(format string, v ...any) { l.log(fmt.Sprintf(format, v...)) }
func (l tbLogger) Println(v ...any)               { l.log(fmt.Sprintln(v...)) }

func (l tbLogger) log(s string) {
	defer func() { recover() }() // the test may have ended
	if os.Getenv("COUTURE_SMTP_DEBUG") != "" {
		l.tb.Log("smtp server: " + strings.TrimSpace(s))
	}
}

// refusal ends a failed exchange with 535 5.7.8, as mail providers do,
// where go-smtp would answer a plain error with a temporary 454.
type refusal struct{ sasl.Server }

func (r refusal) Next(resp []byte) ([]byte, bool, error) {
	ch, done, err := r.Server.Next(resp)
	var se *smtp.SMTPError
	if err != nil && !errors.As(err, &se) {
		err = errBadCredentials
	}
	return ch, done, err
}

// xoauth2Server is the server side of XOAUTH2
// (developers.google.com/gmail/imap/xoauth2-protocol): the client sends
// "user=U^Aauth=Bearer T^A^A"; a refusal is a JSON challenge the client
// answers with an empty line, then 535.
type xoauth2Server struct {
	check   func(user, token string) bool
	refused bool
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.refused {
		return nil, true, errBadCredentials
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	var user, tok string
	for _, f := range strings.Split(string(resp), "\x01") {
		if v, ok := strings.CutPrefix(f, "user="); ok {
			user = v
		} else if v, ok := strings.CutPrefix(f, "auth=Bearer "); ok {
			tok = v
		}
	}
	if x.check(user, tok) {
		return nil, true, nil
	}
	x.refused = true
	return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
}
