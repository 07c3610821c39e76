package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/couture/couture/inbox"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options tune Open; nil means defaults.
type Options struct {
	// Timeout is how long Open waits for another process to release the
	// store before it fails with an "already open" error (default 200 ms).
	Timeout time.Duration
	// NoIndex disables the full-text indexer; Search then fails.
	NoIndex bool
	// NoSync skips fsync on commit: for benchmarks and throw-away stores only.
	NoSync bool
	// Logger receives background errors (indexing); slog.Default when nil.
	Logger *slog.Logger
}

// File names inside the data directory.
const (
	dbFile    = "couture.db"
	indexDir  = "index"
	blobDir   = "blobs"
	schemaNow = 1
)

var (
	bMeta       = []byte("meta")
	bCustomers  = []byte("customers")
	bIdentities = []byte("identities")
	bMessages   = []byte("messages")
	bTimeline   = []byte("timeline")
	bExternal   = []byte("external")
	bCursors    = []byte("cursors")
	bMerges     = []byte("merges")
	bOutbox     = []byte("outbox")
	bSettings   = []byte("settings")

	allBuckets = [][]byte{bMeta, bCustomers, bIdentities, bMessages, bTimeline, bExternal, bCursors, bMerges, bOutbox, bSettings}

	keySchema = []byte("schema")
)

// Store is the bbolt implementation of inbox.Store and inbox.Blobs. It is
// safe for concurrent use; Close it once.
type Store struct {
	dir   string
	opts  Options
	log   *slog.Logger
	mu    sync.RWMutex // guards db while Compact swaps it
	db    *bolt.DB
	blobs *blobStore
	index *indexer
}

var _ inbox.Store = (*Store)(nil)

// Open opens (creating when needed) the store in dir. A second process that
// opens the same directory fails after opts.Timeout with an Unavailable
// error that says so.
func Open(dir string, opts *Options) (*Store, error) {
	s := &Store{dir: dir}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.Timeout <= 0 {
		s.opts.Timeout = 200 * time.Millisecond
	}
	s.log = s.opts.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, inbox.Wrap(inbox.Unavailable, err, "cannot create the data directory "+dir)
	}
	db, err := openDB(filepath.Join(dir, dbFile), &s.opts)
	if err != nil {
		return nil, err
	}
	s.db = db
	if err := migrate(db); err != nil {
		db.Close()
		return nil, err
	}
	s.blobs = newBlobStore(filepath.Join(dir, blobDir), s.opts.NoSync)
	if !s.opts.NoIndex {
		ix, err := openIndexer(filepath.Join(dir, indexDir), s)
		if err != nil {
			db.Close()
			return nil, err
		}
		s.index = ix
	}
	return s, nil
}

func openDB(path string, o *Options) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.Timeout, NoSync: o.NoSync, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, inbox.Wrap(inbox.Unavailable, err, "the store in "+filepath.Dir(path)+" is already open by another Couture; close it first")
	}
	if err != nil {
		return nil, inbox.Wrap(inbox.Unavailable, err, "cannot open the store "+path)
	}
	return db, nil
}

// migration moves a store from version-1 to version.
type migration struct {
	version int
	name    string
	apply   func(*bolt.Tx) error
}

// migrations run in order, each in the same transaction that records its
// version. Append only; never edit a released one.
var migrations = []migration{
	{1, "create buckets", func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}},
	{2, "small blobs inside the store", func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bBlobs, bBlobData} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}},
}

// SchemaVersion is the store layout this build writes.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

func migrate(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return err
		}
		v := 0
		if b := meta.Get(keySchema); len(b) == 8 {
			v = int(binary.BigEndian.Uint64(b))
		}
		if v > SchemaVersion() {
			return inbox.Errorf(inbox.Conflict, "this store was written by a newer Couture (schema %d, this one knows %d); update Couture", v, SchemaVersion())
		}
		for _, m := range migrations {
			if m.version <= v {
				continue
			}
			if err := m.apply(tx); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			if err := meta.Put(keySchema, u64(uint64(m.version))); err != nil {
				return err
			}
		}
		return nil
	})
}

// Dir returns the data directory.
func (s *Store) Dir() string { return s.dir }

// Close stores the small blobs still waiting, stops the indexer and closes
// the store.
func (s *Store) Close() error {
	var ferr error
	if s.blobs.waiting() > 0 {
		ferr = s.update(func(*bolt.Tx) error { return nil })
	}
	if s.index != nil {
		s.index.close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(ferr, s.db.Close())
}

func (s *Store) view(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.db.View(fn)
}

// update runs fn in a write transaction that first stores the small blobs
// Put since the last commit, so whatever fn writes about them lands with
// them.
func (s *Store) update(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	blobs := s.blobs.take()
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := s.blobs.write(tx, blobs); err != nil {
			return err
		}
		return fn(tx)
	})
	s.mu.RUnlock()
	if err == nil {
		s.blobs.stored(blobs)
	}
	if err == nil && s.index != nil {
		s.index.poke()
	}
	return err
}

// u64 encodes n big-endian so keys sort by number.
func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// Setting returns a small value saved under key (drafts, preferences).
func (s *Store) Setting(key string) ([]byte, error) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bSettings).Get([]byte(key)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// SetSetting saves a small value under key; nil deletes it.
func (s *Store) SetSetting(key string, value []byte) error {
	return s.update(func(tx *bolt.Tx) error {
		if value == nil {
			return tx.Bucket(bSettings).Delete([]byte(key))
		}
		return tx.Bucket(bSettings).Put([]byte(key), value)
	})
}
