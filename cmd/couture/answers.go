package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/couture/couture/assets"
	"github.com/couture/couture/inbox"
)

func init() {
	register(&command{name: "answers", args: "list|show|add|edit|remove|import|export …", summary: "the answer library (canned answers, rendered per channel)", run: runAnswers})
}

const answersUsage = `answers takes a sub-command:
  answers list [--lang fr|en] [--json]
  answers show ID [--channel C] [--customer ID] [--json]   (the answer as it would be sent)
  answers add --title T [--id ID] [--tags a,b] [--keywords a,b] [--lang fr|en] < body.md
  answers edit ID [--title T] [--tags a,b] [--keywords a,b] [--lang fr|en] [< body.md]
  answers remove ID
  answers import FILE [--replace]   (a JSON array; same ids are replaced)
  answers export [--out FILE]`

func runAnswers(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("%s", answersUsage)
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "list":
		return answersList(e, rest)
	case "show":
		return answersShow(e, rest)
	case "add", "edit":
		return answersAddEdit(e, sub, rest)
	case "remove":
		return answersRemove(e, rest)
	case "import":
		return answersImport(e, rest)
	case "export":
		return answersExport(e, rest)
	}
	return usagef("unknown answers command %q\n%s", sub, answersUsage)
}

// openAnswers opens the Desk, installing the default library the first
// time the answers are used.
func (e *env) openAnswers() (*appState, error) {
	a, err := e.open()
	if err != nil {
		return nil, err
	}
	return a, ensureAnswers(a.desk)
}

// ensureAnswers saves the default library when none was ever saved.
func ensureAnswers(d *inbox.Desk) error {
	has, err := d.HasAnswers()
	if err != nil || has {
		return err
	}
	list, err := assets.DefaultAnswers()
	if err != nil {
		return err
	}
	return d.SetAnswers(list)
}

func answersList(e *env, args []string) error {
	fs := flag.NewFlagSet("answers list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	lang := fs.String("lang", "", "only answers in this language (fr, en)")
	_, err := parseArgs(fs, args, 0, "no arguments")
	if err != nil {
		return err
	}
	a, err := e.openAnswers()
	if err != nil {
		return err
	}
	list, err := a.desk.Answers()
	if err != nil {
		return err
	}
	out := make([]inbox.Answer, 0, len(list))
	for _, x := range list {
		if *lang == "" || x.Lang == *lang || x.Lang == "" {
			out = append(out, x)
		}
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLANG\tTITLE\tTAGS")
	for _, x := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.ID, orDash(x.Lang), x.Title, strings.Join(x.Tags, ", "))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func answersShow(e *env, args []string) error {
	fs := flag.NewFlagSet("answers show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	channel := fs.String("channel", "email", "render for this channel (email, sms, whatsapp, telegram, matrix)")
	customer := fs.String("customer", "", "fill the placeholders for this customer ID")
	pos, err := parseArgs(fs, args, 1, "one answer ID")
	if err != nil {
		return err
	}
	ch, err := inbox.ParseChannel(*channel)
	if err != nil {
		return usagef("%s", inbox.Explain(err))
	}
	a, err := e.openAnswers()
	if err != nil {
		return err
	}
	var c *inbox.Customer
	if *customer != "" {
		id, err := parseCustomerID(*customer)
		if err != nil {
			return err
		}
		cu, err := a.desk.Customer(id)
		if err != nil {
			return err
		}
		c = &cu
	}
	r, err := a.desk.RenderAnswer(pos[0], c, ch)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, r)
	}
	fmt.Fprintln(e.stdout, r.Text)
	if r.HTML != "" {
		fmt.Fprintf(e.stdout, "\n--- HTML ---\n%s", r.HTML)
	}
	if r.SMS != nil {
		fmt.Fprintf(e.stdout, "\n--- %s, %d %s, %s ---\n", r.SMS.Encoding, r.SMS.Units, unitName(r.SMS.Encoding), plural(r.SMS.Segments, "segment", "segments"))
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(e.stderr, "no value for {%s}: set it (couture business, couture hours set)\n", strings.Join(r.Missing, "}, {"))
	}
	return nil
}

func unitName(enc string) string {
	if enc == inbox.GSM7 {
		return "septets"
	}
	return "UTF-16 units"
}

// answerFlags are the fields add and edit take as flags.
type answerFlags struct {
	id, title, tags, keywords, lang *string
}

func newAnswerFlags(fs *flag.FlagSet) answerFlags {
	return answerFlags{
		id:       fs.String("id", "", "short id (default: from the title)"),
		title:    fs.String("title", "", "title"),
		tags:     fs.String("tags", "", "tags, comma-separated"),
		keywords: fs.String("keywords", "", "words and phrases the bot matches, comma-separated"),
		lang:     fs.String("lang", "", "language of the body: fr, en or empty (any)"),
	}
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// readBody reads an answer body from standard input, unless it is a
// terminal (then there is none to read).
func readBody(e *env) (string, error) {
	if f, ok := e.stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return "", nil
		}
	}
	b, err := io.ReadAll(e.stdin)
	return strings.TrimSpace(string(b)), err
}

