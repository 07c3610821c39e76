package inbox

import (
	"slices"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	const body = "Bonjour {first_name},\n\nNous sommes au **12 rue d'Austerlitz**, *Lyon* :\n\n- métro C\n- bus C13 & 18\n\nPlan : [notre plan](https://fournil-cafe.example/acces)"
	vars := map[string]string{PlaceFirstName: "Léa"}
	tests := []struct {
		ch   ChannelKind
		text string
		html string
		sms  *SMSCount
	}{
		{
			ch:   ChannelEmail,
			text: "Bonjour Léa,\n\nNous sommes au 12 rue d'Austerlitz, Lyon :\n\n- métro C\n- bus C13 & 18\n\nPlan : notre plan (https://fournil-cafe.example/acces)",
			html: "<p>Bonjour Léa,</p>\n<p>Nous sommes au <strong>12 rue d&#39;Austerlitz</strong>, <em>Lyon</em> :</p>\n<ul>\n<li>métro C</li>\n<li>bus C13 &amp; 18</li>\n</ul>\n<p>Plan : <a href=\"https://fournil-cafe.example/acces\">notre plan</a></p>\n",
		},
		{
			ch:   ChannelSMS,
			text: "Bonjour Léa,\n\nNous sommes au 12 rue d'Austerlitz, Lyon :\n\n- métro C\n- bus C13 & 18\n\nPlan : notre plan (https://fournil-cafe.example/acces)",
			sms:  &SMSCount{Encoding: GSM7, Units: 138, Segments: 1},
		},
		{
			ch:   ChannelWhatsApp,
			text: "Bonjour Léa,\n\nNous sommes au *12 rue d'Austerlitz*, _Lyon_ :\n\n- métro C\n- bus C13 & 18\n\nPlan : notre plan (https://fournil-cafe.example/acces)",
		},
		{
			ch:   ChannelTelegram,
			text: "Bonjour Léa,\n\nNous sommes au **12 rue d'Austerlitz**, *Lyon* :\n\n- métro C\n- bus C13 & 18\n\nPlan : [notre plan](https://fournil-cafe.example/acces)",
		},
		{
			ch:   ChannelMatrix,
			text: "Bonjour Léa,\n\nNous sommes au **12 rue d'Austerlitz**, *Lyon* :\n\n- métro C\n- bus C13 & 18\n\nPlan : [notre plan](https://fournil-cafe.example/acces)",
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.ch), func(t *testing.T) {
			r := Render(body, tt.ch, vars)
			if r.Text != tt.text {
				t.Errorf("text =\n%s\nwant\n%s", r.Text, tt.text)
			}
			if r.HTML != tt.html {
				t.Errorf("html =\n%s\nwant\n%s", r.HTML, tt.html)
			}
			switch {
			case tt.sms == nil && r.SMS != nil:
				t.Errorf("SMS count %+v on %s", *r.SMS, tt.ch)
			case tt.sms != nil && (r.SMS == nil || *r.SMS != *tt.sms):
				t.Errorf("SMS count %+v, want %+v", r.SMS, *tt.sms)
			}
		})
	}
}

