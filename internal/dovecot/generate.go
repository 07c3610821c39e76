package dovecot

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"time"
)

// Generated is one generated message.
type Generated struct {
	MessageID string // without angle brackets
	From, To  string // addresses
	Subject   string
	Raw       []byte // RFC 5322, CRLF line ends
}

var (
	firstNames = []string{"Anna", "Bruno", "Chloé", "David", "Emma", "Farid", "Greta", "Hugo", "Inès", "Jonas", "Karin", "Luca", "Maya", "Nils", "Olga", "Pablo", "Quentin", "Rosa", "Sven", "Tanja", "Ugo", "Vera", "Wim", "Yara", "Zoé"}
	lastNames  = []string{"Martin", "Bernard", "Dubois", "Schmidt", "Rossi", "García", "Novak", "Jansen", "Kowalski", "Silva", "Müller", "Laurent", "Costa", "Nielsen", "Weber"}
	domains    = []string{"gmail.example", "outlook.example", "free.example", "web.example", "atelier-client.example", "posteo.example"}
	subjects   = []string{
		"Order #%d not received", "Question about my order %d", "Invoice %d", "Refund request for order %d",
		"Appointment on Tuesday", "Opening hours during the holidays", "Alteration of a wedding dress",
		"Quote for 12 shirts", "Where is my parcel?", "Wrong size delivered (order %d)", "Thank you!",
		"Change of delivery address", "Gift card %d", "Can I still cancel?", "Fabric samples",
	}
	words = strings.Fields(`the a of to and in for is on that with was it as at by this from be have
		order dress shirt jacket size fitting appointment delivery parcel invoice refund payment
		tailor sleeve hem button fabric wool linen cotton measure week morning afternoon friday
		please could would thank you hello kind regards question answer shop atelier wedding
		suit trousers colour blue grey navy black white pattern stitch lining collar cuff pocket
		soon today tomorrow yesterday sorry happy great perfect problem wrong right change again`)
)

