package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBotAPI answers the few Telegram Bot API methods the CLI's account
// test, sync --once and send use, the way the Bot API documents them
// (https://core.telegram.org/bots/api): {"ok":true,"result":…}.
type fakeBotAPI struct {
	mu      sync.Mutex
	updates bool // the one pending update was handed out
	sent    []map[string]any
}

func (f *fakeBotAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const prefix = "/botT0KEN:secret/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	var params map[string]any
	json.NewDecoder(r.Body).Decode(&params)
	f.mu.Lock()
	defer f.mu.Unlock()
	var result any
	switch method := strings.TrimPrefix(r.URL.Path, prefix); method {
	case "getMe":
		result = map[string]any{"id": 7, "is_bot": true, "first_name": "Fournil", "username": "FournilBot"}
	case "getWebhookInfo":
		result = map[string]any{"url": "", "pending_update_count": 0}
	case "deleteWebhook":
		result = true
	case "getUpdates":
		result = []any{}
		if !f.updates {
			f.updates = true
			result = []any{map[string]any{"update_id": 100, "message": map[string]any{
				"message_id": 5, "date": time.Now().Add(-time.Hour).Unix(), "text": "Bonjour, ma commande est prête ?",
				"from": map[string]any{"id": 42, "is_bot": false, "first_name": "Anna"},
				"chat": map[string]any{"id": 42, "type": "private", "first_name": "Anna"},
			}}}
		}
	case "sendMessage":
		f.sent = append(f.sent, params)
		result = map[string]any{"message_id": 77, "date": time.Now().Unix(), "text": params["text"],
			"chat": map[string]any{"id": params["chat_id"], "type": "private"}}
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"ok":false,"error_code":404,"description":"Not Found: method not found"}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func (f *fakeBotAPI) sends() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.sent...)
}

func TestTelegramAccountSyncAndSend(t *testing.T) {
	api := &fakeBotAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	run := func(stdin string, args ...string) (string, string) {
		t.Helper()
		out, errOut, code := cli(t, dir, stdin, args...)
		if code != 0 {
			t.Fatalf("couture %v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out, errOut
	}

	run("T0KEN:secret\n", "account", "add", "telegram", "--name", "bot", "--token-stdin", "--api-url", srv.URL)
	if out, _ := run("", "account", "test", "bot"); !strings.Contains(out, "@FournilBot") {
		t.Errorf("account test:\n%s", out)
	}
	run("", "sync", "--once")
	var list []accountJSON
	out, _ := run("", "account", "list", "--json")
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].Status == nil ||
		list[0].Status.State != "idle" || list[0].Status.LastSuccess == nil {
		t.Fatalf("account list after sync: %v\n%s", err, out)
	}
	var customers []struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	out, _ = run("", "customers", "--json")
	if err := json.Unmarshal([]byte(out), &customers); err != nil || len(customers) != 1 {
		t.Fatalf("customers after sync: %v\n%s", err, out)
	}
	id := itoa(customers[0].ID)

	out, _ = run("", "send", id, "--channel", "telegram", "Oui,", "elle", "est", "prête", "!")
	if strings.TrimSpace(out) != "sent" {
		t.Errorf("send printed %q, want sent", out)
	}
	sent := api.sends()
	if len(sent) != 1 || sent[0]["text"] != "Oui, elle est prête !" || sent[0]["chat_id"] != float64(42) {
		t.Fatalf("the Bot API got %v", sent)
	}

	// Refused before anything is queued or sent.
	tests := []struct {
		name  string
		stdin string
		args  []string
		msg   string
	}{
		{"too long for telegram", strings.Repeat("a", 4097), []string{"send", id, "--channel", "telegram", "--body-stdin"}, "Telegram allows 4096"},
		{"never wrote on whatsapp", "", []string{"send", id, "--channel", "whatsapp", "Bonjour"}, "never written on WhatsApp"},
		{"no account for the channel", "", []string{"send", id, "--channel", "matrix", "Bonjour"}, "has no matrix address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := cli(t, dir, tt.stdin, tt.args...)
			if code != 1 || !strings.Contains(errOut, tt.msg) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, errOut, tt.msg)
			}
		})
	}
	if n := len(api.sends()); n != 1 {
		t.Errorf("refused answers reached the Bot API: %d sends", n)
	}

	// Without the account the answer stays queued, and says why.
	run("", "account", "remove", "bot")
	_, errOut, code := cli(t, dir, "", "send", id, "--channel", "telegram", "Encore là ?")
	if code != 1 || !strings.Contains(errOut, "queued: no account sends on telegram") {
		t.Fatalf("send without an account: exit %d: %s", code, errOut)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
