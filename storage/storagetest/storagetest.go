// Package storagetest opens real stores for tests of other packages.
package storagetest

import (
	"testing"

	"github.com/couture/couture/storage"
)

// MustOpen opens a store in a fresh temporary directory and closes it when
// the test ends. opts may be nil.
func MustOpen(tb testing.TB, opts *storage.Options) *storage.Store {
	tb.Helper()
	s, err := storage.Open(tb.TempDir(), opts)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return s
}
