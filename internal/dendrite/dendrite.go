// Package dendrite runs a private Dendrite Matrix homeserver for tests: one
// monolith process per Start, with SQLite databases and in-memory JetStream
// under the test's temporary directory, federation disabled, listening on a
// free loopback port. Accounts are made with Dendrite's own create-account
// tool (shared-secret registration).
//
// The binaries are built from the separate module tools/dendrite (pinned
// github.com/element-hq/dendrite v0.15.2) into tools/bin, and reused while
// they are newer than tools/dendrite/go.sum; `make dendrite` builds them
// ahead of the tests. When they cannot be built the test is skipped with the
// reason, unless COUTURE_REQUIRE_SERVERS is set (CI), where it fails.
package dendrite

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ServerName is the server name of every test homeserver: user ids are
// @name:localhost.
const ServerName = "localhost"

// Version is the Dendrite release tools/dendrite pins.
const Version = "v0.15.2"

// Options change a test homeserver; nil means defaults.
type Options struct {
	// RateLimit turns Dendrite's client rate limiting on with this many
	// requests per cooloff period (0 leaves it off, the default for tests).
	RateLimit int
	// Cooloff is the rate limiter's period; 500 ms when zero.
	Cooloff time.Duration
}

// Server is a running Dendrite. It is stopped when the test ends.
type Server struct {
	// URL is the homeserver's client-server API base, http://127.0.0.1:port.
	URL string
	// Dir holds the config, databases, media and the log.
	Dir string

	tb     testing.TB
	config string
	create string
	cmd    *exec.Cmd
	log    *lockedBuffer
	done   chan struct{}
}

// Start builds the binaries if needed and runs a fresh homeserver for tb.
func Start(tb testing.TB) *Server { return StartWith(tb, nil) }

// StartWith is Start with options.
func StartWith(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	if opts == nil {
		opts = &Options{}
	}
	bin, create := Binaries(tb)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(tb, bin, create, opts)
		if err == nil {
			return s
		}
		lastErr = err
	}
	tb.Fatalf("start Dendrite: %v", lastErr)
	return nil
}

func start(tb testing.TB, bin, create string, opts *Options) (*Server, error) {
	dir, err := os.MkdirTemp("", "dendrite-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL: fmt.Sprintf("http://127.0.0.1:%d", port), Dir: dir, tb: tb,
		config: filepath.Join(dir, "dendrite.yaml"), create: create,
		log: &lockedBuffer{}, done: make(chan struct{}),
	}
	if err := writeConfig(dir, opts); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "--config", s.config, "--http-bind-address", fmt.Sprintf("127.0.0.1:%d", port))
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	tb.Cleanup(s.stop)
	if err := s.wait(90 * time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\n--- dendrite log ---\n%s", err, s.log.tail(8<<10))
	}
	return s, nil
}

// wait polls /_matrix/client/versions until the server answers.
func (s *Server) wait(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("dendrite exited during start-up")
		default:
		}
		resp, err := http.Get(s.URL + "/_matrix/client/versions")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("dendrite did not answer on %s within %s", s.URL, limit)
}

// stop terminates the process (SIGTERM, then SIGKILL), prints the log when
// the test failed (or COUTURE_DENDRITE_LOG is set), and removes the
// directory.
func (s *Server) stop() {
	if s.cmd.Process != nil {
		select {
		case <-s.done:
		default:
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(10 * time.Second):
				_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
				<-s.done
			}
		}
	}
	if s.tb.Failed() || os.Getenv("COUTURE_DENDRITE_LOG") != "" {
		s.tb.Logf("--- dendrite log (%s) ---\n%s", s.URL, s.log.tail(16<<10))
	}
	_ = os.RemoveAll(s.Dir)
}

// Log returns what the server has logged so far.
func (s *Server) Log() string { return s.log.tail(1 << 30) }

