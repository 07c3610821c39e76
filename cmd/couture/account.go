package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

func init() {
	register(&command{
		name:    "account",
		args:    "add KIND|list|remove NAME|test NAME",
		summary: "configure the e-mail, Telegram, Twilio and Matrix accounts",
		run:     runAccount,
	})
}

const accountUsage = "account takes add email|telegram|twilio|matrix, list, remove NAME or test NAME"

func runAccount(e *env, args []string) error {
	if len(args) == 0 {
		return usagef(accountUsage)
	}
	switch args[0] {
	case "add":
		return runAccountAdd(e, args[1:])
	case "list":
		return runAccountList(e, args[1:])
	case "remove":
		return runAccountRemove(e, args[1:])
	case "test":
		return runAccountTest(e, args[1:])
	}
	return usagef("%s (not %q)", accountUsage, args[0])
}

// accountFlags are the flags every kind shares.
type accountFlags struct {
	fs   *flag.FlagSet
	name *string
}

func newAccountFlags(kind string) accountFlags {
	fs := flag.NewFlagSet("account add "+kind, flag.ContinueOnError)
	return accountFlags{fs: fs, name: fs.String("name", "", "account name (letters, digits, . _ -)")}
}

// parse parses args with the flags, which are all an account add takes.
func (f accountFlags) parse(args []string) error {
	pos, err := flags(f.fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("%s takes only flags (unexpected %q)", f.fs.Name(), pos[0])
	}
	return nil
}

func runAccountAdd(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("account add takes a kind: email, telegram, twilio or matrix")
	}
	var (
		acc    channels.Account
		secret string
		err    error
	)
	switch args[0] {
	case channels.KindEmail:
		acc, secret, err = emailAccount(e, args[1:])
	case channels.KindTelegram:
		acc, secret, err = telegramAccount(e, args[1:])
	case channels.KindTwilio:
		acc, secret, err = twilioAccount(e, args[1:])
	case channels.KindMatrix:
		acc, secret, err = matrixAccount(e, args[1:])
	default:
		return usagef("account add takes a kind: email, telegram, twilio or matrix (not %q)", args[0])
	}
	if err != nil {
		return err
	}
	if err := channels.ValidName(acc.Name); err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	// Refuse a taken name before touching the secret: the secret of the
	// existing account must survive a mistaken add.
	all, err := channels.LoadAccounts(a.store)
	if err != nil {
		return err
	}
	if i := slices.IndexFunc(all, func(x channels.Account) bool { return strings.EqualFold(x.Name, acc.Name) }); i >= 0 {
		return inbox.Errorf(inbox.Conflict, "an account named %q exists already; remove it first or pick another name", all[i].Name)
	}
	sec := e.secretStore()
	if secret != "" {
		if err := sec.Set(acc.Name, secret); err != nil {
			return err
		}
	}
	if err := channels.SaveAccount(a.store, acc); err != nil {
		if secret != "" {
			sec.Delete(acc.Name)
		}
		return err
	}
	where := ""
	if secret != "" {
		where = fmt.Sprintf("; its secret is in %s", sec)
	}
	fmt.Fprintf(e.stdout, "account %s added (%s)%s\n", acc.Name, acc.Kind, where)
	fmt.Fprintf(e.stderr, "check it with: couture account test %s\n", acc.Name)
	return nil
}

// readSecret reads a password or token from standard input: the first line,
// without its line ending (so `echo pw |` and a here-string both work).
func readSecret(e *env, what string) (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the %s from standard input: %w", what, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", inbox.Errorf(inbox.Invalid, "no %s on standard input", what)
	}
	return line, nil
}

