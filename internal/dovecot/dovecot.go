// Package dovecot starts a private, unprivileged Dovecot IMAP server for
// tests and benchmarks: the Debian package's binary with a generated
// configuration, a passwd-file of users with {PLAIN} passwords, Maildir
// folders under a temporary directory, and two listeners on free loopback
// ports, plaintext IMAP (which also offers STARTTLS) and IMAPS, both with a
// self-signed certificate made in Go.
//
// Messages are put straight into the Maildir folders (Seed, Put, Deliver),
// the way an MTA delivers; Dovecot notices them at the next command or, for
// a client in IDLE, at once (inotify).
//
// When the dovecot binary is missing, Start skips the test, unless the
// COUTURE_REQUIRE_SERVERS environment variable is set (CI sets it): then the
// test fails, so a missing package never passes for green.
package dovecot

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// EnvRequire names the environment variable that turns a missing server
// binary into a test failure instead of a skip.
const EnvRequire = "COUTURE_REQUIRE_SERVERS"

// Domain is the mail domain of every user: user "alice" is
// alice@couture.test.
const Domain = "couture.test"

//go:embed dovecot.conf.tmpl
var confText string

var confTemplate = template.Must(template.New("dovecot.conf").Parse(confText))

// Options configure Start; nil means defaults.
type Options struct {
	// Users maps login names to passwords. Nil means alice and bob, with
	// the passwords DefaultPassword returns.
	Users map[string]string
	// NoSpecialUse creates Sent, Drafts, Junk, Trash and Archive without
	// SPECIAL-USE attributes, so clients must recognise them by name.
	NoSpecialUse bool
	// OAuth2URL, when set, is an RFC 7662 token introspection endpoint:
	// Dovecot then offers OAUTHBEARER and XOAUTH2 and asks it about every
	// token (POST token=…); the answer's "username" is the user and
	// "active" must be true.
	OAuth2URL string
	// NoCondStore leaves CONDSTORE and QRESYNC (RFC 7162) out of the
	// capabilities announced after login (imap_capability), as older or
	// simpler servers do, so clients must find flag changes without them.
	NoCondStore bool
}

// capsWithoutCondStore is Dovecot 2.3's post-login CAPABILITY without
// CONDSTORE and QRESYNC.
const capsWithoutCondStore = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES " +
	"THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS " +
	"LIST-EXTENDED I18NLEVEL=1 ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE " +
	"SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE"

// DefaultPassword is the password of a default user.
func DefaultPassword(user string) string { return user + "-secret" }

// Server is a running Dovecot. It stops when the test ends.
type Server struct {
	// Dir holds the configuration, the mail, the logs and the sockets.
	Dir string
	// IMAP is the host:port of the plaintext listener (STARTTLS offered).
	IMAP string
	// IMAPS is the host:port of the implicit-TLS listener.
	IMAPS string
	// CAFile is a PEM file holding the server's self-signed certificate,
	// valid for 127.0.0.1 and localhost: a client's ca_file.
	CAFile string
	// Version is what `dovecot --version` printed.
	Version string

	users    map[string]string
	tb       testing.TB
	cmd      *exec.Cmd
	done     chan struct{}
	uid, gid int
	owned    bool // files written here must be chowned to uid:gid

	mu      sync.Mutex
	counter int   // messages written
	stamp   int64 // the last file-name time stamp
}

// Binary returns the path of the dovecot binary.
func Binary() (string, error) {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no dovecot binary in PATH, /usr/sbin or /usr/local/sbin")
}

// Require returns the path of a server binary found by find, or skips the
// test with a message saying how to install it: it fails instead when
// COUTURE_REQUIRE_SERVERS is set.
func Require(tb testing.TB, what, pkg string, find func() (string, error)) string {
	tb.Helper()
	p, err := find()
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s: %v; install the Debian package %s (make deps does)", what, err, pkg)
	if os.Getenv(EnvRequire) != "" {
		tb.Fatalf("%s, and %s is set", msg, EnvRequire)
	}
	tb.Skip(msg)
	return ""
}

// Start runs a private Dovecot for the test and stops it when the test
// ends; its log is printed when the test fails.
func Start(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	bin := Require(tb, "dovecot", "dovecot-imapd", Binary)
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Users == nil {
		o.Users = map[string]string{"alice": DefaultPassword("alice"), "bob": DefaultPassword("bob")}
	}
	var last error
	for range 3 { // a free port can be taken between probe and bind
		s, err := start(tb, bin, &o)
		if err == nil {
			return s
		}
		last = err
	}
	tb.Fatalf("start dovecot: %v", last)
	return nil
}

