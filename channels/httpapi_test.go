package channels

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/couture/couture/inbox"
)

func TestAPICallErrors(t *testing.T) {
	hangUp := func(w http.ResponseWriter, _ *http.Request) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}
	ok := func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"ok":true}`)) }
	tests := []struct {
		name      string
		handler   http.HandlerFunc // nil: the server is down
		sending   bool
		message   string // in the explanation; "" for no error
		uncertain bool
	}{
		{name: "answer", handler: ok},
		{name: "server down", message: "cannot reach Shop API"},
		{name: "answer lost, reading", handler: hangUp, message: "cannot reach Shop API"},
		{name: "answer lost, sending", handler: hangUp, sending: true, message: "maybe sent", uncertain: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			if tc.handler == nil {
				srv.Close()
			} else {
				defer srv.Close()
			}
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/send?secret=s3cr3t", strings.NewReader("x"))
			if err != nil {
				t.Fatal(err)
			}
			call := APICall{Service: "Shop API", What: "shop send", Sending: tc.sending, Lost: "maybe sent", Limit: 1 << 10,
				Clean: func(error) error { return errors.New("cleaned") }}
			resp, data, err := call.Do(context.Background(), srv.Client(), req)
			if tc.message == "" {
				if err != nil || resp.StatusCode != http.StatusOK || string(data) != `{"ok":true}` {
					t.Fatalf("Do = %v, %q, %v", resp, data, err)
				}
				return
			}
			if inbox.ErrorCode(err) != inbox.Unavailable || !strings.Contains(inbox.Explain(err), tc.message) {
				t.Errorf("Do = %v (code %q), want unavailable, %q", err, inbox.ErrorCode(err), tc.message)
			}
			if strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "shop send: cleaned") {
				t.Errorf("cause %q not cleaned", err)
			}
			var unsure *Uncertain
			if errors.As(err, &unsure) != tc.uncertain {
				t.Errorf("uncertain = %v, want %v", !tc.uncertain, tc.uncertain)
			}
		})
	}
}

func TestAPIBase(t *testing.T) {
	tests := []struct {
		raw, base, host string
		err             string // in the explanation; "" for none
	}{
		{raw: "https://api.example.org/", base: "https://api.example.org", host: "api.example.org"},
		{raw: "https://proxy.example.org:8443/twilio/?x=1", base: "https://proxy.example.org:8443/twilio", host: "proxy.example.org:8443"},
		{raw: "http://127.0.0.1:9000", base: "http://127.0.0.1:9000", host: "127.0.0.1:9000"},
		{raw: "http://localhost:9000/", base: "http://localhost:9000", host: "localhost:9000"},
		{raw: "http://[::1]:9000", base: "http://[::1]:9000", host: "[::1]:9000"},
		{raw: "http://api.example.org", err: "must use https: the secret would travel in clear"},
		{raw: "ftp://api.example.org", err: "is not an http(s) URL"},
		{raw: "api.example.org", err: "is not an http(s) URL"},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			base, host, err := APIBase(tc.raw, "the secret")
			if tc.err != "" {
				if inbox.ErrorCode(err) != inbox.Invalid || !strings.Contains(inbox.Explain(err), tc.err) {
					t.Errorf("APIBase = %q, %v; want invalid, %q", base, err, tc.err)
				}
				return
			}
			if err != nil || base != tc.base || host != tc.host {
				t.Errorf("APIBase = %q, %q, %v; want %q, %q", base, host, err, tc.base, tc.host)
			}
		})
	}
}
