// Package secrets keeps the passwords and tokens of channel accounts out of
// the store: in the OS keyring (Secret Service on Linux, Keychain on macOS,
// Credential Manager on Windows) when one answers, else in an encrypted file
// beside the store (see File for what that protects against and what it
// does not).
//
// Secrets are never logged and never written anywhere in clear. Errors name
// the account and the place, never the secret.
package secrets

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/couture/couture/inbox"
)

// Store keeps one secret per account name.
type Store interface {
	// Get returns the account's secret; an inbox.NotFound error when none
	// is saved.
	Get(account string) (string, error)
	// Set saves (or replaces) the account's secret.
	Set(account, secret string) error
	// Delete forgets the account's secret; deleting a missing one is not
	// an error.
	Delete(account string) error
}

// Service is the keyring service name Couture's secrets are saved under; it
// is the application ID of FyneApp.toml.
const Service = "io.couture.inbox"

// EnvBackend names the environment variable that forces a backend:
// "file" (tests, CI, servers without a keyring) or "keyring".
const EnvBackend = "COUTURE_SECRETS"

// probeTimeout bounds how long Open waits for a keyring to answer. A locked
// keyring that pops up an unlock prompt counts as not answering.
var probeTimeout = 2 * time.Second

// Open returns the secret store for the data directory dir: the OS keyring
// when it answers within a short probe, else the encrypted file in dir.
// $COUTURE_SECRETS=file forces the file and $COUTURE_SECRETS=keyring the
// keyring without a probe.
//
// With the keyring chosen, a secret saved in the file earlier (when no
// keyring answered) is still found: Get falls back to the file, and Set and
// Delete clean it up.
func Open(dir string) Store {
	file := NewFile(dir)
	switch strings.ToLower(strings.TrimSpace(os.Getenv(EnvBackend))) {
	case "file":
		return file
	case "keyring":
		return &layered{key: NewKeyring(dir), file: file}
	}
	if sessionBus() && keyringAnswers(probeTimeout) {
		return &layered{key: NewKeyring(dir), file: file}
	}
	return file
}

// sessionBus reports whether a D-Bus session bus can be reached without
// starting one: on Linux and the BSDs the Secret Service lives there, and
// asking with none would make the D-Bus library autolaunch a daemon. macOS
// and Windows have their keyrings without D-Bus.
func sessionBus() bool {
	switch runtime.GOOS {
	case "darwin", "windows", "ios", "android":
		return true
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "bus")); err == nil {
			return true
		}
	}
	return false
}

// keyringAnswers asks the keyring for an entry that does not exist: "not
// found" within the timeout means a keyring is there and unlocked.
func keyringAnswers(timeout time.Duration) bool {
	done := make(chan error, 1)
	go func() {
		_, err := keyring.Get(Service, "probe")
		done <- err
	}()
	select {
	case err := <-done:
		return err == nil || errors.Is(err, keyring.ErrNotFound)
	case <-time.After(timeout):
		// The goroutine stays blocked in D-Bus until the keyring answers;
		// nothing waits for it.
		return false
	}
}

// Keyring keeps secrets in the OS keyring under Service. Entries are named
// "ACCOUNT@DATADIR", so two data directories (a test store beside the real
// one) never overwrite each other's passwords.
type Keyring struct {
	dir string
}

// NewKeyring returns the keyring store for the data directory dir.
func NewKeyring(dir string) *Keyring {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return &Keyring{dir: dir}
}

func (k *Keyring) user(account string) string { return account + "@" + k.dir }

// Get implements Store.
func (k *Keyring) Get(account string) (string, error) {
	s, err := keyring.Get(Service, k.user(account))
	if errors.Is(err, keyring.ErrNotFound) {
		return "", notFound(account)
	}
	if err != nil {
		return "", inbox.Wrap(inbox.Unavailable, err, "cannot read the secret of account "+account+" from the OS keyring")
	}
	return s, nil
}

// Set implements Store.
func (k *Keyring) Set(account, secret string) error {
	if err := keyring.Set(Service, k.user(account), secret); err != nil {
		return inbox.Wrap(inbox.Unavailable, err, "cannot save the secret of account "+account+" in the OS keyring")
	}
	return nil
}

// Delete implements Store.
func (k *Keyring) Delete(account string) error {
	err := keyring.Delete(Service, k.user(account))
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return inbox.Wrap(inbox.Unavailable, err, "cannot delete the secret of account "+account+" from the OS keyring")
	}
	return nil
}

// String says where the secrets are, for messages.
func (k *Keyring) String() string { return "the OS keyring" }

// layered is the keyring with the file as a read fallback for secrets saved
// before a keyring was available.
type layered struct {
	key  *Keyring
	file *File
}

func (l *layered) Get(account string) (string, error) {
	s, err := l.key.Get(account)
	if inbox.ErrorCode(err) != inbox.NotFound {
		return s, err
	}
	if !l.file.exists() {
		return "", err
	}
	return l.file.Get(account)
}

func (l *layered) Set(account, secret string) error {
	if err := l.key.Set(account, secret); err != nil {
		return err
	}
	if l.file.exists() {
		return l.file.Delete(account)
	}
	return nil
}

func (l *layered) Delete(account string) error {
	if err := l.key.Delete(account); err != nil {
		return err
	}
	if l.file.exists() {
		return l.file.Delete(account)
	}
	return nil
}

func (l *layered) String() string { return l.key.String() }

func notFound(account string) error {
	return inbox.Errorf(inbox.NotFound, "no password or token is saved for account %s; remove the account and add it again", account)
}
