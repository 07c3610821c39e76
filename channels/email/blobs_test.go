package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"sync"

	"github.com/couture/couture/inbox"
)

// memBlobs is an inbox.Blobs test double backed by a map, content-addressed
// by SHA-256 like the real store.
type memBlobs struct {
	mu   sync.Mutex
	data map[string][]byte
	puts int
}

func newMemBlobs() *memBlobs { return &memBlobs{data: map[string][]byte{}} }

// Put implements inbox.Blobs.
func (b *memBlobs) Put(r io.Reader) (string, int64, error) {
	var buf bytes.Buffer
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(&buf, h), r)
	if err != nil {
		return "", 0, err
	}
	key := hex.EncodeToString(h.Sum(nil))
	b.mu.Lock()
	b.data[key] = buf.Bytes()
	b.puts++
	b.mu.Unlock()
	return key, n, nil
}

// Open implements inbox.Blobs.
func (b *memBlobs) Open(key string) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.data[key]
	if !ok {
		return nil, inbox.Errorf(inbox.NotFound, "no blob %s", key)
	}
	return io.NopCloser(bytes.NewReader(d)), nil
}

// get returns a stored blob or nil.
func (b *memBlobs) get(key string) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.data[key]
}

// failingBlobs refuses every Put, as a full disk would.
type failingBlobs struct{}

func (failingBlobs) Put(r io.Reader) (string, int64, error) {
	return "", 0, errors.New("disk full")
}

func (failingBlobs) Open(string) (io.ReadCloser, error) { return nil, errors.New("disk full") }
