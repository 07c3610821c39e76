package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cli runs the binary (built once by TestMain in cli_test.go) on a data
// directory with the file secrets backend and returns stdout, stderr and the
// exit status.
func cli(t *testing.T, dataDir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--data-dir", dataDir}, args...)...)
	cmd.Env = append(os.Environ(), "COUTURE_SECRETS=file", "COUTURE_DATA_DIR=")
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

func TestAccountAddListRemove(t *testing.T) {
	dir := t.TempDir()
	const password = "Corr3ct-Horse-Battery"
	out, errOut, code := cli(t, dir, password+"\n", "account", "add", "email",
		"--name", "shop", "--address", "Hello@Shop.example", "--imap", "imap.shop.example:993",
		"--smtp", "smtp.shop.example:587", "--password-stdin", "--aliases", "sales@shop.example")
	if code != 0 {
		t.Fatalf("account add email: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "account shop added (email)") || !strings.Contains(out, "encrypted file") {
		t.Errorf("stdout %q", out)
	}
	if _, errOut, code := cli(t, dir, "123456:ABC-token\n", "account", "add", "telegram", "--name", "bot", "--token-stdin"); code != 0 {
		t.Fatalf("account add telegram: exit %d: %s", code, errOut)
	}
	if _, errOut, code := cli(t, dir, "auth-token\n", "account", "add", "twilio", "--name", "sms", "--account-sid", "AC0123",
		"--auth-token-stdin", "--from", "+33 6 12 34 56 78", "--whatsapp-from", "+33612345679", "--api-url", "http://127.0.0.1:9/"); code != 0 {
		t.Fatalf("account add twilio: exit %d: %s", code, errOut)
	}
	if _, errOut, code := cli(t, dir, "pw\n", "account", "add", "matrix", "--name", "room", "--homeserver", "http://localhost:8008",
		"--user", "@Couture:localhost", "--password-stdin"); code != 0 {
		t.Fatalf("account add matrix: exit %d: %s", code, errOut)
	}

	out, errOut, code = cli(t, dir, "", "account", "list", "--json")
	if code != 0 {
		t.Fatalf("account list: exit %d: %s", code, errOut)
	}
	var list []accountJSON
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("account list --json: %v\n%s", err, out)
	}
	if len(list) != 4 || list[0].Name != "shop" || list[3].Name != "room" {
		t.Fatalf("accounts %+v", list)
	}
	shop := list[0].Settings
	want := map[string]string{"address": "hello@shop.example", "imap": "imap.shop.example:993", "imap_security": "tls",
		"smtp": "smtp.shop.example:587", "smtp_security": "starttls", "username": "hello@shop.example", "aliases": "sales@shop.example"}
	for k, v := range want {
		if shop[k] != v {
			t.Errorf("shop setting %s = %q, want %q", k, shop[k], v)
		}
	}
	if tw := list[2]; tw.Settings["from"] != "+33612345678" || strings.Join(chanNames(tw), ",") != "sms,whatsapp" || tw.Settings["api_url"] != "http://127.0.0.1:9" {
		t.Errorf("twilio account %+v", tw)
	}
	if list[3].Settings["user"] != "@couture:localhost" || list[0].Status != nil {
		t.Errorf("matrix account %+v", list[3])
	}
	if strings.Contains(out, password) || strings.Contains(out, "auth-token") {
		t.Error("account list shows a secret")
	}
	// Nothing in the data directory holds a secret in clear.
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		raw, _ := os.ReadFile(p)
		for _, s := range []string{password, "123456:ABC-token", "auth-token"} {
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("%s holds a secret in clear", p)
			}
		}
		return nil
	})

	out, _, code = cli(t, dir, "", "account", "list")
	if code != 0 || !strings.Contains(out, "never synced") || !strings.Contains(out, "sms +33612345678, whatsapp +33612345679") {
		t.Errorf("account list:\n%s", out)
	}

	// A taken name is refused, whatever the case, and the secret survives.
	if _, errOut, code := cli(t, dir, "other\n", "account", "add", "telegram", "--name", "BOT", "--token-stdin"); code != 1 || !strings.Contains(errOut, "exists already") {
		t.Errorf("duplicate: exit %d: %s", code, errOut)
	}

	if out, errOut, code := cli(t, dir, "", "account", "remove", "bot"); code != 0 || !strings.Contains(out, "account bot removed") {
		t.Fatalf("account remove: exit %d: %s%s", code, out, errOut)
	}
	if _, errOut, code := cli(t, dir, "", "account", "remove", "bot"); code != 1 || !strings.Contains(errOut, `no account "bot"`) {
		t.Errorf("second remove: exit %d: %s", code, errOut)
	}
	out, _, _ = cli(t, dir, "", "account", "list", "--json")
	if strings.Contains(out, `"bot"`) {
		t.Errorf("bot still listed:\n%s", out)
	}
	// Its secret went with it: a new bot account starts clean.
	if _, errOut, code := cli(t, dir, "new-token\n", "account", "add", "telegram", "--name", "bot", "--token-stdin"); code != 0 {
		t.Fatalf("re-add: exit %d: %s", code, errOut)
	}
}

func chanNames(a accountJSON) []string {
	var out []string
	for _, c := range a.Channels {
		out = append(out, string(c))
	}
	return out
}