// CreateUser makes an account with Dendrite's create-account tool and
// returns its user id (@name:localhost). Passwords need 8 characters.
func (s *Server) CreateUser(name, password string) string {
	s.tb.Helper()
	cmd := exec.Command(s.create, "--config", s.config, "-url", s.URL, "-username", name, "-passwordstdin")
	cmd.Dir = s.Dir
	cmd.Stdin = strings.NewReader(password)
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.tb.Fatalf("create-account %s: %v\n%s", name, err, out)
	}
	return "@" + name + ":" + ServerName
}

// Login logs a user in and returns an access token, for tests that act as
// the other side of a conversation with plain HTTP calls.
func (s *Server) Login(user, password string) string {
	s.tb.Helper()
	body, _ := json.Marshal(map[string]any{
		"type":       "m.login.password",
		"identifier": map[string]string{"type": "m.id.user", "user": user},
		"password":   password,
	})
	resp, err := http.Post(s.URL+"/_matrix/client/v3/login", "application/json", bytes.NewReader(body))
	if err != nil {
		s.tb.Fatalf("login %s: %v", user, err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil || out.AccessToken == "" {
		s.tb.Fatalf("login %s: HTTP %d: %s", user, resp.StatusCode, b)
	}
	return out.AccessToken
}

// writeConfig writes a minimal monolith config and a fresh signing key.
func writeConfig(dir string, opts *Options) error {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block := &pem.Block{Type: "MATRIX PRIVATE KEY", Headers: map[string]string{"Key-ID": "ed25519:test"}, Bytes: key.Seed()}
	if err := os.WriteFile(filepath.Join(dir, "matrix_key.pem"), pem.EncodeToMemory(block), 0o600); err != nil {
		return err
	}
	db := func(name string) string {
		return fmt.Sprintf("    connection_string: file:%s\n", filepath.Join(dir, "dendrite_"+name+".db"))
	}
	cooloff := opts.Cooloff
	if cooloff <= 0 {
		cooloff = 500 * time.Millisecond
	}
	var b strings.Builder
	fmt.Fprintf(&b, `version: 2
global:
  server_name: %s
  private_key: %s
  key_validity_period: 168h0m0s
  disable_federation: true
  trusted_third_party_id_servers: []
  presence:
    enable_inbound: false
    enable_outbound: false
  report_stats:
    enabled: false
  jetstream:
    in_memory: true
    storage_path: %s
    topic_prefix: Dendrite
  cache:
    max_size_estimated: 64mb
    max_age: 1h
client_api:
  registration_disabled: true
  guests_disabled: true
  registration_shared_secret: %q
  rate_limiting:
    enabled: %t
    threshold: %d
    cooloff_ms: %d
federation_api:
  key_perspectives: []
  database:
%smedia_api:
  base_path: %s
  max_file_size_bytes: 52428800
  dynamic_thumbnails: false
  database:
%skey_server:
  database:
%smscs:
  mscs: []
  database:
%srelay_api:
  database:
%sroom_server:
  database:
%ssync_api:
  search:
    enabled: false
  database:
%suser_api:
  bcrypt_cost: 4
  account_database:
%slogging:
  - type: std
    level: warn
`, ServerName, filepath.Join(dir, "matrix_key.pem"), dir, sharedSecret,
		opts.RateLimit > 0, max(opts.RateLimit, 1), cooloff.Milliseconds(),
		db("federationapi"), filepath.Join(dir, "media"), db("mediaapi"), db("keyserver"),
		db("mscs"), db("relayapi"), db("roomserver"), db("syncapi"), db("userapi"))
	return os.WriteFile(filepath.Join(dir, "dendrite.yaml"), []byte(b.String()), 0o600)
}

// sharedSecret is the registration secret of test servers (loopback only).
const sharedSecret = "couture-test-registration"

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lockedBuffer collects the server's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 32<<20 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.b.Bytes()
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

var (
	buildOnce sync.Once
	buildBin  [2]string
	buildErr  error
)

// Binaries returns the paths of the dendrite and create-account binaries,
// building them once per test process when missing or older than
// tools/dendrite/go.sum. It skips tb when they cannot be built, or fails it
// when COUTURE_REQUIRE_SERVERS is set.
func Binaries(tb testing.TB) (dendrite, createAccount string) {
	tb.Helper()
	buildOnce.Do(func() { buildBin, buildErr = build(buildDeadline(tb)) })
	if buildErr != nil {
		if os.Getenv("COUTURE_REQUIRE_SERVERS") != "" {
			tb.Fatalf("Dendrite is required (COUTURE_REQUIRE_SERVERS is set) but cannot be built: %v", buildErr)
		}
		tb.Skipf("skipping: no Dendrite homeserver (%v); run `make dendrite` to build it", buildErr)
	}
	return buildBin[0], buildBin[1]
}

// Root returns the repository root (the directory holding
// tools/dendrite/go.mod), found from this source file.
func Root() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the repository")
	}
	dir := filepath.Dir(file)
	for {
		if _, err := os.Stat(filepath.Join(dir, "tools", "dendrite", "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("tools/dendrite/go.mod not found above " + filepath.Dir(file))
		}
		dir = parent
	}
}

// buildDeadline is when an in-test build must give up: a minute before
// the test binary's -timeout, so a slow cold build ends in a clear skip (or
// failure) instead of a timeout panic. The work done so far stays in the Go
// build cache for the next run.
func buildDeadline(tb testing.TB) time.Time {
	if d, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		if at, ok := d.Deadline(); ok {
			return at.Add(-time.Minute)
		}
	}
	if f := flag.Lookup("test.timeout"); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			if d, ok := g.Get().(time.Duration); ok && d > 0 {
				return processStart.Add(d - time.Minute)
			}
		}
	}
	return time.Now().Add(30 * time.Minute)
}

