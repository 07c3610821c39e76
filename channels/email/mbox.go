package email

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// ErrNotMbox is returned by ReadMbox when the input does not start with a
// "From " line.
var ErrNotMbox = errors.New(`not an mbox file: the first line does not start with "From "`)

// ReadMbox calls fn with each message of an mbox file, in order, streaming:
// only the current message is held in memory. fn owns raw. An error from fn
// stops the reading and is returned as is.
//
// Both common variants are read (RFC 4155 describes the family): a message
// starts at a "From " line at the top of the file or after an empty line
// (or, without the empty line, when it has the full "From sender
// Www Mmm dd hh:mm:ss yyyy" form); ">From ", ">>From "… lose one ">" (mboxrd,
// which also undoes mboxo's escaping of "From "); the empty line the writer
// put after each message is removed. CRLF files are read as well; their line
// ends are kept. Content-Length fields (mboxcl) are not used.
func ReadMbox(r io.Reader, fn func(raw []byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var msg, l []byte
	started, prevBlank := false, true
	for n := 1; ; n++ {
		var err error
		l, err = readLine(br, l[:0])
		if len(l) > 0 {
			switch {
			case isMboxSeparator(l, prevBlank, !started):
				if started {
					if ferr := fn(trimTrailingBlank(msg)); ferr != nil {
						return ferr
					}
				}
				msg, started = nil, true
			case !started && isBlankLine(l):
			case !started:
				return ErrNotMbox
			default:
				msg = append(msg, unescapeFrom(l)...)
			}
			prevBlank = isBlankLine(l)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read mbox line %d: %w", n, err)
		}
	}
	if started {
		return fn(trimTrailingBlank(msg))
	}
	return nil
}

// readLine appends the next line of br, with its '\n', to buf; the last
// line of a file may lack it.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return buf, err
		}
	}
}

var (
	// looseFrom is a separator line with a time in it, as every writer puts.
	looseFrom = regexp.MustCompile(`^From \S+ .*\d:\d\d`)
	// strictFrom is the full asctime form of a separator.
	strictFrom = regexp.MustCompile(`^From \S+ +[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{1,2}:\d\d(:\d\d)? (.* )?\d{4}\r?\n?$`)
)

// isMboxSeparator reports whether l starts a new message.
func isMboxSeparator(l []byte, prevBlank, first bool) bool {
	if !bytes.HasPrefix(l, []byte("From ")) {
		return false
	}
	return first || (prevBlank && looseFrom.Match(l)) || strictFrom.Match(l)
}

// isBlankLine reports "\n" or "\r\n".
func isBlankLine(l []byte) bool {
	return len(bytes.TrimRight(l, "\r\n")) == 0
}

// unescapeFrom removes one ">" from a line matching ^>+From (mboxrd).
func unescapeFrom(l []byte) []byte {
	t := bytes.TrimLeft(l, ">")
	if len(t) < len(l) && bytes.HasPrefix(t, []byte("From ")) {
		return l[1:]
	}
	return l
}

// trimTrailingBlank removes the empty line that ends a message in an mbox.
func trimTrailingBlank(msg []byte) []byte {
	for _, end := range []string{"\n\r\n", "\n\n"} {
		if bytes.HasSuffix(msg, []byte(end)) {
			return msg[:len(msg)-len(end)+1]
		}
	}
	return msg
}

// WriteMbox appends one message to an mbox file in the mboxrd form: a
// "From <from> <asctime date in UTC>" line, the message with every line
// matching ^>*From escaped by one more ">", a line end if the message lacks
// one, and an empty line. from is the envelope sender; spaces are removed
// and "MAILER-DAEMON" stands in when it is empty. ReadMbox gives back
// exactly raw for every message that ends with a line end.
func WriteMbox(w io.Writer, raw []byte, from string, date time.Time) error {
	from = strings.Join(strings.Fields(from), "")
	if from == "" {
		from = "MAILER-DAEMON"
	}
	if date.IsZero() {
		date = time.Unix(0, 0)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "From %s %s\n", from, date.UTC().Format("Mon Jan _2 15:04:05 2006"))
	for _, l := range splitLines(raw) {
		if t := bytes.TrimLeft(l.text, ">"); bytes.HasPrefix(t, []byte("From ")) {
			bw.WriteByte('>')
		}
		bw.Write(raw[l.start:l.next])
	}
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		bw.WriteByte('\n')
	}
	bw.WriteByte('\n')
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write mbox: %w", err)
	}
	return nil
}
