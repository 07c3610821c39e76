package storage

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/couture/couture/inbox"
	bolt "go.etcd.io/bbolt"
)

// Blobs are content-addressed: the key is the hex SHA-256 of the
// uncompressed bytes. Two homes, chosen by size:
//
//   - Small blobs (raw e-mail, most attachments: up to smallBlob bytes) live
//     inside the bbolt file, in the blobs bucket. Put keeps them in memory
//     and the next write transaction stores them, before its own changes, so
//     the message that names a blob is committed together with it: one
//     fsync a batch instead of a file, a rename and an fsync a message.
//   - Larger blobs are gzip files under blobs/ab/abcdef…, written to a
//     temporary file and renamed into place, so a crash never leaves a
//     partial blob under its key; they are fsynced before Put returns
//     (unless the store runs without fsync).
//
// A blob that was Put but never named by a committed write is lost with
// the process, which is fine: nothing refers to it.
type blobStore struct {
	dir    string
	noSync bool

	mu      sync.Mutex
	pending map[string][]byte // key → encoded value, until a commit stores it
	size    int               // bytes in pending
}

const (
	// smallBlob is the largest blob kept inside the bbolt file.
	smallBlob = 256 << 10
	// pendingMax is how many bytes of small blobs wait in memory before
	// Put stores them in a transaction of their own.
	pendingMax = 32 << 20
	// compressFrom is the smallest blob worth compressing.
	compressFrom = 16 << 10

	// The first byte of a blob value in the bucket says how it is kept.
	blobPlain   = 0
	blobDeflate = 1
)

// Small blobs are kept in two buckets: blobs maps a key (the 32 bytes of
// the hash) to a number, and blobdata maps the number to the value.
// Numbers only grow, so a batch appends its values at the end of blobdata
// instead of rewriting pages all over the file, as hash-ordered values would.
var (
	bBlobs    = []byte("blobs")
	bBlobData = []byte("blobdata")
)

var _ inbox.Blobs = (*Store)(nil)

func newBlobStore(dir string, noSync bool) *blobStore {
	return &blobStore{dir: dir, noSync: noSync, pending: map[string][]byte{}}
}

var (
	bufPool   = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	flatePool = sync.Pool{New: func() any { w, _ := flate.NewWriter(nil, flate.BestSpeed); return w }}
	gzipPool  = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}
)

// Put implements inbox.Blobs. It streams: a 30 MB attachment is never held
// in memory.
func (s *Store) Put(r io.Reader) (string, int64, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	n, err := io.CopyN(buf, r, smallBlob+1)
	if err != nil && err != io.EOF {
		return "", 0, inbox.Wrap(inbox.Unavailable, err, "cannot read an attachment")
	}
	if n > smallBlob {
		return s.blobs.putFile(io.MultiReader(bytes.NewReader(buf.Bytes()), r))
	}
	sum := sha256.Sum256(buf.Bytes())
	key := hex.EncodeToString(sum[:])
	if s.blobs.hold(key, encodeBlob(buf.Bytes())) > pendingMax {
		// Nothing has committed for a while: store them now.
		if err := s.update(func(*bolt.Tx) error { return nil }); err != nil {
			return "", 0, err
		}
	}
	return key, n, nil
}

