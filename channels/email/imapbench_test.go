package email

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/dovecot"
	"github.com/couture/couture/storage"
)

// BenchmarkSyncVersusMbsync seeds a private Dovecot with generated
// customer mail (COUTURE_BENCH_MESSAGES, default 100,000, written straight
// into its Maildir), then times in the same run a first sync and a no-op
// resync of mbsync (Debian's isync, FSync No, Maildir target) and of
// Couture (a fresh store; without fsync like mbsync, then with the store's
// default durability), and prints the rates and their ratio: the median of
// COUTURE_BENCH_ROUNDS interleaved rounds (default 1). COUTURE_BENCH_DIAGNOSTIC
// adds a run that does not keep raw messages and attachments.
//
//	go test -run '^$' -bench SyncVersusMbsync -benchtime 1x ./channels/email
func BenchmarkSyncVersusMbsync(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("COUTURE_BENCH_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	mbsync := dovecot.Require(b, "mbsync", "isync", func() (string, error) { return exec.LookPath("mbsync") })
	srv := dovecot.Start(b, nil)
	t0 := time.Now()
	srv.Seed("alice", "INBOX", n)
	size := dirSize(b, srv.Maildir("alice", "INBOX"))
	b.Logf("seeded %d messages (%.0f MB) in %v", n, float64(size)/1e6, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	warm(b, srv)
	b.Logf("Dovecot indexed and cached them in %v", time.Since(t0).Round(time.Millisecond))
	version, _ := exec.Command(mbsync, "--version").Output()

	rounds := 1
	if v, err := strconv.Atoi(os.Getenv("COUTURE_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	type row struct {
		name        string
		first, noop []time.Duration
		count       int
	}
	contestants := []struct {
		name    string
		opts    *storage.Options // nil: mbsync
		noBlobs bool
	}{
		{strings.TrimSpace(string(version)) + " (FSync No)", nil, false},
		{"couture (store without fsync)", &storage.Options{NoSync: true, NoIndex: true}, false},
		{"couture (store default: fsync, search index)", &storage.Options{}, false},
	}
	if os.Getenv("COUTURE_BENCH_DIAGNOSTIC") != "" {
		// What the IMAP, parsing and record path costs without the blob
		// store (raw messages and attachments are not kept).
		contestants = append(contestants, struct {
			name    string
			opts    *storage.Options
			noBlobs bool
		}{"diagnostic: couture without blobs, no fsync", &storage.Options{NoSync: true, NoIndex: true}, true})
	}
	for range b.N {
		rows := make([]row, len(contestants))
		for range rounds { // interleaved, so load on the machine hits all alike
			for i, ct := range contestants {
				r := &rows[i]
				r.name = ct.name
				var first, noop time.Duration
				if ct.opts == nil {
					dir := b.TempDir()
					rc := mbsyncrc(b, srv, dir)
					first, r.count = runMbsync(b, mbsync, rc, dir)
					noop, _ = runMbsync(b, mbsync, rc, dir)
				} else {
					st, err := storage.Open(b.TempDir(), ct.opts)
					if err != nil {
						b.Fatal(err)
					}
					k := &benchSink{desk: inbox.NewDesk(st, nil), store: st}
					deps := channels.Deps{Blobs: st}
					if ct.noBlobs {
						deps.Blobs = nil
					}
					c, err := New(account(srv, "alice"), srv.Password("alice"), deps)
					if err != nil {
						b.Fatal(err)
					}
					first = timeSync(b, c, k)
					r.count = k.added
					noop = timeSync(b, c, k)
					if k.added != r.count {
						b.Errorf("%s: the no-op resync added %d messages", ct.name, k.added-r.count)
					}
					st.Close()
				}
				r.first, r.noop = append(r.first, first), append(r.noop, noop)
			}
		}

		var out strings.Builder
		fmt.Fprintf(&out, "\nsync of %d messages (%.0f MB) from Dovecot %s on loopback, plaintext IMAP, %d CPUs, median of %d\n",
			n, float64(size)/1e6, srv.Version, runtime.NumCPU(), rounds)
		w := tabwriter.NewWriter(&out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(w, "\tmessages\tfirst sync\tmsg/s\tvs mbsync\tno-op resync\tvs mbsync\t")
		rate := func(r row) float64 { return float64(r.count) / median(r.first).Seconds() }
		for _, r := range rows {
			fmt.Fprintf(w, "%s\t%d\t%.2f s\t%.0f\t%.2f×\t%.3f s\t%.2f×\t\n", r.name, r.count, median(r.first).Seconds(), rate(r),
				rate(r)/rate(rows[0]), median(r.noop).Seconds(), median(r.noop).Seconds()/median(rows[0].noop).Seconds())
			if r.count != n {
				b.Errorf("%s synced %d messages, want %d", r.name, r.count, n)
			}
		}
		w.Flush()
		b.Log(out.String())
		b.ReportMetric(rate(rows[0]), "mbsync-msg/s")
		b.ReportMetric(rate(rows[1]), "couture-msg/s")
		b.ReportMetric(median(rows[0].noop).Seconds()*1000, "mbsync-noop-ms")
		b.ReportMetric(median(rows[1].noop).Seconds()*1000, "couture-noop-ms")
	}
}

// median returns the middle value.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchSink commits through a Desk and counts, keeping nothing else.
type benchSink struct {
	desk  *inbox.Desk
	store *storage.Store
	added int
}

func (k *benchSink) Commit(ctx context.Context, b inbox.Batch) (inbox.IngestResult, error) {
	b.Account = "alice"
	res, err := k.desk.Ingest(ctx, b)
	k.added += res.Added
	return res, err
}

func (k *benchSink) Cursor(key string) ([]byte, error) { return k.store.Cursor("alice", key) }
func (k *benchSink) Progress(channels.Progress)        {}

func timeSync(b *testing.B, c *Channel, k *benchSink) time.Duration {
	b.Helper()
	t0 := time.Now()
	if err := c.Sync(context.Background(), k, true); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0)
}

// warm makes Dovecot index the folder and read every file once, so
// neither contestant pays for the server's first look.
func warm(b *testing.B, srv *dovecot.Server) {
	c, err := imapclient.DialInsecure(srv.IMAP, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", srv.Password("alice")).Wait(); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		b.Fatal(err)
	}
	cmd := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, InternalDate: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		if _, err := m.Collect(); err != nil {
			b.Fatal(err)
		}
	}
	if err := cmd.Close(); err != nil {
		b.Fatal(err)
	}
	c.Logout().Wait()
	// Dovecot writes its indexes after the session; a second one waits
	// for that, so the first contestant does not.
	c2, err := imapclient.DialInsecure(srv.IMAP, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Login("alice", srv.Password("alice")).Wait(); err != nil {
		b.Fatal(err)
	}
	if _, err := c2.Select("INBOX", nil).Wait(); err != nil {
		b.Fatal(err)
	}
	c2.Logout().Wait()
}

// mbsyncrc writes an mbsync configuration that pulls every folder of
// alice's account into a Maildir under dir.
func mbsyncrc(b *testing.B, srv *dovecot.Server, dir string) string {
	host, port, _ := strings.Cut(srv.IMAP, ":")
	rc := fmt.Sprintf(`FSync No

IMAPAccount bench
Host %s
Port %s
User alice
Pass %s
SSLType None
AuthMechs LOGIN
Timeout 600

IMAPStore remote
Account bench

MaildirStore local
Path %s/mail/
Inbox %s/mail/INBOX
SubFolders Verbatim

Channel bench
Far :remote:
Near :local:
Patterns *
Create Near
Sync Pull
SyncState *
`, host, port, srv.Password("alice"), dir, dir)
	if err := os.MkdirAll(filepath.Join(dir, "mail"), 0o700); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "mbsyncrc")
	if err := os.WriteFile(path, []byte(rc), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// runMbsync runs mbsync once and returns how long it took and how many
// messages its Maildir holds.
func runMbsync(b *testing.B, mbsync, rc, dir string) (time.Duration, int) {
	t0 := time.Now()
	out, err := exec.Command(mbsync, "-c", rc, "-a", "-q").CombinedOutput()
	d := time.Since(t0)
	if err != nil {
		b.Fatalf("mbsync: %v\n%s", err, out)
	}
	count := 0
	filepath.WalkDir(filepath.Join(dir, "mail"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if parent := filepath.Base(filepath.Dir(p)); parent == "cur" || parent == "new" {
				count++
			}
		}
		return nil
	})
	return d, count
}

func dirSize(b *testing.B, dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