func emailAccount(e *env, args []string) (channels.Account, string, error) {
	f := newAccountFlags("email")
	address := f.fs.String("address", "", "the business's e-mail address")
	imapAddr := f.fs.String("imap", "", "IMAP server host:port")
	imapSec := f.fs.String("imap-security", "", "tls, starttls or none (default by port: 993 tls, 143 starttls)")
	smtpAddr := f.fs.String("smtp", "", "SMTP server host:port")
	smtpSec := f.fs.String("smtp-security", "", "tls, starttls or none (default by port: 465 tls, 587 and 25 starttls)")
	username := f.fs.String("username", "", "login name (default: the address)")
	passStdin := f.fs.Bool("password-stdin", false, "read the password from standard input")
	caFile := f.fs.String("ca-file", "", "PEM file of a custom CA (self-signed servers)")
	insecure := f.fs.Bool("allow-insecure", false, "allow security none on a host that is not loopback")
	aliases := f.fs.String("aliases", "", "more own addresses, comma-separated")
	tokenCmd := f.fs.String("token-command", "", "command printing an OAuth2 access token (XOAUTH2/OAUTHBEARER)")
	if err := f.parse(args); err != nil {
		return channels.Account{}, "", err
	}
	for _, req := range []struct{ flag, v string }{{"--name", *f.name}, {"--address", *address}, {"--imap", *imapAddr}, {"--smtp", *smtpAddr}} {
		if req.v == "" {
			return channels.Account{}, "", usagef("account add email needs %s", req.flag)
		}
	}
	if !*passStdin && *tokenCmd == "" {
		return channels.Account{}, "", usagef("account add email needs --password-stdin (or --token-command for OAuth2)")
	}
	addr, err := inbox.NormalizeEmail(*address)
	if err != nil {
		return channels.Account{}, "", err
	}
	var own []string
	for _, s := range strings.Split(*aliases, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		a, err := inbox.NormalizeEmail(s)
		if err != nil {
			return channels.Account{}, "", err
		}
		own = append(own, a)
	}
	imapSecurity, err := server("IMAP", *imapAddr, *imapSec, map[string]string{"993": "tls", "143": "starttls"}, *insecure)
	if err != nil {
		return channels.Account{}, "", err
	}
	smtpSecurity, err := server("SMTP", *smtpAddr, *smtpSec, map[string]string{"465": "tls", "587": "starttls", "25": "starttls"}, *insecure)
	if err != nil {
		return channels.Account{}, "", err
	}
	set := map[string]string{
		channels.SetAddress:      addr,
		channels.SetIMAP:         *imapAddr,
		channels.SetIMAPSecurity: imapSecurity,
		channels.SetSMTP:         *smtpAddr,
		channels.SetSMTPSecurity: smtpSecurity,
		channels.SetUsername:     *username,
	}
	if set[channels.SetUsername] == "" {
		set[channels.SetUsername] = addr
	}
	if len(own) > 0 {
		set[channels.SetAliases] = strings.Join(own, ",")
	}
	if *insecure {
		set[channels.SetAllowInsecure] = "true"
	}
	if *tokenCmd != "" {
		set[channels.SetTokenCommand] = *tokenCmd
	}
	if *caFile != "" {
		p, err := filepath.Abs(*caFile)
		if err == nil {
			_, err = os.Stat(p)
		}
		if err != nil {
			return channels.Account{}, "", inbox.Wrap(inbox.Invalid, err, "cannot read the CA file "+*caFile)
		}
		set[channels.SetCAFile] = p
	}
	secret := ""
	if *passStdin {
		if secret, err = readSecret(e, "password"); err != nil {
			return channels.Account{}, "", err
		}
	}
	return channels.Account{Name: *f.name, Kind: channels.KindEmail, Settings: set}, secret, nil
}

