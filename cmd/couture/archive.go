package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/couture/couture/assets"
	"github.com/couture/couture/channels/email"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
)

func init() {
	register(&command{name: "import", args: "mbox|maildir PATH [--me ADDR,…]", summary: "import a mail archive into customers and timelines", run: runImport})
	register(&command{name: "export", args: "ID [--format json|mbox] [--out FILE]", summary: "export a customer's timeline", run: runExport})
	register(&command{name: "backup", args: "FILE|-", summary: "write a hot backup of the store", run: runBackup})
	register(&command{name: "restore", args: "FILE|-", summary: "replace the store with a backup (Couture must be closed)", run: runRestore})
	register(&command{name: "compact", summary: "rewrite the store without free space", run: runCompact})
	register(&command{name: "demo", summary: "fill the store with the demo business", run: runDemo})
}

// importBatch is how many messages one store transaction takes.
const importBatch = 500

func runImport(e *env, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	me := fs.String("me", "", "the business's own addresses, comma-separated: their messages are answers")
	account := fs.String("account", "import", "account name recorded on the imported messages")
	pos, err := flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || (pos[0] != "mbox" && pos[0] != "maildir") {
		return usagef("import takes mbox PATH or maildir PATH")
	}
	own := map[string]bool{}
	for _, a := range strings.Split(*me, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		addr, err := inbox.NormalizeEmail(a)
		if err != nil {
			return usagef("--me: %s", inbox.Explain(err))
		}
		own[addr] = true
	}
	app, err := e.open()
	if err != nil {
		return err
	}
	imp := &importer{
		e: e, desk: app.desk, account: *account,
		parser: &email.Parser{Blobs: app.store, Own: func(a string) bool { return own[a] }, Account: *account},
	}
	switch pos[0] {
	case "mbox":
		f, err := os.Open(pos[1])
		if err != nil {
			return inbox.Wrap(inbox.NotFound, err, "cannot open the mbox "+pos[1])
		}
		defer f.Close()
		err = email.ReadMbox(bufio.NewReaderSize(f, 1<<20), func(raw []byte) error { return imp.add(raw, "") })
		if err != nil {
			return fmt.Errorf("read %s: %w", pos[1], err)
		}
	case "maildir":
		if fi, err := os.Stat(pos[1]); err != nil || !fi.IsDir() {
			return inbox.Errorf(inbox.NotFound, "%s is not a Maildir directory", pos[1])
		}
		if err := email.ReadMaildir(pos[1], imp.add); err != nil {
			return fmt.Errorf("read %s: %w", pos[1], err)
		}
	}
	if err := imp.flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %s: %d new, %d already there, %d new customers, %d in Other, %d with warnings\n",
		plural(imp.read, "message", "messages"), imp.added, imp.dups, imp.customers, imp.other, imp.warnings)
	return nil
}

// importer parses messages and ingests them in batches.
type importer struct {
	e                                             *env
	desk                                          *inbox.Desk
	parser                                        *email.Parser
	account                                       string
	batch                                         []inbox.Incoming
	read, added, dups, customers, other, warnings int
}

func (im *importer) add(raw []byte, flags string) error {
	if err := im.e.ctx.Err(); err != nil {
		return err
	}
	in, err := im.parser.Parse(raw)
	if err != nil {
		return err
	}
	if strings.Contains(flags, "S") {
		in.Message.Seen = true
	}
	im.read++
	if in.Other {
		im.other++
	}
	if in.Message.Warning != "" {
		im.warnings++
	}
	im.batch = append(im.batch, in)
	if len(im.batch) >= importBatch {
		return im.flush()
	}
	return nil
}

func (im *importer) flush() error {
	if len(im.batch) == 0 {
		return nil
	}
	res, err := im.desk.Ingest(im.e.ctx, inbox.Batch{Account: im.account, Messages: im.batch})
	if err != nil {
		return err
	}
	im.added += res.Added
	im.dups += res.Duplicates
	im.customers += res.NewCustomers
	im.batch = im.batch[:0]
	fmt.Fprintf(im.e.stderr, "\rimporting: %d messages read", im.read)
	if im.read%importBatch != 0 {
		fmt.Fprintln(im.e.stderr)
	}
	return nil
}

