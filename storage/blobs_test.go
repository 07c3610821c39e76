package storage

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func readBlob(t *testing.T, s *Store, key string) []byte {
	t.Helper()
	rc, err := s.Open(key)
	if err != nil {
		t.Fatalf("open blob %s: %v", key[:12], err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read blob %s: %v", key[:12], err)
	}
	return data
}

// inBucket returns the stored value of a small blob, nil when the bucket
// does not have it.
func inBucket(t *testing.T, s *Store, key string) []byte {
	t.Helper()
	var v []byte
	if err := s.view(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bBlobs).Get(blobKey(key)); n != nil {
			v = bytes.Clone(tx.Bucket(bBlobData).Get(n))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestSmallBlobsCommitWithTheNextWrite(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, &Options{NoIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	mail := bytes.Repeat([]byte("Bonjour, la tarte aux fraises est-elle prête ?\r\n"), 400)
	key, n, err := s.Put(bytes.NewReader(mail))
	if err != nil || n != int64(len(mail)) {
		t.Fatalf("put: %v, %d bytes", err, n)
	}
	// Readable at once, before anything committed it.
	if got := readBlob(t, s, key); !bytes.Equal(got, mail) {
		t.Fatal("a waiting blob reads back different")
	}
	if inBucket(t, s, key) != nil {
		t.Fatal("the blob was stored before any write")
	}
	// A failed write keeps it waiting; the next good one stores it.
	boom := errors.New("boom")
	if err := s.update(func(*bolt.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed update: %v", err)
	}
	if inBucket(t, s, key) != nil || s.blobs.waiting() == 0 {
		t.Fatal("a rolled-back transaction lost or stored the waiting blob")
	}
	if err := s.SetSetting("draft", []byte("x")); err != nil {
		t.Fatal(err)
	}
	v := inBucket(t, s, key)
	if v == nil || v[0] != blobDeflate || len(v) >= len(mail)/2 {
		t.Fatalf("compressible blob stored as %d bytes (kind %v) from %d", len(v), v[:1], len(mail))
	}
	if s.blobs.waiting() != 0 {
		t.Fatalf("%d bytes still wait after a commit", s.blobs.waiting())
	}
	// A short message is kept plain.
	short := []byte("Subject: merci\r\n\r\nÀ samedi !\r\n")
	skey, _, _ := s.Put(bytes.NewReader(short))
	if err := s.SetSetting("draft", nil); err != nil {
		t.Fatal(err)
	}
	if v := inBucket(t, s, skey); len(v) != len(short)+1 || v[0] != blobPlain {
		t.Fatalf("short blob stored as %q", v)
	}
	// Random bytes do not shrink: kept plain.
	noise := randomBytes(50 << 10)
	nkey, _, err := s.Put(bytes.NewReader(noise))
	if err != nil {
		t.Fatal(err)
	}
	// Close stores what waits; no file was written for small blobs.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, blobDir)); !os.IsNotExist(err) {
		t.Fatalf("small blobs wrote files: %v", err)
	}
	s, err = Open(dir, &Options{NoIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v := inBucket(t, s, nkey); v == nil || v[0] != blobPlain || len(v) != len(noise)+1 {
		t.Fatalf("incompressible blob stored as %d bytes", len(v))
	}
	if !bytes.Equal(readBlob(t, s, nkey), noise) || !bytes.Equal(readBlob(t, s, key), mail) {
		t.Fatal("blobs differ after reopening")
	}
}

func TestLargeBlobsAreFilesAndSmallOnesFlushWhenManyWait(t *testing.T) {
	s, err := Open(t.TempDir(), &Options{NoIndex: true, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Just over the limit: a gzip file, streamed.
	big := randomBytes(smallBlob + 1)
	key, n, err := s.Put(bytes.NewReader(big))
	if err != nil || n != int64(len(big)) {
		t.Fatalf("put: %v, %d", err, n)
	}
	if _, err := os.Stat(s.blobs.path(key)); err != nil {
		t.Fatalf("large blob file: %v", err)
	}
	if !bytes.Equal(readBlob(t, s, key), big) {
		t.Fatal("large blob differs")
	}
	// Exactly at the limit: inside the store.
	edge := randomBytes(smallBlob)
	ekey, _, _ := s.Put(bytes.NewReader(edge))
	if _, err := os.Stat(s.blobs.path(ekey)); !os.IsNotExist(err) {
		t.Fatal("a blob of exactly the limit went to a file")
	}
	// More than pendingMax waiting without a write: Put stores them.
	var keys []string
	for s.blobs.waiting()+smallBlob <= pendingMax {
		k, _, err := s.Put(bytes.NewReader(randomBytes(smallBlob)))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if inBucket(t, s, keys[0]) != nil {
		t.Fatal("stored before the limit")
	}
	if _, _, err := s.Put(bytes.NewReader(randomBytes(smallBlob))); err != nil {
		t.Fatal(err)
	}
	if inBucket(t, s, keys[0]) == nil || s.blobs.waiting() != 0 {
		t.Fatalf("past %d MB waiting, nothing was stored", pendingMax>>20)
	}
}

func TestSmallBlobsTravelInBackups(t *testing.T) {
	s, err := Open(t.TempDir(), &Options{NoIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("Subject: pain au levain\r\n\r\nDeux, s'il vous plaît.\r\n")
	key, _, err := s.Put(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting("k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	s.Close()
	other := t.TempDir()
	if err := Restore(other, &buf); err != nil {
		t.Fatal(err)
	}
	r, err := Open(other, &Options{NoIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !bytes.Equal(readBlob(t, r, key), data) {
		t.Fatal("the restored small blob differs")
	}
}