// Open implements inbox.Blobs.
func (s *Store) Open(key string) (io.ReadCloser, error) {
	if !validKey(key) {
		return nil, inbox.Errorf(inbox.Invalid, "%q is not a blob key", key)
	}
	v := s.blobs.held(key)
	if v == nil {
		err := s.view(func(tx *bolt.Tx) error {
			if n := tx.Bucket(bBlobs).Get(blobKey(key)); n != nil {
				v = bytes.Clone(tx.Bucket(bBlobData).Get(n))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if v != nil {
		return decodeBlob(key, v)
	}
	return s.blobs.openFile(key)
}

// encodeBlob compresses data of compressFrom bytes or more when that saves
// at least a tenth of it. Smaller blobs (most e-mails) stay plain, as in a
// Maildir: deflate's per-block set-up costs more than their bytes do.
func encodeBlob(data []byte) []byte {
	if len(data) < compressFrom {
		return append([]byte{blobPlain}, data...)
	}
	out := bytes.NewBuffer(make([]byte, 0, len(data)/2+64))
	out.WriteByte(blobDeflate)
	w := flatePool.Get().(*flate.Writer)
	w.Reset(out)
	_, err := w.Write(data)
	if err == nil {
		err = w.Close()
	}
	flatePool.Put(w)
	if err != nil || out.Len() > len(data)*9/10 {
		return append([]byte{blobPlain}, data...)
	}
	return out.Bytes()
}

func decodeBlob(key string, v []byte) (io.ReadCloser, error) {
	switch {
	case len(v) > 0 && v[0] == blobPlain:
		return io.NopCloser(bytes.NewReader(v[1:])), nil
	case len(v) > 0 && v[0] == blobDeflate:
		return flate.NewReader(bytes.NewReader(v[1:])), nil
	}
	return nil, fmt.Errorf("blob %s: unknown encoding", key[:12])
}

func blobKey(key string) []byte {
	k, _ := hex.DecodeString(key)
	return k
}

// hold keeps an encoded small blob until the next commit and returns how
// many bytes wait.
func (b *blobStore) hold(key string, v []byte) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.pending[key]; !ok {
		b.pending[key] = v
		b.size += len(v)
	}
	return b.size
}

// waiting returns how many bytes of small blobs wait for a commit.
func (b *blobStore) waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.size
}

func (b *blobStore) held(key string) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending[key]
}

// take returns the waiting blobs for a transaction to store; they stay
// readable until stored tells they are committed.
func (b *blobStore) take() map[string][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 {
		return nil
	}
	out := make(map[string][]byte, len(b.pending))
	for k, v := range b.pending {
		out[k] = v
	}
	return out
}

// write stores the taken blobs in tx, skipping those already there.
func (b *blobStore) write(tx *bolt.Tx, taken map[string][]byte) error {
	if len(taken) == 0 {
		return nil
	}
	index, data := tx.Bucket(bBlobs), tx.Bucket(bBlobData)
	data.FillPercent = 1 // appended, never split in the middle
	for key, v := range taken {
		k := blobKey(key)
		if index.Get(k) != nil {
			continue
		}
		n, err := data.NextSequence()
		if err != nil {
			return err
		}
		if err := data.Put(u64(n), v); err != nil {
			return err
		}
		if err := index.Put(k, u64(n)); err != nil {
			return err
		}
	}
	return nil
}

// stored forgets the blobs a committed transaction stored.
func (b *blobStore) stored(taken map[string][]byte) {
	if len(taken) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, v := range taken {
		if _, ok := b.pending[k]; ok {
			delete(b.pending, k)
			b.size -= len(v)
		}
	}
}

func (b *blobStore) path(key string) string { return filepath.Join(b.dir, key[:2], key) }

func validKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil
}

func (b *blobStore) putFile(r io.Reader) (string, int64, error) {
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return "", 0, inbox.Wrap(inbox.Unavailable, err, "cannot write attachments to "+b.dir)
	}
	tmp, err := os.CreateTemp(b.dir, "put-*")
	if err != nil {
		return "", 0, inbox.Wrap(inbox.Unavailable, err, "cannot write attachments to "+b.dir)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	zw := gzipPool.Get().(*gzip.Writer)
	zw.Reset(tmp)
	n, err := io.Copy(io.MultiWriter(h, zw), r)
	if err == nil {
		err = zw.Close()
	}
	gzipPool.Put(zw)
	if err == nil && !b.noSync {
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

func (b *blobStore) openFile(key string) (io.ReadCloser, error) {
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
