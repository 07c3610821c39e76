package twilio

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	acct  = "AC0123456789abcdef0123456789abcdef"
	token = "secret-token"
	biz   = "+12025550143"
)

func newServer(t *testing.T) *Server {
	s := New(acct, token)
	s.AddNumber(biz)
	s.AddWhatsAppSender(biz)
	t.Cleanup(s.Close)
	return s
}

type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func do(t *testing.T, s *Server, method, path string, form url.Values, user, pass string) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, s.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

const messages = "/2010-04-01/Accounts/" + acct + "/Messages.json"

func TestRequestsAreCheckedAgainstTheOpenAPIDescription(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name         string
		method, path string
		form         url.Values
		user, pass   string
		status, code int
		violation    bool
	}{
		{name: "no auth", method: "GET", path: messages, status: 401, code: 20003},
		{name: "wrong token", method: "GET", path: messages, user: acct, pass: "x", status: 401, code: 20003},
		{name: "undeclared query parameter", method: "GET", path: messages + "?DateSentAfter=2026-01-01", user: acct, pass: token,
			status: 400, code: CodeInvalidParameter, violation: true},
		{name: "PageSize out of range", method: "GET", path: messages + "?PageSize=5000", user: acct, pass: token,
			status: 400, code: CodeInvalidParameter, violation: true},
		{name: "malformed SID in the path", method: "GET", path: "/2010-04-01/Accounts/" + acct + "/Messages/XX1.json",
			user: acct, pass: token, status: 404, code: 20404, violation: true},
		{name: "undeclared form field", method: "POST", path: messages, user: acct, pass: token,
			form: url.Values{"To": {"+33612345678"}, "From": {biz}, "Body": {"x"}, "Text": {"x"}}, status: 400, code: CodeInvalidParameter, violation: true},
		{name: "To missing", method: "POST", path: messages, user: acct, pass: token,
			form: url.Values{"From": {biz}, "Body": {"x"}}, status: 400, code: CodeInvalidParameter, violation: true},
		{name: "another account", method: "GET", path: "/2010-04-01/Accounts/AC" + strings.Repeat("f", 32) + "/Messages.json",
			user: acct, pass: token, status: 404, code: 20404},
		{name: "invalid To", method: "POST", path: messages, user: acct, pass: token,
			form: url.Values{"To": {"+1"}, "From": {biz}, "Body": {"x"}}, status: 400, code: CodeInvalidTo},
		{name: "From not owned", method: "POST", path: messages, user: acct, pass: token,
			form: url.Values{"To": {"+33612345678"}, "From": {"+12025550199"}, "Body": {"x"}}, status: 400, code: CodeFromNotOwned},
		{name: "mixed channels", method: "POST", path: messages, user: acct, pass: token,
			form: url.Values{"To": {"whatsapp:+33612345678"}, "From": {biz}, "Body": {"x"}}, status: 400, code: CodeChannelMismatch},
		{name: "body too long", method: "POST", path: messages, user: acct, pass: token,
			form: url.Values{"To": {"+33612345678"}, "From": {biz}, "Body": {strings.Repeat("x", 1601)}}, status: 400, code: CodeBodyTooLong},
		{name: "no body", method: "POST", path: messages, user: acct, pass: token,
			form: url.Values{"To": {"+33612345678"}, "From": {biz}}, status: 400, code: CodeBodyRequired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.Violations())
			resp, body := do(t, s, tc.method, tc.path, tc.form, tc.user, tc.pass)
			var e twilioError
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("error answer is not JSON: %s", body)
			}
			if resp.StatusCode != tc.status || e.Code != tc.code || e.Status != tc.status || !strings.HasSuffix(e.MoreInfo, "/"+itoa(tc.code)) {
				t.Errorf("%d %+v, want %d code %d", resp.StatusCode, e, tc.status, tc.code)
			}
			if got := len(s.Violations()) > before; got != tc.violation {
				t.Errorf("violation recorded: %v, want %v", got, tc.violation)
			}
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestListFiltersAndPages(t *testing.T) {
	s := newServer(t)
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	s.AddInboundAt(day.AddDate(0, 0, -2), "+33612345678", biz, "old")
	var want []string
	for i := range 5 {
		want = append(want, s.AddInboundAt(day.Add(time.Duration(i)*time.Minute), "+33612345678", biz, "new").SID)
	}
	s.AddInboundAt(day, "whatsapp:+33612345678", "whatsapp:"+biz, "other inbox")
	s.SetMaxPageSize(2)
	q := url.Values{"To": {biz}, "DateSent>": {"2026-03-10"}, "PageSize": {"50"}}
	uri := messages + "?" + q.Encode()
	var got []string
	for pages := 0; uri != ""; pages++ {
		resp, body := do(t, s, "GET", uri, nil, acct, token)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var page struct {
			Messages []Message `json:"messages"`
			Next     *string   `json:"next_page_uri"`
			PageSize int       `json:"page_size"`
		}
		json.Unmarshal(body, &page)
		if page.PageSize != 2 || len(page.Messages) > 2 {
			t.Errorf("page of %d (size %d)", len(page.Messages), page.PageSize)
		}
		for _, m := range page.Messages {
			got = append(got, m.SID)
		}
		uri = ""
		if page.Next != nil {
			uri = *page.Next
		}
	}
	if len(got) != 5 {
		t.Fatalf("listed %v, want the 5 messages of the day to %s", got, biz)
	}
	for i := range got { // newest first
		if got[i] != want[len(want)-1-i] {
			t.Errorf("order: %v, want newest first %v", got, want)
			break
		}
	}
	if v := s.Violations(); len(v) > 0 {
		t.Errorf("following next_page_uri broke the description: %v", v)
	}
}

func TestWhatsAppWindowAndMedia(t *testing.T) {
	s := newServer(t)
	in := s.AddInbound("whatsapp:+33612345678", "whatsapp:"+biz, "photo", Media{ContentType: "image/png", Data: []byte("PNG")})
	send := func(to string) Message {
		resp, body := do(t, s, "POST", messages, url.Values{"To": {"whatsapp:" + to}, "From": {"whatsapp:" + biz}, "Body": {"hi"}}, acct, token)
		if resp.StatusCode != 201 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var m Message
		json.Unmarshal(body, &m)
		if m.Status != "queued" {
			t.Errorf("created with status %q, want queued", m.Status)
		}
		m, _ = s.Message(m.SID)
		return m
	}
	if m := send("+33612345678"); m.Status != "queued" {
		t.Errorf("inside the window: %s", m.Status)
	}
	if m := send("+33698765432"); m.Status != "failed" || m.ErrorCode == nil || *m.ErrorCode != CodeOutsideWindow {
		t.Errorf("outside the window: %+v, want failed 63016", m)
	}

	// Media: list, then the content URL redirects to the CDN.
	_, body := do(t, s, "GET", in.SubresourceURIs["media"], nil, acct, token)
	var list struct {
		Media []struct {
			URI         string `json:"uri"`
			ContentType string `json:"content_type"`
		} `json:"media_list"`
	}
	json.Unmarshal(body, &list)
	if len(list.Media) != 1 || list.Media[0].ContentType != "image/png" {
		t.Fatalf("media list: %s", body)
	}
	resp, data := do(t, s, "GET", strings.TrimSuffix(list.Media[0].URI, ".json"), nil, acct, token)
	if resp.StatusCode != 200 || string(data) != "PNG" || resp.Request.URL.Path == strings.TrimSuffix(list.Media[0].URI, ".json") {
		t.Errorf("media content: %d %q via %s", resp.StatusCode, data, resp.Request.URL)
	}
}
