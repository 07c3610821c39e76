package email

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/dovecot"
)

// introspection is an RFC 7662 token introspection endpoint, as an
// identity provider runs it: Dovecot POSTs token=… and learns whose it is.
type introspection struct {
	tokens map[string]string // token → user
	mu     sync.Mutex
	asked  []string
}

func (in *introspection) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, "POST a form", http.StatusBadRequest)
		return
	}
	tok := r.PostForm.Get("token")
	in.mu.Lock()
	in.asked = append(in.asked, tok)
	in.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	user, ok := in.tokens[tok]
	if !ok {
		json.NewEncoder(w).Encode(map[string]any{"active": false})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"active": true, "username": user, "scope": "mail"})
}

func (in *introspection) seen(tok string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, t := range in.asked {
		if t == tok {
			return true
		}
	}
	return false
}

// oauthServer starts Dovecot checking OAuth2 tokens with an introspection
// endpoint that knows one token of alice.
func oauthServer(t *testing.T) (*dovecot.Server, *introspection) {
	in := &introspection{tokens: map[string]string{"ya29.alice-token": "alice"}}
	hs := httptest.NewServer(in)
	t.Cleanup(hs.Close)
	srv := dovecot.Start(t, &dovecot.Options{OAuth2URL: hs.URL + "/introspect"})
	return srv, in
}

func TestOAuthBearerLoginWithTheTokenCommand(t *testing.T) {
	t.Parallel()
	srv, in := oauthServer(t)
	srv.Seed("alice", "INBOX", 3)
	k := newDeskSink(t, "alice")
	withToken := func(cmd string) func(map[string]string) {
		return func(s map[string]string) { s[channels.SetTokenCommand] = cmd }
	}
	c := newChannel(t, k, account(srv, "alice", withToken("echo ya29.alice-token")), "")
	if err := c.Sync(context.Background(), k, true); err != nil {
		t.Fatalf("sync with a token: %v", err)
	}
	if added, _, _ := k.totals(); added != 3 {
		t.Errorf("synced %d messages, want 3", added)
	}
	if !in.seen("ya29.alice-token") {
		t.Error("Dovecot never asked the identity provider about the token")
	}

	// A token the provider does not know: an auth error that says what
	// to do and does not show the token.
	bad := newChannel(t, newDeskSink(t, "alice"), account(srv, "alice", withToken("echo ya29.expired")), "")
	err := bad.Sync(context.Background(), k, true)
	if inbox.ErrorCode(err) != inbox.Auth {
		t.Fatalf("expired token: %v (code %q), want an auth error", err, inbox.ErrorCode(err))
	}
	if msg := inbox.Explain(err); !strings.Contains(msg, "refused the login of alice") || strings.Contains(msg, "ya29") {
		t.Errorf("expired token message %q", msg)
	}
	if !in.seen("ya29.expired") {
		t.Error("the expired token never reached the identity provider")
	}

	// A token command that fails is an auth error naming the account.
	broken := newChannel(t, newDeskSink(t, "alice"), account(srv, "alice", withToken("exit 3")), "")
	if err := broken.Sync(context.Background(), k, true); inbox.ErrorCode(err) != inbox.Auth || !strings.Contains(inbox.Explain(err), "token command") {
		t.Errorf("failing token command: %v", err)
	}
}

// XOAUTH2 is what servers without OAUTHBEARER (older Gmail and Outlook
// set-ups) take; Couture uses it when OAUTHBEARER is not offered.
func TestXOAuth2AgainstDovecot(t *testing.T) {
	t.Parallel()
	srv, _ := oauthServer(t)
	for _, tt := range []struct {
		token string
		ok    bool
	}{{"ya29.alice-token", true}, {"ya29.someone-else", false}} {
		cl, err := imapclient.DialInsecure(srv.IMAP, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !cl.Caps().Has("AUTH=XOAUTH2") {
			t.Fatalf("Dovecot does not offer XOAUTH2: %v", cl.Caps())
		}
		err = cl.Authenticate(newXOAuth2("alice", tt.token))
		if (err == nil) != tt.ok {
			t.Errorf("XOAUTH2 with %s: %v, want ok=%v", tt.token, err, tt.ok)
		}
		if err == nil {
			if _, err := cl.Select("INBOX", nil).Wait(); err != nil {
				t.Errorf("select after XOAUTH2: %v", err)
			}
		}
		cl.Close()
	}
}

// Sending with a token: OAUTHBEARER when the SMTP server offers it, and the
// server's XOAUTH2 refusal read as a refused login.
func TestSMTPWithAToken(t *testing.T) {
	t.Parallel()
	tokens := map[string]string{"ya29.alice-token": "alice"}
	sink := dovecot.StartSMTP(t, &dovecot.SMTPOptions{Users: map[string]string{}, Tokens: tokens})
	srv, _ := oauthServer(t)
	acct := func(cmd string) channels.Account {
		return account(srv, "alice", func(s map[string]string) {
			s[channels.SetSMTP], s[channels.SetTokenCommand] = sink.Addr, cmd
		})
	}
	good := newChannel(t, newDeskSink(t, "alice"), acct("echo ya29.alice-token"), "")
	if _, err := good.Send(context.Background(), answer(7, "bob@customer.example")); err != nil {
		t.Fatalf("send with a token: %v", err)
	}
	if _, err := sink.WaitMails(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	bad := newChannel(t, newDeskSink(t, "alice"), acct("echo ya29.revoked"), "")
	_, err := bad.Send(context.Background(), answer(8, "bob@customer.example"))
	if inbox.ErrorCode(err) != inbox.Auth || !strings.Contains(inbox.Explain(err), "SMTP server") {
		t.Errorf("revoked token: %v (code %q), want a refused SMTP login", err, inbox.ErrorCode(err))
	}

	for _, tt := range []struct {
		token string
		ok    bool
	}{{"ya29.alice-token", true}, {"ya29.revoked", false}} {
		cl, err := smtp.Dial(sink.Addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.Hello("couture.test"); err != nil {
			t.Fatal(err)
		}
		err = cl.Auth(newXOAuth2("alice", tt.token))
		if (err == nil) != tt.ok {
			t.Errorf("XOAUTH2 with %s: %v, want ok=%v", tt.token, err, tt.ok)
		}
		cl.Close()
	}
}
