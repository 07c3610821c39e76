package storage

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/couture/couture/inbox"
)

// blobStore keeps content-addressed, gzip-compressed files under
// blobs/ab/abcdef…: the key is the SHA-256 of the uncompressed bytes.
// A blob is written to a temporary file and renamed into place, so a crash
// never leaves a partial blob under its key.
type blobStore struct{ dir string }

var _ inbox.Blobs = (*Store)(nil)

// Put implements inbox.Blobs. It streams: a 30 MB attachment is never held
// in memory.
func (s *Store) Put(r io.Reader) (string, int64, error) { return s.blobs.put(r) }

// Open implements inbox.Blobs.
func (s *Store) Open(key string) (io.ReadCloser, error) { return s.blobs.open(key) }

func (b *blobStore) path(key string) string { return filepath.Join(b.dir, key[:2], key) }

func validKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil
}

func (b *blobStore) put(r io.Reader) (string, int64, error) {
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return "", 0, inbox.Wrap(inbox.Unavailable, err, "cannot write attachments to "+b.dir)
	}
	tmp, err := os.CreateTemp(b.dir, "put-*")
	if err != nil {
		return "", 0, inbox.Wrap(inbox.Unavailable, err, "cannot write attachments to "+b.dir)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	zw, _ := gzip.NewWriterLevel(tmp, gzip.BestSpeed)
	n, err := io.Copy(io.MultiWriter(h, zw), r)
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, inbox.Wrap(inbox.Unavailable, err, "cannot store an attachment (is the disk full?)")
	}
	key := hex.EncodeToString(h.Sum(nil))
	dst := b.path(key)
	if _, err := os.Stat(dst); err == nil {
		return key, n, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("store blob %s: %w", key, err)
	}
	return key, n, nil
}

type blobReader struct {
	*gzip.Reader
	f *os.File
}

func (r blobReader) Close() error {
	r.Reader.Close()
	return r.f.Close()
}

func (b *blobStore) open(key string) (io.ReadCloser, error) {
	if !validKey(key) {
		return nil, inbox.Errorf(inbox.Invalid, "%q is not a blob key", key)
	}
	f, err := os.Open(b.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, inbox.Errorf(inbox.NotFound, "attachment %s is missing from the store", key[:12])
	}
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob %s: %w", key, err)
	}
	return blobReader{zr, f}, nil
}
