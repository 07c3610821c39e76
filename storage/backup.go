package storage

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/couture/couture/inbox"
	bolt "go.etcd.io/bbolt"
)

// Backup writes a hot backup of the store to w while it stays in use: a tar
// stream of the database (copied inside one read transaction, so it is
// consistent) followed by every blob. The search index is not included; it
// is rebuilt after a restore.
func (s *Store) Backup(w io.Writer) (int64, error) {
	tw := tar.NewWriter(w)
	var total int64
	err := s.view(func(tx *bolt.Tx) error {
		hdr := &tar.Header{Name: dbFile, Mode: 0o600, Size: tx.Size(), ModTime: time.Now(), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		n, err := tx.WriteTo(tw)
		total += n
		return err
	})
	if err != nil {
		return total, fmt.Errorf("back up the database: %w", err)
	}
	err = filepath.WalkDir(s.blobs.dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() || !validKey(d.Name()) {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		rel, _ := filepath.Rel(s.dir, path)
		hdr := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o600, Size: info.Size(), ModTime: info.ModTime(), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		n, err := io.Copy(tw, f)
		total += n
		return err
	})
	if err != nil {
		return total, fmt.Errorf("back up attachments: %w", err)
	}
	return total, tw.Close()
}

// Restore replaces the store in dir with the backup read from r. It refuses
// while another process has the store open. The old database is kept as
// couture.db.before-restore until the next restore.
func Restore(dir string, r io.Reader) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return inbox.Wrap(inbox.Unavailable, err, "cannot create the data directory "+dir)
	}
	// Hold the lock of the current store for the whole restore.
	path := filepath.Join(dir, dbFile)
	lock, err := openDB(path, &Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		return err
	}
	defer func() {
		if lock != nil {
			lock.Close()
		}
	}()
	tr := tar.NewReader(r)
	tmp := path + ".restoring"
	sawDB := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			os.Remove(tmp)
			return inbox.Wrap(inbox.Invalid, err, "the backup is damaged or not a Couture backup")
		}
		name := filepath.FromSlash(hdr.Name)
		var dst string
		switch {
		case hdr.Name == dbFile:
			dst, sawDB = tmp, true
		case strings.HasPrefix(hdr.Name, blobDir+"/") && validKey(filepath.Base(name)) && !strings.Contains(hdr.Name, ".."):
			dst = filepath.Join(dir, name)
		default:
			continue
		}
		if err := writeFile(dst, tr); err != nil {
			os.Remove(tmp)
			return inbox.Wrap(inbox.Unavailable, err, "cannot write "+dst)
		}
	}
	if !sawDB {
		return inbox.Errorf(inbox.Invalid, "the backup holds no Couture database")
	}
	check, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		os.Remove(tmp)
		return inbox.Wrap(inbox.Invalid, err, "the database in the backup cannot be opened")
	}
	check.Close()
	lock.Close()
	lock = nil
	if _, err := os.Stat(path); err == nil {
		if err := os.Rename(path, path+".before-restore"); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(dir, indexDir))
}

func writeFile(dst string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Compact rewrites the database without free pages and returns its size
// before and after. The store stays usable; writers wait meanwhile.
func (s *Store) Compact() (before, after int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := s.db.Path()
	tmp := path + ".compacting"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		return 0, 0, err
	}
	if err := bolt.Compact(dst, s.db, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("compact: %w", err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return 0, 0, err
	}
	dst.Close()
	if fi, err := os.Stat(path); err == nil {
		before = fi.Size()
	}
	if err := s.db.Close(); err != nil {
		return 0, 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, 0, err
	}
	db, err := openDB(path, &s.opts)
	if err != nil {
		return before, 0, err
	}
	s.db = db
	if fi, err := os.Stat(path); err == nil {
		after = fi.Size()
	}
	return before, after, nil
}