func start(tb testing.TB, bin string, o *Options) (*Server, error) {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", bin, err)
	}
	s := &Server{
		Version: strings.TrimSpace(string(out)),
		users:   o.Users,
		tb:      tb,
		done:    make(chan struct{}),
	}
	runAs, err := s.account()
	if err != nil {
		return nil, err
	}
	// Not t.TempDir: its parents are private to the test's user, and
	// Dovecot may run as another one.
	if s.Dir, err = os.MkdirTemp("", "couture-dovecot-"); err != nil {
		return nil, err
	}
	tb.Cleanup(func() { os.RemoveAll(s.Dir) })
	for _, d := range []string{"mail", "home", "run", "state"} {
		if err := os.Mkdir(filepath.Join(s.Dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	if err := writeCertificate(s.Dir); err != nil {
		return nil, err
	}
	s.CAFile = filepath.Join(s.Dir, "cert.pem")
	var passwd strings.Builder
	for u, p := range o.Users {
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s::::::\n", u, p)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "passwd"), []byte(passwd.String()), 0o600); err != nil {
		return nil, err
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	s.IMAP = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	s.IMAPS = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	type folder struct{ Name, SpecialUse string }
	folders := []folder{{"Sent", `\Sent`}, {"Drafts", `\Drafts`}, {"Junk", `\Junk`}, {"Trash", `\Trash`}, {"Archive", `\Archive`}}
	if o.NoSpecialUse {
		for i := range folders {
			folders[i].SpecialUse = ""
		}
	}
	var conf bytes.Buffer
	capability := ""
	if o.NoCondStore {
		capability = capsWithoutCondStore
	}
	err = confTemplate.Execute(&conf, map[string]any{
		"Version": s.Version, "Dir": s.Dir, "Instance": filepath.Base(s.Dir),
		"User": runAs.Username, "Group": runAs.group, "UID": s.uid, "GID": s.gid,
		"IMAPPort": ports[0], "IMAPSPort": ports[1], "Folders": folders,
		"OAuth2":     o.OAuth2URL != "",
		"Capability": capability,
	})
	if err != nil {
		return nil, err
	}
	if o.OAuth2URL != "" {
		ext := "introspection_mode = post\nintrospection_url = " + o.OAuth2URL +
			"\nforce_introspection = yes\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n"
		if err := os.WriteFile(filepath.Join(s.Dir, "oauth2.conf"), []byte(ext), 0o644); err != nil {
			return nil, err
		}
	}
	confPath := filepath.Join(s.Dir, "dovecot.conf")
	if err := os.WriteFile(confPath, conf.Bytes(), 0o600); err != nil {
		return nil, err
	}
	if err := s.chownAll(); err != nil {
		return nil, err
	}

	s.cmd = exec.Command(bin, "-F", "-c", confPath)
	s.cmd.Dir = s.Dir
	var stderr bytes.Buffer
	s.cmd.Stdout, s.cmd.Stderr = &stderr, &stderr
	// Pdeathsig: a killed test binary takes its Dovecot with it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if s.owned {
		s.cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(s.uid), Gid: uint32(s.gid)}
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("dovecot log (%s):\n%s", s.Dir, s.Log())
		}
		s.stop()
	})
	if err := s.waitReady(10 * time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\n%s\n%s", err, stderr.String(), s.Log())
	}
	return s, nil
}

// runAs is the system account the server runs as.
type runAs struct {
	Username, group string
}

// account picks who runs Dovecot: the current user, or the package's
// unprivileged "dovecot" user when the tests run as root (Dovecot refuses
// mail access as root).
func (s *Server) account() (runAs, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return runAs{}, err
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			return runAs{}, err
		}
		s.uid, s.gid = os.Getuid(), os.Getgid()
		return runAs{u.Username, g.Name}, nil
	}
	u, err := user.Lookup("dovecot")
	if err != nil {
		return runAs{}, fmt.Errorf("running as root needs the unprivileged dovecot user of the Debian package: %w", err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return runAs{}, err
	}
	s.uid, _ = strconv.Atoi(u.Uid)
	s.gid, _ = strconv.Atoi(u.Gid)
	s.owned = true
	return runAs{u.Username, g.Name}, nil
}

// chownAll gives the whole directory to the server's user.
func (s *Server) chownAll() error {
	if !s.owned {
		return nil
	}
	return filepath.Walk(s.Dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, s.uid, s.gid)
	})
}

// chown gives paths written by the test to the server's user.
func (s *Server) chown(paths ...string) {
	if !s.owned {
		return
	}
	for _, p := range paths {
		if err := os.Lchown(p, s.uid, s.gid); err != nil {
			s.tb.Fatalf("dovecot: %v", err)
		}
	}
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitReady waits until the plaintext listener greets.
func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-s.done:
			return errors.New("dovecot exited at startup")
		default:
		}
		c, err := net.DialTimeout("tcp", s.IMAP, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil && strings.HasPrefix(line, "* OK") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dovecot did not answer on %s within %v", s.IMAP, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the server and waits for it.
func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// Log returns the server's log so far.
func (s *Server) Log() string {
	b, err := os.ReadFile(filepath.Join(s.Dir, "dovecot.log"))
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// Password returns a user's password.
func (s *Server) Password(user string) string { return s.users[user] }

// Address returns a user's e-mail address.
func Address(user string) string { return user + "@" + Domain }
