package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/couture/couture/inbox"
)

// File names inside the data directory.
const (
	fileName = "secrets.enc"
	keyName  = "secrets.key"
	keySize  = 32
)

// magic starts the encrypted file and is authenticated with it, so a file
// of another format or version is refused rather than misread.
var magic = []byte("CTRSEC01")

// File keeps secrets in one AES-256-GCM encrypted file (secrets.enc) in the
// data directory. The encryption key is derived (HKDF-SHA256) from 32
// random bytes in secrets.key beside it, created with permissions 0600; a
// key file that other users can read is refused.
//
// What this protects against: a copy of the store or of secrets.enc alone
// (a backup, a bug report, a synced folder that skipped the key) reveals
// nothing, and nobody reads a password by opening a file in an editor or
// grepping the disk. Every write authenticates the whole file, so a
// damaged or tampered file is reported instead of misread.
//
// What it does NOT protect against: anyone who can read the whole data
// directory (the same user, root, a full-disk backup, malware running as
// the user) has the key beside the ciphertext and can decrypt it. It is an
// obfuscation with integrity, not a vault; use the OS keyring where one
// exists.
type File struct {
	dir string
	mu  sync.Mutex
}

// NewFile returns the encrypted-file store in the data directory dir.
// Nothing is created before the first Set.
func NewFile(dir string) *File { return &File{dir: dir} }

// String says where the secrets are, for messages.
func (f *File) String() string { return "the encrypted file " + f.path() }

func (f *File) path() string    { return filepath.Join(f.dir, fileName) }
func (f *File) keyPath() string { return filepath.Join(f.dir, keyName) }

func (f *File) exists() bool {
	_, err := os.Stat(f.path())
	return err == nil
}

// Get implements Store.
func (f *File) Get(account string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	all, err := f.load(false)
	if err != nil {
		return "", err
	}
	s, ok := all[account]
	if !ok {
		return "", notFound(account)
	}
	return s, nil
}

// Set implements Store.
func (f *File) Set(account, secret string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	all, err := f.load(true)
	if err != nil {
		return err
	}
	all[account] = secret
	return f.save(all)
}

// Delete implements Store.
func (f *File) Delete(account string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.exists() {
		return nil
	}
	all, err := f.load(false)
	if err != nil {
		return err
	}
	if _, ok := all[account]; !ok {
		return nil
	}
	delete(all, account)
	return f.save(all)
}

// load decrypts the file; a missing file is an empty set. create makes the
// key when none exists yet (for Set).
func (f *File) load(create bool) (map[string]string, error) {
	all := map[string]string{}
	raw, err := os.ReadFile(f.path())
	if errors.Is(err, fs.ErrNotExist) {
		if create {
			if _, err := f.key(true); err != nil {
				return nil, err
			}
		}
		return all, nil
	}
	if err != nil {
		return nil, inbox.Wrap(inbox.Unavailable, err, "cannot read the secrets file "+f.path())
	}
	aead, err := f.aead(false)
	if err != nil {
		return nil, err
	}
	ns := aead.NonceSize()
	if len(raw) < len(magic)+ns+aead.Overhead() || string(raw[:len(magic)]) != string(magic) {
		return nil, f.damaged(errors.New("not a Couture secrets file"))
	}
	nonce, sealed := raw[len(magic):len(magic)+ns], raw[len(magic)+ns:]
	plain, err := aead.Open(nil, nonce, sealed, magic)
	if err != nil {
		return nil, f.damaged(err)
	}
	if err := json.Unmarshal(plain, &all); err != nil {
		return nil, f.damaged(err)
	}
	f.fixMode(f.path())
	return all, nil
}

func (f *File) damaged(err error) error {
	return inbox.Wrap(inbox.Conflict, err, fmt.Sprintf(
		"the secrets file %s is damaged or was encrypted with another key than %s; "+
			"move both files away and add the accounts' passwords again (couture account remove, then add)",
		f.path(), f.keyPath()))
}

// save encrypts all under a fresh nonce and replaces the file atomically.
func (f *File) save(all map[string]string) error {
	aead, err := f.aead(true)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(all)
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	out := append(append(append([]byte(nil), magic...), nonce...), aead.Seal(nil, nonce, plain, magic)...)
	clear(plain)
	return writeAtomic(f.path(), out)
}

func (f *File) aead(create bool) (cipher.AEAD, error) {
	raw, err := f.key(create)
	if err != nil {
		return nil, err
	}
	key, err := hkdf.Key(sha256.New, raw, nil, "couture secrets file v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// key reads the key file, refusing one other users can read; with create,
// a missing key file is made with 32 random bytes and mode 0600.
func (f *File) key(create bool) ([]byte, error) {
	p := f.keyPath()
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, inbox.Errorf(inbox.Conflict, "the key file %s of the secrets file %s is missing; "+
				"move the secrets file away and add the accounts' passwords again", p, f.path())
		}
		return f.newKey()
	}
	if err != nil {
		return nil, inbox.Wrap(inbox.Unavailable, err, "cannot read the key file "+p)
	}
	if !st.Mode().IsRegular() {
		return nil, inbox.Errorf(inbox.Conflict, "the key file %s is not a regular file", p)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, inbox.Errorf(inbox.Conflict, "the key file %s can be read by other users (mode %04o); "+
			"run chmod 600 %s, and consider changing the passwords it protects", p, st.Mode().Perm(), p)
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		return nil, inbox.Wrap(inbox.Unavailable, err, "cannot read the key file "+p)
	}
	if len(raw) != keySize {
		return nil, inbox.Errorf(inbox.Conflict, "the key file %s is damaged (%d bytes, want %d)", p, len(raw), keySize)
	}
	return raw, nil
}

func (f *File) newKey() ([]byte, error) {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return nil, inbox.Wrap(inbox.Unavailable, err, "cannot create the data directory "+f.dir)
	}
	raw := make([]byte, keySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	h, err := os.OpenFile(f.keyPath(), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, inbox.Wrap(inbox.Unavailable, err, "cannot create the key file "+f.keyPath())
	}
	_, err = h.Write(raw)
	if err == nil {
		err = h.Sync()
	}
	if cerr := h.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.keyPath())
		return nil, inbox.Wrap(inbox.Unavailable, err, "cannot write the key file "+f.keyPath())
	}
	return raw, nil
}

// fixMode narrows the encrypted file to 0600 when something widened it: it
// holds ciphertext only, so fixing is safe where refusing would not help.
func (f *File) fixMode(p string) {
	if runtime.GOOS == "windows" {
		return
	}
	if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o077 != 0 {
		os.Chmod(p, 0o600)
	}
}

// writeAtomic writes data to a temporary file with mode 0600 in the same
// directory, syncs it and renames it over path.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return inbox.Wrap(inbox.Unavailable, err, "cannot create the data directory "+dir)
	}
	tmp, err := os.CreateTemp(dir, ".secrets-*")
	if err != nil {
		return inbox.Wrap(inbox.Unavailable, err, "cannot write the secrets file "+path)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return inbox.Wrap(inbox.Unavailable, err, "cannot write the secrets file "+path)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return inbox.Wrap(inbox.Unavailable, err, "cannot write the secrets file "+path)
	}
	return nil
}
