package dovecot

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// writeCertificate writes a self-signed ECDSA certificate for 127.0.0.1 and
// localhost (cert.pem) and its key (key.pem) into dir. The certificate is
// its own CA, so a client trusts it through a ca_file holding cert.pem.
func writeCertificate(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Couture test Dovecot", Organization: []string{"Couture tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// Maildir returns the directory of a user's folder, in Dovecot's default
// Maildir++ layout: INBOX is the root, "Sent" is .Sent, "A/B" is .A.B.
func (s *Server) Maildir(user, folder string) string {
	root := filepath.Join(s.Dir, "mail", user)
	if strings.EqualFold(folder, "INBOX") || folder == "" {
		return root
	}
	return filepath.Join(root, "."+strings.ReplaceAll(folder, "/", "."))
}

// mkfolder creates a user's folder on disk when it does not exist yet.
func (s *Server) mkfolder(user, folder string) string {
	dir := s.Maildir(user, folder)
	root := filepath.Join(s.Dir, "mail", user)
	for _, d := range []string{root, dir} {
		for _, sub := range []string{"", "cur", "new", "tmp"} {
			p := filepath.Join(d, sub)
			if _, err := os.Stat(p); err == nil {
				continue
			}
			if err := os.Mkdir(p, 0o700); err != nil {
				s.tb.Fatalf("dovecot: %v", err)
			}
			s.chown(p)
		}
	}
	if dir != root {
		marker := filepath.Join(dir, "maildirfolder")
		if _, err := os.Stat(marker); err != nil {
			if err := os.WriteFile(marker, nil, 0o600); err != nil {
				s.tb.Fatalf("dovecot: %v", err)
			}
			s.chown(marker)
		}
	}
	return dir
}

// Put writes one message into a user's folder as an MTA or a mail client
// would: into tmp/, then renamed into cur/ with the Maildir flags given
// ("S" seen, "R" answered, "F" flagged…), or into new/ when flags is "".
// Line ends are stored as LF, as Maildir wants. Messages put later get
// higher UIDs. It returns the file's path.
func (s *Server) Put(user, folder string, raw []byte, flags string) string {
	s.tb.Helper()
	dir := s.mkfolder(user, folder)
	stamp, n := s.reserve(1)
	return s.write(dir, fmt.Sprintf("%d.M%06dP%dQ%d.couture-test", stamp, 0, os.Getpid(), n), raw, flags, flags != "")
}

// reserve returns a file-name time stamp later than any given before
// (Dovecot numbers new files in file-name order) and the first of n
// message numbers.
func (s *Server) reserve(n int) (stamp int64, first int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stamp = max(s.stamp+1, time.Now().Unix())
	first = s.counter
	s.counter += n
	return s.stamp, first
}

// write stores one message file under dir, in cur/ (seen by a client, with
// flags) or new/.
func (s *Server) write(dir, base string, raw []byte, flags string, cur bool) string {
	tmp := filepath.Join(dir, "tmp", base)
	data := bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		s.tb.Fatalf("dovecot: %v", err)
	}
	s.chown(tmp)
	dst := filepath.Join(dir, "new", base)
	if cur {
		dst = filepath.Join(dir, "cur", base+":2,"+flags)
	}
	if err := os.Rename(tmp, dst); err != nil {
		s.tb.Fatalf("dovecot: %v", err)
	}
	return dst
}

// Deliver puts raw into a user's INBOX as new mail.
func (s *Server) Deliver(user string, raw []byte) string { return s.Put(user, "INBOX", raw, "") }

// Seed puts n generated messages (see Generate) into a user's folder and
// returns their Message-IDs, oldest first (in UID order). They are in
// cur/, as in a mailbox a client has opened; every third is seen. In a folder named Sent the messages are the user's own,
// to customers. Files are written by several goroutines: seeding 100,000
// messages takes seconds.
func (s *Server) Seed(user, folder string, n int) []string {
	s.tb.Helper()
	dir := s.mkfolder(user, folder)
	stamp, first := s.reserve(n)
	ids := make([]string, n)
	own := strings.EqualFold(folder, "Sent")
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				m := Generate(first+i, Address(user), own)
				flags := ""
				if i%3 == 0 {
					flags = "S"
				}
				// M<number> orders the files of one stamp, as
				// microseconds would.
				s.write(dir, fmt.Sprintf("%d.M%07dP%dQ%d.couture-test", stamp, i, os.Getpid(), first+i), m.Raw, flags, true)
				ids[i] = m.MessageID
			}
		})
	}
	wg.Wait()
	return ids
}

// ResetUIDValidity makes Dovecot forget a folder's UIDs, as a restored
// backup or a recreated mailbox does: the next session finds the same
// messages under a new UIDVALIDITY and new UIDs. No session may have the
// folder selected.
func (s *Server) ResetUIDValidity(user, folder string) {
	s.tb.Helper()
	dir := s.Maildir(user, folder)
	matches, _ := filepath.Glob(filepath.Join(dir, "dovecot*"))
	for _, m := range matches {
		if filepath.Base(m) == "dovecot-keywords" || strings.HasPrefix(filepath.Base(m), "dovecot-uidvalidity") {
			continue
		}
		if err := os.Remove(m); err != nil {
			s.tb.Fatalf("dovecot: %v", err)
		}
	}
}