// server checks a host:port and its security, defaulting the security by
// port, and refuses plaintext ("none") off loopback unless insecure.
func server(proto, hostport, security string, byPort map[string]string, insecure bool) (string, error) {
	host, port, err := net.SplitHostPort(hostport)
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return "", usagef("--%s %q must be host:port", strings.ToLower(proto), hostport)
	}
	if security == "" {
		security = byPort[port]
	}
	switch security {
	case "tls", "starttls":
		return security, nil
	case "none":
		if !loopback(host) && !insecure {
			return "", inbox.Errorf(inbox.Invalid, "%s security none would send the password in clear to %s; use tls or starttls (or --allow-insecure if you really mean it)", proto, host)
		}
		return security, nil
	case "":
		return "", usagef("--%s-security is needed for port %s (tls, starttls or none)", strings.ToLower(proto), port)
	}
	return "", usagef("--%s-security must be tls, starttls or none (not %q)", strings.ToLower(proto), security)
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// apiURL checks an optional API base URL override.
func apiURL(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usagef("--api-url %q must be an http or https URL", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

func telegramAccount(e *env, args []string) (channels.Account, string, error) {
	f := newAccountFlags("telegram")
	tokenStdin := f.fs.Bool("token-stdin", false, "read the bot token from standard input")
	api := f.fs.String("api-url", "", "Bot API base URL (default https://api.telegram.org)")
	if err := f.parse(args); err != nil {
		return channels.Account{}, "", err
	}
	if *f.name == "" || !*tokenStdin {
		return channels.Account{}, "", usagef("account add telegram needs --name and --token-stdin")
	}
	return apiAccount(e, *f.name, channels.KindTelegram, map[string]string{}, *api, "bot token")
}

func twilioAccount(e *env, args []string) (channels.Account, string, error) {
	f := newAccountFlags("twilio")
	sid := f.fs.String("account-sid", "", "Twilio Account SID (AC…)")
	tokenStdin := f.fs.Bool("auth-token-stdin", false, "read the auth token (or the API key secret) from standard input")
	from := f.fs.String("from", "", "the SMS number, +E.164")
	waFrom := f.fs.String("whatsapp-from", "", "the WhatsApp sender, +E.164 (optional)")
	api := f.fs.String("api-url", "", "API base URL (default https://api.twilio.com)")
	apiKey := f.fs.String("api-key", "", "API key SID (SK…); the secret on stdin is then the key's secret")
	if err := f.parse(args); err != nil {
		return channels.Account{}, "", err
	}
	if *f.name == "" || *sid == "" || *from == "" || !*tokenStdin {
		return channels.Account{}, "", usagef("account add twilio needs --name, --account-sid, --from and --auth-token-stdin")
	}
	if !strings.HasPrefix(*sid, "AC") {
		return channels.Account{}, "", usagef("--account-sid %q must start with AC (the API key goes in --api-key)", *sid)
	}
	if *apiKey != "" && !strings.HasPrefix(*apiKey, "SK") {
		return channels.Account{}, "", usagef("--api-key %q must start with SK", *apiKey)
	}
	set := map[string]string{channels.SetAccountSID: *sid, channels.SetAPIKey: *apiKey}
	for key, raw := range map[string]string{channels.SetFrom: *from, channels.SetWhatsAppFrom: *waFrom} {
		if raw == "" {
			continue
		}
		// A sender is written in full international form: no region guess.
		n, err := inbox.E164{}.NormalizePhone(raw)
		if err != nil {
			return channels.Account{}, "", err
		}
		set[key] = n
	}
	return apiAccount(e, *f.name, channels.KindTwilio, set, *api, "auth token")
}

// apiAccount finishes the account of a channel on an HTTP API (Telegram,
// Twilio): the --api-url override, when given, joins its settings, and its
// secret (what it is) is read from standard input.
func apiAccount(e *env, name, kind string, set map[string]string, api, what string) (channels.Account, string, error) {
	u, err := apiURL(api)
	if err != nil {
		return channels.Account{}, "", err
	}
	set[channels.SetAPIURL] = u
	secret, err := readSecret(e, what)
	if err != nil {
		return channels.Account{}, "", err
	}
	return channels.Account{Name: name, Kind: kind, Settings: dropEmpty(set)}, secret, nil
}

func matrixAccount(e *env, args []string) (channels.Account, string, error) {
	f := newAccountFlags("matrix")
	hs := f.fs.String("homeserver", "", "homeserver URL, e.g. https://matrix.example.org")
	user := f.fs.String("user", "", "the bot's user id, @name:server")
	passStdin := f.fs.Bool("password-stdin", false, "read the password from standard input")
	if err := f.parse(args); err != nil {
		return channels.Account{}, "", err
	}
	if *f.name == "" || *hs == "" || *user == "" || !*passStdin {
		return channels.Account{}, "", usagef("account add matrix needs --name, --homeserver, --user and --password-stdin")
	}
	u, err := url.Parse(*hs)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return channels.Account{}, "", usagef("--homeserver %q must be an http or https URL", *hs)
	}
	id, err := inbox.NewIdentity(inbox.KindMatrix, *user, nil)
	if err != nil {
		return channels.Account{}, "", err
	}
	pw, err := readSecret(e, "password")
	if err != nil {
		return channels.Account{}, "", err
	}
	set := map[string]string{channels.SetHomeserver: strings.TrimRight(*hs, "/"), channels.SetUser: id.Address}
	return channels.Account{Name: *f.name, Kind: channels.KindMatrix, Settings: set}, pw, nil
}

func dropEmpty(m map[string]string) map[string]string {
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}

// accountJSON is one entry of `account list --json`.
type accountJSON struct {
	Name     string              `json:"name"`
	Kind     string              `json:"kind"`
	Channels []inbox.ChannelKind `json:"channels"`
	Settings map[string]string   `json:"settings"`
	Status   *statusJSON         `json:"status"`
}

type statusJSON struct {
	State       string  `json:"state"`
	Reason      string  `json:"reason,omitempty"`
	LastSuccess *string `json:"last_success"`
}

func runAccountList(e *env, args []string) error {
	fs := flag.NewFlagSet("account list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	_, err := parseArgs(fs, args, 0, "no arguments")
	if err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	all, err := channels.LoadAccounts(a.store)
	if err != nil {
		return err
	}
	status, err := channels.LoadStatuses(a.store)
	if err != nil {
		status = nil // a damaged status cache only loses the status column
	}
	if *asJSON {
		out := make([]accountJSON, 0, len(all))
		for _, acc := range all {
			j := accountJSON{Name: acc.Name, Kind: acc.Kind, Channels: acc.Channels(), Settings: acc.Settings}
			if j.Channels == nil {
				j.Channels = []inbox.ChannelKind{}
			}
			if s, ok := status[acc.Name]; ok {
				j.Status = &statusJSON{State: string(s.State), Reason: s.Reason, LastSuccess: rfc3339(s.LastSuccess)}
			}
			out = append(out, j)
		}
		return writeJSON(e.stdout, out)
	}
	if len(all) == 0 {
		fmt.Fprintln(e.stderr, "no account yet; add one with: couture account add email|telegram|twilio|matrix …")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tDETAILS\tSTATUS")
	for _, acc := range all {
		st := "never synced"
		if s, ok := status[acc.Name]; ok {
			st = s.String()
			if !s.LastSuccess.IsZero() {
				st += " (last sync " + s.LastSuccess.Local().Format("2006-01-02 15:04") + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", acc.Name, acc.Kind, details(acc), oneLine(st))
	}
	return tw.Flush()
}

// details summarizes an account's settings in one column; never secrets
// (the settings hold none).
func details(a channels.Account) string {
	s := a.Settings
	switch a.Kind {
	case channels.KindEmail:
		return fmt.Sprintf("%s imap %s (%s) smtp %s (%s)", s[channels.SetAddress], s[channels.SetIMAP], s[channels.SetIMAPSecurity], s[channels.SetSMTP], s[channels.SetSMTPSecurity])
	case channels.KindTwilio:
		d := "sms " + s[channels.SetFrom]
		if w := s[channels.SetWhatsAppFrom]; w != "" {
			d += ", whatsapp " + w
		}
		return d
	case channels.KindMatrix:
		return s[channels.SetUser] + " on " + s[channels.SetHomeserver]
	case channels.KindTelegram:
		if u := s[channels.SetAPIURL]; u != "" {
			return "bot via " + u
		}
		return "bot"
	}
	return ""
}

func runAccountRemove(e *env, args []string) error {
	fs := flag.NewFlagSet("account remove", flag.ContinueOnError)
	pos, err := parseArgs(fs, args, 1, "one account NAME")
	if err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	if err := channels.RemoveAccount(a.store, pos[0]); err != nil {
		return err
	}
	if err := e.secretStore().Delete(pos[0]); err != nil {
		return fmt.Errorf("account %s removed, but its secret could not be deleted: %w", pos[0], err)
	}
	fmt.Fprintf(e.stdout, "account %s removed; its messages stay in the store\n", pos[0])
	return nil
}

func runAccountTest(e *env, args []string) error {
	fs := flag.NewFlagSet("account test", flag.ContinueOnError)
	pos, err := parseArgs(fs, args, 1, "one account NAME")
	if err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	eng := e.engine(a, "", nil)
	defer eng.Stop()
	ch, acc, err := eng.Channel(pos[0])
	if err != nil {
		return err
	}
	t, ok := ch.(channels.Tester)
	if !ok {
		return inbox.Errorf(inbox.Invalid, "the %s channel cannot check its settings on its own; try couture sync --once --account %s", acc.Kind, acc.Name)
	}
	lines, err := t.Test(e.ctx)
	for _, l := range lines {
		fmt.Fprintln(e.stdout, l)
	}
	return err
}
