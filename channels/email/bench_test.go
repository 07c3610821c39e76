package email

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// benchMessage is a realistic 20 KB message: a multipart/mixed holding a
// multipart/alternative (quoted-printable text and HTML with a quoted
// history) and a small base64 PDF.
func benchMessage() []byte {
	var text, html strings.Builder
	for i := range 50 {
		fmt.Fprintf(&text, "Paragraphe %d : la retouche de la robe sera prête jeudi, l'ourlet est à reprendre=\r\n d'un centimètre.\r\n\r\n", i)
		fmt.Fprintf(&html, "<p>Paragraphe %d : la retouche de la <b>robe</b> sera pr=C3=AAte jeudi, l'ourlet est =C3=A0 reprendre.</p>\r\n", i)
	}
	for i := range 30 {
		fmt.Fprintf(&text, "> ligne citée %d du message précédent\r\n", i)
	}
	pdf := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("%PDF-1.4 fake content\n", 240)))
	var b64 strings.Builder
	for len(pdf) > 76 {
		b64.WriteString(pdf[:76] + "\r\n")
		pdf = pdf[76:]
	}
	b64.WriteString(pdf + "\r\n")
	return []byte("Received: from mx.example.fr by mail.atelier.example; Tue, 04 Jun 2024 09:15:02 +0200\r\n" +
		"Message-ID: <bench-1@example.fr>\r\nDate: Tue, 4 Jun 2024 09:14:58 +0200\r\n" +
		"From: =?utf-8?q?Claire_Martin?= <claire.martin@example.fr>\r\nTo: support@atelier.example\r\n" +
		"Subject: =?utf-8?q?Re=C2=A0:_Retouche_de_ma_robe?=\r\nReferences: <a@x> <b@x>\r\nIn-Reply-To: <b@x>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mixed\"\r\n\r\n" +
		"--mixed\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n" +
		"--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + text.String() +
		"--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<html><body>" + html.String() +
		"<blockquote>Ancien message</blockquote><img src=3D\"https://track.example/p.gif\"></body></html>\r\n--alt--\r\n" +
		"--mixed\r\nContent-Type: application/pdf; name=\"devis.pdf\"\r\nContent-Disposition: attachment; filename=\"devis.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + b64.String() + "--mixed--\r\n")
}

// BenchmarkParse reports the parser's throughput (MB/s) on benchMessage.
func BenchmarkParse(b *testing.B) {
	raw := benchMessage()
	p := &Parser{Blobs: countingBlobs{}, Own: own, Account: "atelier"}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		in, err := p.Parse(raw)
		if err != nil || in.Message.Warning != "" || len(in.Message.Attachments) != 1 {
			b.Fatalf("parse: %v %q", err, in.Message.Warning)
		}
	}
}

func TestBenchMessage(t *testing.T) {
	raw := benchMessage()
	if n := len(raw); n < 19<<10 || n > 22<<10 {
		t.Errorf("bench message is %d bytes, want about 20 KB", n)
	}
	in, err := (&Parser{}).Parse(raw)
	if err != nil || in.Message.Warning != "" || in.Message.HTML == "" || !strings.Contains(in.Message.Text, "prête jeudi") {
		t.Errorf("bench message parses badly: %v %q", err, in.Message.Warning)
	}
}
