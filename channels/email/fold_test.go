package email

import (
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		body   string
		quoted string
	}{
		{
			name: "nothing to fold",
			text: "Hello,\nthe dress fits perfectly.\nThanks!",
			body: "Hello,\nthe dress fits perfectly.\nThanks!",
		},
		{
			name:   "empty",
			text:   "",
			body:   "",
			quoted: "",
		},
		{
			name:   "gmail top-posting",
			text:   "Saturday works.\n\nOn Wed, Jun 5, 2024 at 4:12 PM Atelier <support@atelier.example> wrote:\n> Your fitting is on Friday.\n>\n> Regards",
			body:   "Saturday works.",
			quoted: "On Wed, Jun 5, 2024 at 4:12 PM Atelier <support@atelier.example> wrote:\n> Your fitting is on Friday.\n>\n> Regards",
		},
		{
			name:   "attribution wrapped over two lines",
			text:   "Saturday works.\n\nOn Wed, Jun 5, 2024 at 4:12 PM Atelier Couture <support@atelier.example>\nwrote:\n> Your fitting is on Friday.",
			body:   "Saturday works.",
			quoted: "On Wed, Jun 5, 2024 at 4:12 PM Atelier Couture <support@atelier.example>\nwrote:\n> Your fitting is on Friday.",
		},
		{
			name:   "signature then quote",
			text:   "Thanks!\n-- \nSarah Johnson\n+1 555 0100\n\nOn Tue, 4 Jun 2024, Atelier wrote:\n> Booked.",
			body:   "Thanks!",
			quoted: "-- \nSarah Johnson\n+1 555 0100\n\nOn Tue, 4 Jun 2024, Atelier wrote:\n> Booked.",
		},
		{
			name:   "signature only",
			text:   "See you soon.\n\n-- \nMarc",
			body:   "See you soon.",
			quoted: "-- \nMarc",
		},
		{
			name:   "signature separator without its space",
			text:   "See you soon.\n--\nMarc",
			body:   "See you soon.",
			quoted: "--\nMarc",
		},
		{
			name:   "bottom-posting keeps answers between quotes",
			text:   "On Mon, Jun 3, 2024, Atelier wrote:\n> Which color?\nBlue.\n> Which size?\nM, please.\n\n-- \nTom",
			body:   "On Mon, Jun 3, 2024, Atelier wrote:\n> Which color?\nBlue.\n> Which size?\nM, please.",
			quoted: "-- \nTom",
		},
		{
			name:   "quoted only",
			text:   "> everything\n> is quoted",
			body:   "",
			quoted: "> everything\n> is quoted",
		},
		{
			name:   "outlook original message",
			text:   "Please find the invoice attached.\n\n-----Original Message-----\nFrom: Atelier\nSent: Monday, June 3, 2024 6:02 PM\nTo: Anna\nSubject: Invoice\n\nHello Anna, here is...",
			body:   "Please find the invoice attached.",
			quoted: "-----Original Message-----\nFrom: Atelier\nSent: Monday, June 3, 2024 6:02 PM\nTo: Anna\nSubject: Invoice\n\nHello Anna, here is...",
		},
		{
			name:   "outlook header block with underscore rule",
			text:   "Fine for me.\n\n________________________________\nFrom: Atelier Couture <support@atelier.example>\nSent: Monday, June 3, 2024 18:02\nTo: Anna Smith <anna@example.com>\nSubject: Fitting\n\nDear Anna,\n> not even quoted",
			body:   "Fine for me.",
			quoted: "________________________________\nFrom: Atelier Couture <support@atelier.example>\nSent: Monday, June 3, 2024 18:02\nTo: Anna Smith <anna@example.com>\nSubject: Fitting\n\nDear Anna,\n> not even quoted",
		},
		{
			name:   "unquoted history after a dated attribution",
			text:   "Yes.\n\nOn Mon, Jun 3, 2024 at 9:00 AM Atelier wrote:\n\nDo you confirm?",
			body:   "Yes.",
			quoted: "On Mon, Jun 3, 2024 at 9:00 AM Atelier wrote:\n\nDo you confirm?",
		},
		{
			name: "wrote: in a sentence is text",
			text: "As my friend wrote:\nthe hem is too short.",
			body: "As my friend wrote:\nthe hem is too short.",
		},
		{
			name: "forwarded message is content",
			text: "See below.\n\n---------- Forwarded message ---------\nFrom: Shop <orders@shop.example>\nDate: Tue, Jun 18, 2024\nSubject: Order\nTo: tom@example.org\n\nSize: M",
			body: "See below.\n\n---------- Forwarded message ---------\nFrom: Shop <orders@shop.example>\nDate: Tue, Jun 18, 2024\nSubject: Order\nTo: tom@example.org\n\nSize: M",
		},
		{
			name:   "CRLF line ends",
			text:   "Ok.\r\n\r\n> quoted\r\n",
			body:   "Ok.",
			quoted: "> quoted",
		},
		// French.
		{
			name:   "gmail en français",
			text:   "Bonjour,\nJe passerai jeudi.\n\nLe lun. 3 juin 2024 à 18:02, Atelier Couture <support@atelier.example> a écrit :\n> Bonjour Claire,\n> La retouche est en cours.",
			body:   "Bonjour,\nJe passerai jeudi.",
			quoted: "Le lun. 3 juin 2024 à 18:02, Atelier Couture <support@atelier.example> a écrit :\n> Bonjour Claire,\n> La retouche est en cours.",
		},
		{
			name:   "attribution française sur deux lignes, espace insécable",
			text:   "Merci !\n\nLe mar. 4 juin 2024 à 09:14, Claire Martin <claire.martin@example.fr>\na écrit\u00a0:\n> Est-ce prêt ?",
			body:   "Merci !",
			quoted: "Le mar. 4 juin 2024 à 09:14, Claire Martin <claire.martin@example.fr>\na écrit\u00a0:\n> Est-ce prêt ?",
		},
		{
			name:   "signature et citation",
			text:   "Parfait, à jeudi.\n\n-- \nClaire Martin\n06 12 34 56 78\n\nLe lun. 3 juin 2024 à 18:02, Atelier a écrit :\n> Bonjour",
			body:   "Parfait, à jeudi.",
			quoted: "-- \nClaire Martin\n06 12 34 56 78\n\nLe lun. 3 juin 2024 à 18:02, Atelier a écrit :\n> Bonjour",
		},
		{
			name:   "outlook en français",
			text:   "Voici la facture.\n\nDe : Atelier Couture <support@atelier.example>\nEnvoyé : lundi 3 juin 2024 18:02\nÀ : Hélène Roux <helene.roux@example.fr>\nObjet : Facture\n\nBonjour Hélène,",
			body:   "Voici la facture.",
			quoted: "De : Atelier Couture <support@atelier.example>\nEnvoyé : lundi 3 juin 2024 18:02\nÀ : Hélène Roux <helene.roux@example.fr>\nObjet : Facture\n\nBonjour Hélène,",
		},
		{
			name:   "message d'origine",
			text:   "D'accord.\n\n-----Message d'origine-----\nDe : Atelier\nEnvoyé : lundi\nÀ : André\nObjet : Ourlet",
			body:   "D'accord.",
			quoted: "-----Message d'origine-----\nDe : Atelier\nEnvoyé : lundi\nÀ : André\nObjet : Ourlet",
		},
		{
			name: "a écrit dans une phrase",
			text: "Mon amie a écrit :\nl'ourlet est trop court.",
			body: "Mon amie a écrit :\nl'ourlet est trop court.",
		},
		{
			name: "message transféré",
			text: "Pour info.\n\n-------- Message transféré --------\nDe : Boutique\nDate : 18 juin\nObjet : Commande\nÀ : tom@example.org\n\nTaille M",
			body: "Pour info.\n\n-------- Message transféré --------\nDe : Boutique\nDate : 18 juin\nObjet : Commande\nÀ : tom@example.org\n\nTaille M",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, quoted := Fold(tt.text)
			if body != tt.body || quoted != tt.quoted {
				t.Errorf("Fold(%q)\n body   %q\n want   %q\n quoted %q\n want   %q", tt.text, body, tt.body, quoted, tt.quoted)
			}
		})
	}
}

func FuzzFold(f *testing.F) {
	f.Add("Hi\n\nOn Mon, Jun 3, 2024 wrote:\n> x")
	f.Add("a\n-- \nsig\nDe : x\nÀ : y\nObjet : z")
	f.Fuzz(func(t *testing.T, text string) {
		body, quoted := Fold(text)
		norm := strings.ReplaceAll(text, "\r\n", "\n")
		if !strings.HasPrefix(norm, body) {
			t.Fatalf("body %q is not the start of %q", body, norm)
		}
		if quoted != "" && !strings.Contains(norm, quoted) {
			t.Fatalf("quoted %q is not in %q", quoted, norm)
		}
	})
}
