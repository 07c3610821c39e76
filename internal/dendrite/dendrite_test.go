package dendrite

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFresh(t *testing.T) {
	dir := t.TempDir()
	sum := filepath.Join(dir, "go.sum")
	bins := [2]string{filepath.Join(dir, "dendrite"), filepath.Join(dir, "create-account")}
	touch := func(path string, at time.Time) {
		t.Helper()
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	touch(sum, now)
	if fresh(dir, bins) {
		t.Error("fresh without binaries")
	}
	touch(bins[0], now.Add(time.Minute))
	touch(bins[1], now.Add(-time.Minute))
	if fresh(dir, bins) {
		t.Error("fresh with a binary older than go.sum")
	}
	touch(bins[1], now.Add(time.Minute))
	if !fresh(dir, bins) {
		t.Error("not fresh with both binaries newer than go.sum")
	}
}

// TestServer starts a homeserver, makes an account and logs in with it.
func TestServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Dendrite")
	}
	s := Start(t)
	resp, err := http.Get(s.URL + "/_matrix/client/versions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	user := s.CreateUser("alice", "alice-password")
	if user != "@alice:localhost" {
		t.Errorf("user id %q", user)
	}
	if tok := s.Login(user, "alice-password"); tok == "" {
		t.Error("no access token")
	}
}
