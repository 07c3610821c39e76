package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

// SetSentCopy is the e-mail setting that says who puts a copy of each sent
// message into the Sent folder: "auto" (the default: Couture APPENDs one
// unless the server already filed it, as Gmail does), "append" (always
// APPEND) or "server" (never: the server files sent mail itself).
const SetSentCopy = "sent_copy"

// Security modes of a server connection.
const (
	SecurityTLS      = "tls"      // implicit TLS (IMAPS 993, SMTPS 465)
	SecurityStartTLS = "starttls" // plaintext, upgraded with STARTTLS (143, 587)
	SecurityNone     = "none"     // no encryption: loopback only, unless allowed
)

// Defaults of the sync.
const (
	// MaxMessageSize is the largest message Sync fetches whole; a larger
	// one is stored with its header only and a warning.
	MaxMessageSize = 50 << 20
	// batchCount and batchBytes bound one UID FETCH and one store commit.
	batchCount = 500
	batchBytes = 32 << 20
	// pollEvery is how often a running Sync checks every folder, besides
	// IDLE on INBOX.
	pollEvery = 5 * time.Minute
	// maxAttempts is how often a message that fails to fetch is tried
	// before Sync stores its header only.
	maxAttempts = 3
)

// Channel is one e-mail account: IMAP sync and SMTP send. It is safe for
// concurrent use: Sync keeps one IMAP connection for itself, and Send,
// Delivered and Test each open their own short connections, so the Outbox
// can send while Sync idles.
//
// Send is idempotent in the sense of channels.Idempotent: each message's
// Message-ID is derived from its store id and time, so after a crash
// Delivered finds it in the Sent folder and the Outbox does not send it
// twice.
type Channel struct {
	name     string
	address  string   // the business address, lower-case
	aliases  []string // more own addresses, lower-case
	imap     endpoint
	smtp     endpoint
	username string
	password string
	tokenCmd string
	roots    *x509.CertPool // nil: the system's
	sentCopy string
	blobs    inbox.Blobs
	own      func(addr string) bool
	log      *slog.Logger

	// Tunables; tests change them.
	maxSize    int64
	batchCount int
	batchBytes int64
	pollEvery  time.Duration
	dial       func(ctx context.Context, addr string) (net.Conn, error)

	mu       sync.Mutex
	sessions map[*session]bool // open IMAP sessions, closed by Close
	trouble  map[troubleKey]trouble
}

var _ interface {
	channels.Channel
	channels.Tester
	channels.Idempotent
} = (*Channel)(nil)

// endpoint is one server: host:port and how to secure it.
type endpoint struct {
	addr, host, security string
}

func (e endpoint) String() string { return e.addr + " (" + e.security + ")" }

// New returns the channel of an e-mail account. The settings (see
// channels.SetAddress and the keys after it) name the business address, the
// IMAP and SMTP servers as host:port with their security (tls, starttls or
// none; when empty, guessed from the port: 993 and 465 tls, others
// starttls), the login (the address when empty), an optional PEM CA file
// for self-signed servers and an optional token command for OAuth2 (XOAUTH2
// or OAUTHBEARER). secret is the password. Security none is refused unless
// the host is a loopback address or allow_insecure is "true".
//
// New does not touch the network; Test does.
func New(a channels.Account, secret string, deps channels.Deps) (*Channel, error) {
	set := func(k string) string { return strings.TrimSpace(a.Settings[k]) }
	address, err := inbox.NormalizeEmail(set(channels.SetAddress))
	if err != nil {
		return nil, inbox.Errorf(inbox.Invalid, "e-mail account %s: the address %q is not an e-mail address", a.Name, set(channels.SetAddress))
	}
	c := &Channel{
		name: a.Name, address: address,
		username: set(channels.SetUsername), password: secret,
		tokenCmd:   set(channels.SetTokenCommand),
		blobs:      deps.Blobs,
		log:        deps.Logger,
		maxSize:    MaxMessageSize,
		batchCount: batchCount, batchBytes: batchBytes,
		pollEvery: pollEvery,
		sessions:  map[*session]bool{},
		trouble:   map[troubleKey]trouble{},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("channel", "email")
	if c.username == "" {
		c.username = address
	}
	for _, s := range strings.Split(set(channels.SetAliases), ",") {
		if s, err := inbox.NormalizeEmail(strings.TrimSpace(s)); err == nil {
			c.aliases = append(c.aliases, s)
		}
	}
	c.own = func(addr string) bool {
		addr = strings.ToLower(strings.TrimSpace(addr))
		if addr == c.address || (deps.Own != nil && deps.Own(addr)) {
			return true
		}
		for _, a := range c.aliases {
			if a == addr {
				return true
			}
		}
		return false
	}
	insecure := set(channels.SetAllowInsecure) == "true"
	if c.imap, err = parseEndpoint("IMAP", set(channels.SetIMAP), set(channels.SetIMAPSecurity), "993", insecure); err != nil {
		return nil, err
	}
	if c.smtp, err = parseEndpoint("SMTP", set(channels.SetSMTP), set(channels.SetSMTPSecurity), "465", insecure); err != nil {
		return nil, err
	}
	if f := set(channels.SetCAFile); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, inbox.Wrap(inbox.Invalid, err, "cannot read the CA file "+f)
		}
		c.roots, err = x509.SystemCertPool()
		if err != nil || c.roots == nil {
			c.roots = x509.NewCertPool()
		}
		if !c.roots.AppendCertsFromPEM(pem) {
			return nil, inbox.Errorf(inbox.Invalid, "the CA file %s holds no PEM certificate", f)
		}
	}
	switch c.sentCopy = set(SetSentCopy); c.sentCopy {
	case "":
		c.sentCopy = "auto"
	case "auto", "append", "server":
	default:
		return nil, inbox.Errorf(inbox.Invalid, "%s %q: use auto, append or server", SetSentCopy, c.sentCopy)
	}
	if secret == "" && c.tokenCmd == "" {
		return nil, inbox.Errorf(inbox.Invalid, "the e-mail account %s has no password (and no token command)", a.Name)
	}
	c.dial = func(ctx context.Context, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: time.Minute}
		return d.DialContext(ctx, "tcp", addr)
	}
	return c, nil
}

