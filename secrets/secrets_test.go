package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/couture/couture/inbox"
)

// roundTrip exercises any Store the same way.
func roundTrip(t *testing.T, s Store) {
	t.Helper()
	if _, err := s.Get("shop"); inbox.ErrorCode(err) != inbox.NotFound {
		t.Fatalf("Get before Set: err %v, want not-found", err)
	}
	if err := s.Set("shop", "pa55 wörd\n"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := s.Set("bot", "123:ABC"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if got, err := s.Get("shop"); err != nil || got != "pa55 wörd\n" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := s.Set("shop", "new"); err != nil {
		t.Fatalf("Set again: %v", err)
	}
	if got, _ := s.Get("shop"); got != "new" {
		t.Fatalf("Get after replace = %q", got)
	}
	if err := s.Delete("shop"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := s.Delete("shop"); err != nil {
		t.Fatalf("Delete twice: %v", err)
	}
	if _, err := s.Get("shop"); inbox.ErrorCode(err) != inbox.NotFound {
		t.Fatalf("Get after Delete: err %v, want not-found", err)
	}
	if got, _ := s.Get("bot"); got != "123:ABC" {
		t.Fatalf("other account lost: %q", got)
	}
}

func TestKeyringRoundTrip(t *testing.T) {
	keyring.MockInit()
	roundTrip(t, NewKeyring(t.TempDir()))
}

func TestKeyringSeparatesDataDirs(t *testing.T) {
	keyring.MockInit()
	a, b := NewKeyring(t.TempDir()), NewKeyring(t.TempDir())
	if err := a.Set("shop", "real"); err != nil {
		t.Fatal(err)
	}
	if err := b.Set("shop", "test"); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Get("shop"); got != "real" {
		t.Fatalf("a test data dir overwrote the real password: %q", got)
	}
}

func TestKeyringErrorIsUnavailable(t *testing.T) {
	keyring.MockInitWithError(errors.New("dbus: connection refused"))
	t.Cleanup(keyring.MockInit)
	_, err := NewKeyring(t.TempDir()).Get("shop")
	if inbox.ErrorCode(err) != inbox.Unavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
}

func TestFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	roundTrip(t, NewFile(dir))
	// A fresh File on the same directory reads what the first wrote.
	if got, err := NewFile(dir).Get("bot"); err != nil || got != "123:ABC" {
		t.Fatalf("reopen: %q, %v", got, err)
	}
}

func TestFileNeverHoldsTheSecretInClear(t *testing.T) {
	dir := t.TempDir()
	f := NewFile(dir)
	secret := "correct-horse-battery-staple"
	if err := f.Set("shop", secret); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{fileName, keyName} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(secret)) || bytes.Contains(raw, []byte("shop")) {
			t.Errorf("%s holds the account or the secret in clear", name)
		}
		if runtime.GOOS != "windows" {
			st, _ := os.Stat(filepath.Join(dir, name))
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s mode %04o, want 0600", name, st.Mode().Perm())
			}
		}
	}
}

func TestFilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := t.TempDir()
	f := NewFile(dir)
	if err := f.Set("shop", "s3cret"); err != nil {
		t.Fatal(err)
	}

	// A widened encrypted file holds only ciphertext: it is narrowed again.
	if err := os.Chmod(filepath.Join(dir, fileName), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get("shop"); err != nil {
		t.Fatalf("Get with a widened secrets file: %v", err)
	}
	if st, _ := os.Stat(filepath.Join(dir, fileName)); st.Mode().Perm() != 0o600 {
		t.Errorf("secrets file mode %04o not fixed to 0600", st.Mode().Perm())
	}

	// A key file other users can read is refused, with the fix.
	if err := os.Chmod(filepath.Join(dir, keyName), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := f.Get("shop")
	if inbox.ErrorCode(err) != inbox.Conflict || !strings.Contains(inbox.Explain(err), "chmod 600") {
		t.Fatalf("Get with a readable key file: %v", err)
	}
	if err := f.Set("other", "x"); err == nil {
		t.Fatal("Set with a readable key file succeeded")
	}
}

func TestFileDamage(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   string
	}{
		{"flipped byte", func(t *testing.T, dir string) {
			p := filepath.Join(dir, fileName)
			raw, _ := os.ReadFile(p)
			raw[len(raw)-5] ^= 0x40
			os.WriteFile(p, raw, 0o600)
		}, "damaged"},
		{"truncated", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, fileName), magic[:4], 0o600)
		}, "damaged"},
		{"other key", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, keyName), bytes.Repeat([]byte{7}, keySize), 0o600)
		}, "another key"},
		{"key missing", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, keyName))
		}, "is missing"},
		{"short key", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, keyName), []byte("short"), 0o600)
		}, "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := NewFile(dir)
			if err := f.Set("shop", "s3cret"); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, dir)
			_, err := f.Get("shop")
			if err == nil {
				t.Fatal("Get on a damaged file succeeded")
			}
			if msg := inbox.Explain(err); !strings.Contains(msg, tt.want) || strings.Contains(msg, "s3cret") {
				t.Fatalf("error %q: want it to say %q and never the secret", msg, tt.want)
			}
			// Set refuses too, rather than overwrite what might be recoverable.
			if err := f.Set("other", "x"); err == nil {
				t.Fatal("Set over a damaged file succeeded")
			}
		})
	}
}

func TestOpenHonoursEnv(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	t.Setenv(EnvBackend, "file")
	if _, ok := Open(dir).(*File); !ok {
		t.Fatalf("COUTURE_SECRETS=file: got %T", Open(dir))
	}
	t.Setenv(EnvBackend, "keyring")
	if _, ok := Open(dir).(*layered); !ok {
		t.Fatalf("COUTURE_SECRETS=keyring: got %T", Open(dir))
	}
	t.Setenv(EnvBackend, "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
	// The mock keyring answers the probe.
	if _, ok := Open(dir).(*layered); !ok {
		t.Fatalf("with a keyring answering: got %T", Open(dir))
	}
	keyring.MockInitWithError(errors.New("no secret service"))
	t.Cleanup(keyring.MockInit)
	if _, ok := Open(dir).(*File); !ok {
		t.Fatalf("with no keyring: got %T", Open(dir))
	}
	if runtime.GOOS == "linux" {
		// No session bus at all: the file, without asking D-Bus.
		keyring.MockInit()
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
		t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
		if _, ok := Open(dir).(*File); !ok {
			t.Fatalf("with no session bus: got %T", Open(dir))
		}
	}
}

func TestLayeredFindsFileSecrets(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	// Saved while no keyring answered.
	if err := NewFile(dir).Set("shop", "from-file"); err != nil {
		t.Fatal(err)
	}
	l := &layered{key: NewKeyring(dir), file: NewFile(dir)}
	if got, err := l.Get("shop"); err != nil || got != "from-file" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := l.Set("shop", "in-keyring"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFile(dir).Get("shop"); inbox.ErrorCode(err) != inbox.NotFound {
		t.Fatalf("the old file copy survived Set: %v", err)
	}
	if got, _ := l.Get("shop"); got != "in-keyring" {
		t.Fatalf("Get = %q", got)
	}
	if err := l.Delete("shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Get("shop"); inbox.ErrorCode(err) != inbox.NotFound {
		t.Fatalf("Get after Delete: %v", err)
	}
}