func runExport(e *env, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	format := fs.String("format", "json", "json or mbox")
	out := fs.String("out", "-", "file to write, - for standard output")
	pos, err := parseArgs(fs, args, 1, "one customer ID")
	if err != nil {
		return err
	}
	if *format != "json" && *format != "mbox" {
		return usagef("--format is json or mbox")
	}
	id, err := parseCustomerID(pos[0])
	if err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	c, err := a.desk.Customer(id)
	if err != nil {
		return err
	}
	msgs, err := wholeTimeline(a.desk, id)
	if err != nil {
		return err
	}
	w, done, err := output(e, *out)
	if err != nil {
		return err
	}
	if *format == "json" {
		list := make([]messageJSON, 0, len(msgs))
		for i := range msgs {
			list = append(list, toMessageJSON(&msgs[i]))
		}
		err = writeJSON(w, struct {
			Customer customerJSON  `json:"customer"`
			Messages []messageJSON `json:"messages"`
		}{toCustomerJSON(a.desk, &c), list})
	} else {
		err = exportMbox(w, a.store, msgs)
	}
	if err != nil {
		done()
		return err
	}
	return done()
}

// wholeTimeline reads every page of a timeline, oldest first.
func wholeTimeline(d *inbox.Desk, id inbox.CustomerID) ([]inbox.Message, error) {
	var all []inbox.Message
	before := ""
	for {
		p, err := d.Timeline(id, before, 1000)
		if err != nil {
			return nil, err
		}
		all = append(p.Messages, all...)
		if p.Before == "" {
			return all, nil
		}
		before = p.Before
	}
}

// exportMbox writes each message in its original form when the store has
// it (e-mail), else as a small RFC 5322 message (SMS, chat, notes).
func exportMbox(w io.Writer, blobs inbox.Blobs, msgs []inbox.Message) error {
	for i := range msgs {
		m := &msgs[i]
		if m.Direction == inbox.Event {
			continue
		}
		var raw []byte
		if m.Raw != "" {
			rc, err := blobs.Open(m.Raw)
			if err == nil {
				raw, err = io.ReadAll(rc)
				rc.Close()
			}
			if err != nil {
				return fmt.Errorf("message %d: %w", m.ID, err)
			}
		} else {
			raw = email.Compose(*m, "couture")
		}
		from := m.From
		if from == "" {
			from = "couture"
		}
		if err := email.WriteMbox(w, raw, from, m.SentAt); err != nil {
			return err
		}
	}
	return nil
}

// output opens FILE, or standard output for "-". done closes and reports
// the first error; a file is written beside its name and renamed into place
// so a failed export leaves no half file.
func output(e *env, name string) (io.Writer, func() error, error) {
	if name == "-" || name == "" {
		return e.stdout, func() error { return nil }, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".couture-export-*")
	if err != nil {
		return nil, nil, inbox.Wrap(inbox.Unavailable, err, "cannot write "+name)
	}
	bw := bufio.NewWriter(tmp)
	return bw, func() error {
		err := bw.Flush()
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), name)
		}
		if err != nil {
			os.Remove(tmp.Name())
			return inbox.Wrap(inbox.Unavailable, err, "cannot write "+name)
		}
		return nil
	}, nil
}

func runBackup(e *env, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	pos, err := parseArgs(fs, args, 1, "a FILE (or - for standard output)")
	if err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	w, done, err := output(e, pos[0])
	if err != nil {
		return err
	}
	n, err := a.store.Backup(w)
	if err != nil {
		done()
		return err
	}
	if err := done(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "backup written: %d bytes\n", n)
	return nil
}

func runRestore(e *env, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	pos, err := parseArgs(fs, args, 1, "a backup FILE (or - for standard input)")
	if err != nil {
		return err
	}
	r := e.stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return inbox.Wrap(inbox.NotFound, err, "cannot open the backup "+pos[0])
		}
		defer f.Close()
		r = f
	}
	if err := storage.Restore(e.dataDir, bufio.NewReader(r)); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restored into %s; the search index is rebuilt at the next start\n", e.dataDir)
	return nil
}

func runCompact(e *env, args []string) error {
	if len(args) > 0 {
		return usagef("compact takes no arguments")
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	before, after, err := a.store.Compact()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "compacted: %d → %d bytes\n", before, after)
	return nil
}

func runDemo(e *env, args []string) error {
	if len(args) > 0 {
		return usagef("demo takes no arguments")
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	sum, err := assets.LoadDemo(e.ctx, a.desk, a.clock)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "demo loaded: %d stories (%d already there), %d customers, %d messages (%d in Other), %d notes\n",
		sum.Stories, sum.Skipped, sum.Customers, sum.Messages, sum.Other, sum.Notes)
	return nil
}