// Generate returns message number i of a deterministic corpus of customer
// mail for business (an address): varied senders, subjects and sizes,
// multipart/alternative, plain, Latin-1 quoted-printable and attachment
// messages, replies with quoted history, a mailing-list message now and
// then. Dates grow with i. With outbound set the message is the business's
// own, to a customer, as in a Sent folder.
func Generate(i int, business string, outbound bool) Generated {
	r := rand.New(rand.NewPCG(uint64(i), 0x636f7574757265))
	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	customer := strings.ToLower(ascii(first)+"."+ascii(last)) + "@" + domains[r.IntN(len(domains))]
	name := first + " " + last
	subject := subjects[r.IntN(len(subjects))]
	if strings.Contains(subject, "%d") {
		subject = fmt.Sprintf(subject, 10000+r.IntN(90000))
	}
	date := time.Date(2020, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7 * time.Minute)
	g := Generated{
		MessageID: fmt.Sprintf("%d.%x@%s", i, r.Uint32(), strings.SplitN(customer, "@", 2)[1]),
		From:      customer, To: business, Subject: subject,
	}
	from, to := fmt.Sprintf("%q <%s>", name, customer), business
	if outbound {
		g.From, g.To = business, customer
		g.MessageID = fmt.Sprintf("%d.%x@%s", i, r.Uint32(), Domain)
		from, to = business, fmt.Sprintf("%q <%s>", name, customer)
		subject = "Re: " + subject
	}

	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	if !outbound {
		h("Return-Path", "<"+customer+">")
		h("Received", fmt.Sprintf("from mx%d.%s (mx%d.%s [192.0.2.%d])\r\n\tby mail.%s with ESMTPS id %08x\r\n\tfor <%s>; %s",
			r.IntN(9), g.From[strings.IndexByte(g.From, '@')+1:], r.IntN(9), g.From[strings.IndexByte(g.From, '@')+1:], 1+r.IntN(250), Domain, r.Uint32(), business, date.Format(time.RFC1123Z)))
	}
	h("Date", date.Format(time.RFC1123Z))
	h("From", from)
	h("To", to)
	h("Subject", subject)
	h("Message-ID", "<"+g.MessageID+">")
	reply := r.IntN(3) == 0
	if reply && i > 0 {
		parent := fmt.Sprintf("<%d.parent@%s>", i-1, Domain)
		h("In-Reply-To", parent)
		h("References", parent)
	}
	list := !outbound && r.IntN(25) == 0
	if list {
		h("List-Id", "Tailors' newsletter <news.tailors.example>")
		h("List-Unsubscribe", "<mailto:leave@tailors.example>")
		h("Precedence", "list")
	}
	h("MIME-Version", "1.0")

	text := paragraphs(r, 1+r.IntN(5))
	if reply {
		text += "\r\n\r\nOn " + date.Add(-26*time.Hour).Format("Mon, 2 Jan 2006 at 15:04") + ", " + business + " wrote:\r\n" + quote(paragraphs(r, 1+r.IntN(3)))
	}
	text += "\r\n\r\n-- \r\n" + name + "\r\n"
	boundary := fmt.Sprintf("=_couture_%x", r.Uint64())
	switch kind := r.IntN(20); {
	case kind < 11: // plain and HTML
		h("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
		b.WriteString("\r\n")
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n", boundary, qp(text))
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n", boundary, qp(html(text)))
		fmt.Fprintf(&b, "--%s--\r\n", boundary)
	case kind < 16: // plain
		h("Content-Type", "text/plain; charset=utf-8; format=flowed")
		h("Content-Transfer-Encoding", "8bit")
		b.WriteString("\r\n" + text)
	case kind < 18: // Latin-1
		h("Content-Type", "text/plain; charset=iso-8859-1")
		h("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n" + qp(latin1(text)))
	default: // an attachment
		h("Content-Type", `multipart/mixed; boundary="`+boundary+`"`)
		b.WriteString("\r\n")
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", boundary, text)
		att := make([]byte, 2000+r.IntN(20000))
		for j := range att {
			att[j] = byte(r.IntN(256))
		}
		fmt.Fprintf(&b, "--%s\r\nContent-Type: application/pdf; name=\"order-%d.pdf\"\r\nContent-Disposition: attachment; filename=\"order-%d.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n", boundary, i, i, wrap(base64.StdEncoding.EncodeToString(att), 76))
		fmt.Fprintf(&b, "--%s--\r\n", boundary)
	}
	g.Raw = b.Bytes()
	return g
}

// paragraphs returns n paragraphs of generated text, CRLF-separated.
func paragraphs(r *rand.Rand, n int) string {
	out := make([]string, 0, n)
	for range n {
		var sentences []string
		for range 1 + r.IntN(4) {
			ws := make([]string, 6+r.IntN(14))
			for k := range ws {
				ws[k] = words[r.IntN(len(words))]
			}
			s := strings.Join(ws, " ")
			sentences = append(sentences, strings.ToUpper(s[:1])+s[1:]+".")
		}
		out = append(out, wrap(strings.Join(sentences, " "), 72))
	}
	return strings.Join(out, "\r\n\r\n")
}

// wrap breaks s into lines of at most n bytes at spaces (or anywhere in a
// word longer than n).
func wrap(s string, n int) string {
	var lines []string
	for len(s) > n {
		cut := strings.LastIndexByte(s[:n], ' ')
		if cut <= 0 {
			lines, s = append(lines, s[:n]), s[n:]
			continue
		}
		lines, s = append(lines, s[:cut]), s[cut+1:]
	}
	return strings.Join(append(lines, s), "\r\n")
}

func quote(s string) string {
	return "> " + strings.ReplaceAll(s, "\r\n", "\r\n> ")
}

func html(text string) string {
	var b strings.Builder
	b.WriteString("<html><body>")
	for _, p := range strings.Split(text, "\r\n\r\n") {
		b.WriteString("<p>" + strings.ReplaceAll(p, "\r\n", "<br>\r\n") + "</p>\r\n")
	}
	b.WriteString("</body></html>")
	return b.String()
}

func qp(s string) string {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return strings.ReplaceAll(strings.ReplaceAll(b.String(), "\r\n", "\n"), "\n", "\r\n")
}

// latin1 encodes s in ISO-8859-1, "?" for what it cannot hold.
func latin1(s string) string {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 256 {
			out = append(out, byte(r))
		} else {
			out = append(out, '?')
		}
	}
	return string(out)
}

// ascii drops diacritics from a name for an address.
func ascii(s string) string {
	return strings.NewReplacer("é", "e", "è", "e", "ü", "u", "í", "i", "ç", "c").Replace(s)
}