var processStart = time.Now()

func build(deadline time.Time) ([2]string, error) {
	root, err := Root()
	if err != nil {
		return [2]string{}, err
	}
	mod := filepath.Join(root, "tools", "dendrite")
	binDir := filepath.Join(root, "tools", "bin")
	bins := [2]string{filepath.Join(binDir, "dendrite"), filepath.Join(binDir, "create-account")}
	if fresh(mod, bins) {
		return bins, nil
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return bins, err
	}
	// One build at a time across test processes (go test runs packages in
	// parallel): an exclusive lock on a file beside the binaries.
	lock, err := os.OpenFile(filepath.Join(binDir, ".dendrite.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return bins, err
	}
	defer lock.Close()
	for syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		if time.Now().After(deadline) {
			return bins, fmt.Errorf("another process is still building Dendrite; run `make dendrite` first (or raise go test -timeout)")
		}
		time.Sleep(time.Second)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if fresh(mod, bins) {
		return bins, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return bins, fmt.Errorf("no go command to build Dendrite: %w", err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	for i, pkg := range []string{"github.com/element-hq/dendrite/cmd/dendrite", "github.com/element-hq/dendrite/cmd/create-account"} {
		tmp := bins[i] + ".tmp"
		cmd := exec.CommandContext(ctx, goBin, "build", "-o", tmp, pkg)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			if ctx.Err() != nil {
				return bins, fmt.Errorf("building Dendrite takes longer than this test run allows; run `make dendrite` first (or raise go test -timeout)")
			}
			return bins, fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
		if err := os.Rename(tmp, bins[i]); err != nil {
			return bins, err
		}
	}
	return bins, nil
}

// fresh reports whether both binaries exist and are newer than go.sum.
func fresh(mod string, bins [2]string) bool {
	sum, err := os.Stat(filepath.Join(mod, "go.sum"))
	if err != nil {
		return false
	}
	for _, b := range bins {
		st, err := os.Stat(b)
		if err != nil || !st.ModTime().After(sum.ModTime()) {
			return false
		}
	}
	return true
}