func TestAccountAddRefusals(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"plaintext off loopback", "pw\n", []string{"account", "add", "email", "--name", "shop", "--address", "a@shop.example",
			"--imap", "mail.shop.example:143", "--imap-security", "none", "--smtp", "mail.shop.example:465", "--password-stdin"}, 1, "password in clear to mail.shop.example"},
		{"plaintext smtp off loopback", "pw\n", []string{"account", "add", "email", "--name", "shop", "--address", "a@shop.example",
			"--imap", "mail.shop.example:993", "--smtp", "mail.shop.example:25", "--smtp-security", "none", "--password-stdin"}, 1, "SMTP security none"},
		{"unknown flag", "", []string{"account", "add", "email", "--name", "shop", "--imap-secure", "tls"}, 2, "flag provided but not defined"},
		{"missing flag", "pw\n", []string{"account", "add", "email", "--name", "shop", "--address", "a@shop.example", "--imap", "mail:993", "--password-stdin"}, 2, "needs --smtp"},
		{"no password", "", []string{"account", "add", "email", "--name", "shop", "--address", "a@shop.example", "--imap", "mail:993", "--smtp", "mail:465"}, 2, "--password-stdin"},
		{"empty password", "\n", []string{"account", "add", "telegram", "--name", "bot", "--token-stdin"}, 1, "no bot token on standard input"},
		{"bad security word", "pw\n", []string{"account", "add", "email", "--name", "shop", "--address", "a@shop.example",
			"--imap", "mail:993", "--imap-security", "ssl", "--smtp", "mail:465", "--password-stdin"}, 2, "tls, starttls or none"},
		{"bad host port", "pw\n", []string{"account", "add", "email", "--name", "shop", "--address", "a@shop.example",
			"--imap", "mail", "--smtp", "mail:465", "--password-stdin"}, 2, "must be host:port"},
		{"bad address", "pw\n", []string{"account", "add", "email", "--name", "shop", "--address", "not an address",
			"--imap", "mail:993", "--smtp", "mail:465", "--password-stdin"}, 1, "not a valid e-mail address"},
		{"bad name", "t\n", []string{"account", "add", "telegram", "--name", "my bot", "--token-stdin"}, 1, "account name"},
		{"unknown kind", "", []string{"account", "add", "fax", "--name", "x"}, 2, "email, telegram, twilio or matrix"},
		{"twilio sid", "t\n", []string{"account", "add", "twilio", "--name", "sms", "--account-sid", "SK1", "--from", "+33612345678", "--auth-token-stdin"}, 2, "must start with AC"},
		{"twilio from", "t\n", []string{"account", "add", "twilio", "--name", "sms", "--account-sid", "AC1", "--from", "0612345678", "--auth-token-stdin"}, 1, "international form"},
		{"matrix user", "pw\n", []string{"account", "add", "matrix", "--name", "m", "--homeserver", "https://m.example", "--user", "couture", "--password-stdin"}, 1, "must start with @"},
		{"no subcommand", "", []string{"account"}, 2, "account takes add"},
		{"remove without name", "", []string{"account", "remove"}, 2, "one account NAME"},
		{"test unknown account", "", []string{"account", "test", "nope"}, 1, `no account "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out, errOut, code := cli(t, dir, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q (stdout %q)", code, errOut, tt.code, tt.msg, out)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") > 0 && tt.code == 1 {
				t.Errorf("an error takes one line on stderr, got:\n%s", errOut)
			}
			list, _, _ := cli(t, dir, "", "account", "list", "--json")
			if strings.TrimSpace(list) != "[]" {
				t.Errorf("a refused add left an account: %s", list)
			}
		})
	}
}

func TestAccountAddPlaintextOnLoopback(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"loopback", []string{"--imap", "127.0.0.1:1143", "--imap-security", "none", "--smtp", "localhost:2525", "--smtp-security", "none"}},
		{"allowed", []string{"--imap", "mail.lan:143", "--imap-security", "none", "--smtp", "[::1]:25", "--smtp-security", "none", "--allow-insecure"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := append([]string{"account", "add", "email", "--name", "dev", "--address", "dev@localhost", "--password-stdin"}, tt.args...)
			if _, errOut, code := cli(t, dir, "pw\n", args...); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
		})
	}
}

func TestAccountTestUnreachable(t *testing.T) {
	dir := t.TempDir()
	if _, errOut, code := cli(t, dir, "pw\n", "account", "add", "matrix", "--name", "room", "--homeserver", "http://127.0.0.1:1",
		"--user", "@couture:localhost", "--password-stdin"); code != 0 {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	// Nothing listens on the homeserver's port: the test fails in one line.
	_, errOut, code := cli(t, dir, "", "account", "test", "room")
	if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("account test with no homeserver: exit %d: %s", code, errOut)
	}
	if _, built := factories["matrix"]; !built && !strings.Contains(errOut, "has no matrix channel") {
		t.Errorf("account test without a matrix channel: %s", errOut)
	}
}

func TestSyncAndSendUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"sync once without accounts", []string{"sync", "--once"}, 1, "no account is configured"},
		{"sync unknown flag", []string{"sync", "--forever"}, 2, "flag provided but not defined"},
		{"sync unknown account", []string{"sync", "--once", "--account", "nope"}, 1, `no account "nope"`},
		{"send without channel", []string{"send", "1", "hello"}, 2, "--channel"},
		{"send bad channel", []string{"send", "1", "--channel", "fax", "hello"}, 2, "unknown channel"},
		{"send unknown customer", []string{"send", "99", "--channel", "sms", "hello"}, 1, "customer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, errOut, code := cli(t, t.TempDir(), "", tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
}