// parseEndpoint checks host:port and the security mode of a server.
func parseEndpoint(what, addr, security, tlsPort string, insecure bool) (endpoint, error) {
	if addr == "" {
		return endpoint{}, inbox.Errorf(inbox.Invalid, "no %s server: give it as host:port", what)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return endpoint{}, inbox.Errorf(inbox.Invalid, "%s server %q: give it as host:port", what, addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return endpoint{}, inbox.Errorf(inbox.Invalid, "%s server %q: the port must be a number from 1 to 65535", what, addr)
	}
	if security == "" {
		security = SecurityStartTLS
		if port == tlsPort || port == "993" || port == "465" {
			security = SecurityTLS
		}
	}
	switch security {
	case SecurityTLS, SecurityStartTLS:
	case SecurityNone:
		if !insecure && !loopback(host) {
			return endpoint{}, inbox.Errorf(inbox.Invalid,
				"%s security none would send the password in clear to %s: use tls or starttls, or allow it explicitly (--allow-insecure)", what, host)
		}
	default:
		return endpoint{}, inbox.Errorf(inbox.Invalid, "%s security %q: use tls, starttls or none", what, security)
	}
	return endpoint{addr: addr, host: host, security: security}, nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tlsConfig returns the TLS settings for a server.
func (c *Channel) tlsConfig(host string) *tls.Config {
	return &tls.Config{ServerName: host, RootCAs: c.roots, MinVersion: tls.VersionTLS12}
}

// token runs the token command and returns the OAuth2 access token it
// prints.
func (c *Channel) token(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sh", "-c", c.tokenCmd).Output()
	if err != nil {
		return "", inbox.Wrap(inbox.Auth, err, "the token command of account "+c.name+" failed")
	}
	tok := strings.TrimSpace(string(out))
	if tok == "" {
		return "", inbox.Errorf(inbox.Auth, "the token command of account %s printed no token", c.name)
	}
	return tok, nil
}

// connError turns a failure to reach or secure a connection to a server
// into a domain error a person can act on.
func connError(what string, e endpoint, err error) error {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &unknown), errors.As(err, &verify):
		return inbox.Wrap(inbox.Invalid, err, fmt.Sprintf(
			"the %s server %s presented a certificate this computer does not trust; if it is self-signed, give its certificate with --ca-file", what, e.addr))
	case errors.As(err, &host):
		return inbox.Wrap(inbox.Invalid, err, fmt.Sprintf("the %s server's certificate is not valid for %s", what, e.host))
	case errors.As(err, &invalid):
		return inbox.Wrap(inbox.Invalid, err, fmt.Sprintf("the %s server %s presented an invalid certificate (expired?)", what, e.addr))
	}
	return inbox.Wrap(inbox.Unavailable, err, fmt.Sprintf("cannot reach the %s server %s", what, e.addr))
}

// Close closes the IMAP connections Sync holds; a running Sync returns.
// It implements io.Closer for the Engine.
func (c *Channel) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.sessions {
		s.cl.Close()
	}
	return nil
}

// Test logs in to the IMAP and the SMTP server and says, one line each,
// what works: the folders that sync, the Sent folder, the capabilities
// that matter (CONDSTORE, IDLE…), the SMTP login and size limit. The error
// is the first failure, with its code (inbox.Auth for a refused password).
func (c *Channel) Test(ctx context.Context) ([]string, error) {
	var lines []string
	var first error
	if line, err := c.testIMAP(ctx); err != nil {
		lines = append(lines, fmt.Sprintf("IMAP %s: %s", c.imap, inbox.Explain(err)))
		first = err
	} else {
		lines = append(lines, "IMAP "+c.imap.String()+": "+line)
	}
	if line, err := c.testSMTP(ctx); err != nil {
		lines = append(lines, fmt.Sprintf("SMTP %s: %s", c.smtp, inbox.Explain(err)))
		if first == nil {
			first = err
		}
	} else {
		lines = append(lines, "SMTP "+c.smtp.String()+": "+line)
	}
	return lines, first
}