// Whatever a placeholder value or the body contains, the HTML part escapes
// it, and a link that is not http(s), mailto or tel is never a link.
func TestRenderEscapes(t *testing.T) {
	tests := []struct {
		name, body string
		vars       map[string]string
		html       string
		markdown   string
		plain      string
	}{
		{
			name: "html in the body", body: "<script>alert('x')</script> & \"co\"",
			html:     "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;co&#34;</p>\n",
			markdown: "<script>alert('x')</script> & \"co\"",
			plain:    "<script>alert('x')</script> & \"co\"",
		},
		{
			name: "markup in a value stays text", body: "Bonjour {first_name} de {business_name}",
			vars:     map[string]string{PlaceFirstName: "**Bob**", PlaceBusinessName: "Fournil & <Café>"},
			html:     "<p>Bonjour **Bob** de Fournil &amp; &lt;Café&gt;</p>\n",
			markdown: "Bonjour \\*\\*Bob\\*\\* de Fournil & <Café>",
			plain:    "Bonjour **Bob** de Fournil & <Café>",
		},
		{
			name: "javascript link", body: "[clic](javascript:alert(1))",
			html:     "<p>clic (javascript:alert(1))</p>\n",
			markdown: "clic (javascript:alert(1))",
			plain:    "clic (javascript:alert(1))",
		},
		{
			name: "quote in a link", body: "[x](https://a.example/?q=\"><b>)",
			html:     "<p><a href=\"https://a.example/?q=&#34;&gt;&lt;b&gt;\">x</a></p>\n",
			markdown: "[x](https://a.example/?q=\"><b>)",
			plain:    "x (https://a.example/?q=\"><b>)",
		},
		{
			name: "escaped markup", body: `\*not italic\* and snake_case_name`,
			html:     "<p>*not italic* and snake_case_name</p>\n",
			markdown: `\*not italic\* and snake\_case\_name`,
			plain:    "*not italic* and snake_case_name",
		},
		{
			name: "numbered list from 3", body: "3. trois\n4. quatre\n   suite",
			html:     "<ol start=\"3\">\n<li>trois</li>\n<li>quatre suite</li>\n</ol>\n",
			markdown: "3. trois\n4. quatre suite",
			plain:    "3. trois\n4. quatre suite",
		},
		{
			name: "line breaks and bold in italic", body: "a\nb *c **d** e*",
			html:     "<p>a<br>\nb <em>c <strong>d</strong> e</em></p>\n",
			markdown: "a\nb *c **d** e*",
			plain:    "a\nb c d e",
		},
		{
			name: "unclosed markup is text", body: "**gras et [lien](",
			html:     "<p>**gras et [lien](</p>\n",
			markdown: `\*\*gras et \[lien\](`,
			plain:    "**gras et [lien](",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.body, ChannelEmail, tt.vars); got.HTML != tt.html || got.Text != tt.plain {
				t.Errorf("e-mail = %q / %q, want %q / %q", got.Text, got.HTML, tt.plain, tt.html)
			}
			if got := Render(tt.body, ChannelMatrix, tt.vars).Text; got != tt.markdown {
				t.Errorf("markdown = %q, want %q", got, tt.markdown)
			}
		})
	}
}

func TestRenderPlaceholders(t *testing.T) {
	r := Render("Bonjour {first_name}, {business_name} vous répond. {unknown} reste.", ChannelSMS, map[string]string{PlaceFirstName: "", PlaceBusinessName: "Fournil & Café"})
	if want := "Bonjour, Fournil & Café vous répond. {unknown} reste."; r.Text != want {
		t.Errorf("text = %q, want %q", r.Text, want)
	}
	if !slices.Equal(r.Missing, []string{PlaceFirstName}) {
		t.Errorf("missing = %v, want [first_name]", r.Missing)
	}
}

// Every answer of the default library renders on every channel with no
// markup left in plain text, and fits in three SMS.
func TestDefaultLibraryRenders(t *testing.T) {
	h := parisHours(t)
	for _, a := range defaultLibrary(t) {
		lang := a.Lang
		vars := map[string]string{PlaceFirstName: "Léa", PlaceBusinessName: "Fournil & Café", PlaceOpeningHours: h.Describe(lang)}
		for _, ch := range Channels {
			r := Render(a.Body, ch, vars)
			if len(r.Missing) > 0 || strings.Contains(r.Text, "{") {
				t.Errorf("%s on %s: placeholders left: %q", a.ID, ch, r.Text)
			}
			if (ch == ChannelSMS || ch == ChannelEmail) && strings.ContainsAny(r.Text, "*_[]") {
				t.Errorf("%s on %s: markup in plain text: %q", a.ID, ch, r.Text)
			}
			if ch == ChannelSMS && r.SMS.Segments > 3 {
				t.Errorf("%s: %d SMS segments (%s)", a.ID, r.SMS.Segments, r.SMS.Encoding)
			}
		}
	}
}