func answersAddEdit(e *env, sub string, args []string) error {
	fs := flag.NewFlagSet("answers "+sub, flag.ContinueOnError)
	f := newAnswerFlags(fs)
	pos, err := flags(fs, args)
	if err != nil {
		return err
	}
	set := setFlags(fs)
	body, err := readBody(e)
	if err != nil {
		return err
	}
	if sub == "add" {
		if err := exactly("answers add", pos, 0, "flags and the body on standard input"); err != nil {
			return err
		}
		if body == "" {
			return usagef("answers add reads the body (light Markdown) from standard input")
		}
		a, err := e.openAnswers()
		if err != nil {
			return err
		}
		ans, err := a.desk.AddAnswer(inbox.Answer{ID: *f.id, Title: *f.title, Tags: splitList(*f.tags), Keywords: splitList(*f.keywords), Lang: *f.lang, Body: body})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "answer %s added\n", ans.ID)
		return nil
	}
	if err := exactly("answers edit", pos, 1, "one answer ID"); err != nil {
		return err
	}
	if set["id"] {
		return usagef("answers edit cannot change an id; remove and add the answer")
	}
	a, err := e.openAnswers()
	if err != nil {
		return err
	}
	ans, err := a.desk.EditAnswer(pos[0], func(x *inbox.Answer) {
		if set["title"] {
			x.Title = *f.title
		}
		if set["tags"] {
			x.Tags = splitList(*f.tags)
		}
		if set["keywords"] {
			x.Keywords = splitList(*f.keywords)
		}
		if set["lang"] {
			x.Lang = *f.lang
		}
		if body != "" {
			x.Body = body
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "answer %s saved\n", ans.ID)
	return nil
}

func answersRemove(e *env, args []string) error {
	fs := flag.NewFlagSet("answers remove", flag.ContinueOnError)
	pos, err := parseArgs(fs, args, 1, "one answer ID")
	if err != nil {
		return err
	}
	a, err := e.openAnswers()
	if err != nil {
		return err
	}
	if err := a.desk.RemoveAnswer(pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "answer %s removed\n", pos[0])
	return nil
}

func answersImport(e *env, args []string) error {
	fs := flag.NewFlagSet("answers import", flag.ContinueOnError)
	replace := fs.Bool("replace", false, "replace the whole library instead of merging")
	pos, err := parseArgs(fs, args, 1, "one FILE (a JSON array of answers, - for standard input)")
	if err != nil {
		return err
	}
	var data []byte
	if pos[0] == "-" {
		data, err = io.ReadAll(e.stdin)
	} else {
		data, err = os.ReadFile(pos[0])
	}
	if err != nil {
		return inbox.Wrap(inbox.NotFound, err, "cannot read "+pos[0])
	}
	list, err := inbox.ParseAnswers(data)
	if err != nil {
		return err
	}
	a, err := e.openAnswers()
	if err != nil {
		return err
	}
	if *replace {
		if err := a.desk.SetAnswers(list); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "library replaced: %s\n", plural(len(list), "answer", "answers"))
		return nil
	}
	added, replaced, err := a.desk.ImportAnswers(list)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d added, %d replaced\n", added, replaced)
	return nil
}

func answersExport(e *env, args []string) error {
	fs := flag.NewFlagSet("answers export", flag.ContinueOnError)
	out := fs.String("out", "", "write to FILE instead of standard output")
	_, err := parseArgs(fs, args, 0, "no arguments")
	if err != nil {
		return err
	}
	a, err := e.openAnswers()
	if err != nil {
		return err
	}
	list, err := a.desk.Answers()
	if err != nil {
		return err
	}
	if list == nil {
		list = []inbox.Answer{}
	}
	if *out == "" {
		return writeJSON(e.stdout, list)
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return inbox.Wrap(inbox.Invalid, err, "cannot write "+*out)
	}
	fmt.Fprintf(e.stderr, "%s written to %s\n", plural(len(list), "answer", "answers"), *out)
	return nil
}
