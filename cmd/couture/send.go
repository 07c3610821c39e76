package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

func init() {
	register(&command{
		name:    "send",
		args:    "ID --channel KIND (--body-stdin | TEXT…) [--subject S] [--to ADDRESS] [--attach FILE]…",
		summary: "answer a customer on a channel: queue it, then send it now",
		run:     runSend,
	})
}

func runSend(e *env, args []string) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	chName := fs.String("channel", "", "email, sms, whatsapp, telegram or matrix")
	bodyStdin := fs.Bool("body-stdin", false, "read the answer from standard input")
	subject := fs.String("subject", "", "e-mail subject (default: Re: the customer's last subject)")
	to := fs.String("to", "", "which of the customer's addresses (default: the one they last wrote from)")
	var attach []string
	fs.Func("attach", "attach FILE (repeat for several files; not on sms or whatsapp)", func(path string) error {
		if strings.TrimSpace(path) == "" {
			return fmt.Errorf("--attach needs a file")
		}
		attach = append(attach, path)
		return nil
	})
	pos, err := flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || *chName == "" || (len(pos) > 1 && *bodyStdin) || (len(pos) == 1 && !*bodyStdin && len(attach) == 0) {
		return usagef("send takes a customer ID, --channel KIND and the answer: --body-stdin or the text after the ID, and/or --attach FILE")
	}
	id, err := parseCustomerID(pos[0])
	if err != nil {
		return err
	}
	ch, err := inbox.ParseChannel(*chName)
	if err != nil {
		return usagef("%s", inbox.Explain(err))
	}
	text := strings.Join(pos[1:], " ")
	if *bodyStdin {
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return fmt.Errorf("read the answer from standard input: %w", err)
		}
		text = string(b)
	}
	text = strings.TrimSpace(text)
	if text == "" && len(attach) == 0 {
		return inbox.Errorf(inbox.Invalid, "the answer is empty")
	}
	// The files' sizes are checked against the channel before the store
	// is opened: nothing is stored that the channel would refuse.
	files, err := statFiles(attach)
	if err != nil {
		return err
	}
	if err := inbox.AttachmentLimits(ch).Check(files); err != nil {
		return err
	}

	a, err := e.open()
	if err != nil {
		return err
	}
	if _, err := a.desk.Customer(id); err != nil {
		return err
	}
	var party inbox.Identity
	if *to != "" {
		if party, err = inbox.NewIdentity(ch.IdentityKind(), *to, a.desk.Phones()); err != nil {
			return err
		}
	}

	// Limits first: nothing is queued that the channel would refuse.
	last, err := channels.LastInbound(a.desk, id, ch, party)
	if err != nil {
		return err
	}
	lim, err := channels.Check(ch, text, last, a.desk.Now())
	if err != nil {
		return err
	}
	if lim.Segments > 1 {
		fmt.Fprintf(e.stderr, "%s in %d segments (%s)\n", plural(lim.Chars, "character", "characters"), lim.Segments, lim.Encoding)
	}
	if lim.Warning != "" {
		fmt.Fprintf(e.stderr, "warning: %s\n", lim.Warning)
	}

	atts, err := storeFiles(a.store, attach)
	if err != nil {
		return err
	}
	m, err := a.desk.Reply(e.ctx, inbox.Reply{Customer: id, Channel: ch, To: party, Subject: *subject, Text: text,
		Author: author(), Attachments: atts})
	if err != nil {
		return err
	}
	eng := e.engine(a, "", nil)
	defer eng.Stop()
	m, err = e.outbox(a, eng).Send(e.ctx, m.ID)
	switch m.State {
	case inbox.StateSent, inbox.StateDelivered:
		fmt.Fprintln(e.stdout, m.State)
		return nil
	case inbox.StateQueued:
		return inbox.Errorf(inbox.Unavailable, "queued: %s; answer %d stays in the outbox and leaves with the next couture sync", m.Error, m.ID)
	case inbox.StateSending:
		return inbox.Errorf(inbox.Unavailable, "sending interrupted: answer %d may or may not have left; the next couture sync checks it", m.ID)
	case inbox.StateFailed:
		return inbox.Errorf(inbox.Invalid, "failed: %s (answer %d)", m.Error, m.ID)
	case inbox.StateUncertain:
		return inbox.Errorf(inbox.Conflict, "uncertain: answer %d %s", m.ID, m.Error)
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("answer %d is %s", m.ID, m.State)
}

// statFiles returns the files at paths as attachments not stored yet (name
// and size), for the channel's limits; a missing file or a folder is an
// error.
func statFiles(paths []string) ([]inbox.Attachment, error) {
	var out []inbox.Attachment
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, inbox.Wrap(inbox.NotFound, err, fmt.Sprintf("cannot attach %s: %v", p, errorText(err)))
		}
		if fi.IsDir() {
			return nil, inbox.Errorf(inbox.Invalid, "cannot attach %s: it is a folder", p)
		}
		out = append(out, inbox.Attachment{Name: inbox.AttachmentName(p), Size: fi.Size()})
	}
	return out, nil
}

// storeFiles puts the files at paths in the store's blobs.
func storeFiles(blobs inbox.Blobs, paths []string) ([]inbox.Attachment, error) {
	var out []inbox.Attachment
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, inbox.Wrap(inbox.NotFound, err, fmt.Sprintf("cannot attach %s: %v", p, errorText(err)))
		}
		a, err := inbox.PutAttachment(blobs, p, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// errorText is the reason of a file error without the path it repeats.
func errorText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
