package telegram

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

const token = "42:test-token"

type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func call(t *testing.T, s *Server, tok, method string, params url.Values) (int, answer) {
	t.Helper()
	resp, err := http.PostForm(s.URL+"/bot"+tok+"/"+method, params)
	return answerOf(t, method, resp, err)
}

// answerOf reads the answer to a request of method, failing the test when
// the request failed or the answer is not JSON.
func answerOf(t *testing.T, method string, resp *http.Response, err error) (int, answer) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", method, err)
	}
	return resp.StatusCode, a
}

func TestErrorAnswersFollowTheBotAPI(t *testing.T) {
	s := New(token)
	defer s.Close()
	tests := []struct {
		name   string
		setup  func()
		tok    string
		method string
		params url.Values
		status int
		desc   string
	}{
		{name: "wrong token", tok: "42:other", method: "getMe", status: 401, desc: "Unauthorized"},
		{name: "unknown method", tok: token, method: "getMeNot", status: 404, desc: "Not Found"},
		{name: "webhook set", setup: func() { s.SetWebhook("https://x.example/hook") }, tok: token, method: "getUpdates",
			status: 409, desc: "can't use getUpdates method while webhook is active"},
		{name: "rate limit", setup: func() { s.SetWebhook(""); s.RateLimitNext("getUpdates", 9) }, tok: token, method: "getUpdates",
			status: 429, desc: "retry after 9"},
		{name: "chat not found", tok: token, method: "sendMessage", params: url.Values{"chat_id": {"77"}, "text": {"hi"}},
			status: 400, desc: "chat not found"},
		{name: "empty text", tok: token, method: "sendMessage", params: url.Values{"chat_id": {"77"}}, status: 400, desc: "message text is empty"},
		{name: "too long", tok: token, method: "sendMessage",
			params: url.Values{"chat_id": {"77"}, "text": {strings.Repeat("x", MaxText+1)}}, status: 400, desc: "message is too long"},
		{name: "bad file", tok: token, method: "getFile", params: url.Values{"file_id": {"nope"}}, status: 400, desc: "invalid file_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			status, a := call(t, s, tc.tok, tc.method, tc.params)
			if status != tc.status || a.OK || a.ErrorCode != tc.status || !strings.Contains(a.Description, tc.desc) {
				t.Errorf("%d %+v, want %d %q", status, a, tc.status, tc.desc)
			}
			if tc.status == 429 && a.Parameters.RetryAfter != 9 {
				t.Errorf("retry_after = %d", a.Parameters.RetryAfter)
			}
		})
	}
}

// TestSecondPollerEndsTheFirst checks the conflict detection: a long poll
// in flight is ended with 409 when another getUpdates arrives.
func TestSecondPollerEndsTheFirst(t *testing.T) {
	s := New(token)
	defer s.Close()
	first := make(chan answer, 1)
	go func() {
		_, a := call(t, s, token, "getUpdates", url.Values{"timeout": {"10"}})
		first <- a
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitPolling(ctx); err != nil {
		t.Fatal(err)
	}
	status, second := call(t, s, token, "getUpdates", url.Values{"timeout": {"0"}})
	a := <-first
	if a.OK || a.ErrorCode != 409 || a.Description != ConflictDescription {
		t.Errorf("first poller got %+v, want 409 %q", a, ConflictDescription)
	}
	if status != 200 || !second.OK {
		t.Errorf("second poller got %d %+v", status, second)
	}
	if s.Conflicts() != 1 {
		t.Errorf("conflicts = %d", s.Conflicts())
	}
}

func TestUpdatesAreConfirmedByOffset(t *testing.T) {
	s := New(token)
	defer s.Close()
	u := User{ID: 10, FirstName: "A"}
	first := s.SendText(u, "one")
	s.SendText(u, "two")
	var ups []Update
	_, a := call(t, s, token, "getUpdates", nil)
	json.Unmarshal(a.Result, &ups)
	if len(ups) != 2 || ups[0].UpdateID != first.UpdateID {
		t.Fatalf("updates = %+v", ups)
	}
	// Without a higher offset nothing is confirmed.
	_, a = call(t, s, token, "getUpdates", url.Values{"offset": {"0"}})
	json.Unmarshal(a.Result, &ups)
	if len(ups) != 2 {
		t.Fatalf("updates served again = %d, want 2", len(ups))
	}
	_, a = call(t, s, token, "getUpdates", url.Values{"offset": {itoa(ups[1].UpdateID + 1)}})
	json.Unmarshal(a.Result, &ups)
	if len(ups) != 0 || s.Pending() != 0 {
		t.Errorf("after confirming: %d served, %d pending", len(ups), s.Pending())
	}
}

func TestLongPollWakesOnInject(t *testing.T) {
	s := New(token)
	defer s.Close()
	got := make(chan []Update, 1)
	go func() {
		_, a := call(t, s, token, "getUpdates", url.Values{"timeout": {"10"}})
		var ups []Update
		json.Unmarshal(a.Result, &ups)
		got <- ups
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitPolling(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s.SendText(User{ID: 10, FirstName: "A"}, "hello")
	select {
	case ups := <-got:
		if len(ups) != 1 || time.Since(start) > 2*time.Second {
			t.Errorf("long poll answered %d updates after %v", len(ups), time.Since(start))
		}
	case <-ctx.Done():
		t.Fatal("the long poll did not wake up")
	}
}

func TestFilesAndSending(t *testing.T) {
	s := New(token)
	defer s.Close()
	u := User{ID: 10, FirstName: "A"}
	up := s.SendDocument(u, "a.pdf", "application/pdf", []byte("%PDF"))
	_, a := call(t, s, token, "getFile", url.Values{"file_id": {up.Message.Document.FileID}})
	var f File
	json.Unmarshal(a.Result, &f)
	resp, err := http.Get(s.URL + "/file/bot" + token + "/" + f.FilePath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "%PDF" {
		t.Errorf("download = %q", body)
	}
	big := s.SendLargeDocument(u, "big.mov", MaxDownload+1)
	if status, a := call(t, s, token, "getFile", url.Values{"file_id": {big.Message.Document.FileID}}); status != 400 || !strings.Contains(a.Description, "file is too big") {
		t.Errorf("big file: %d %+v", status, a)
	}
	if status, a := call(t, s, token, "sendMessage", url.Values{"chat_id": {"10"}, "text": {"hello"}}); status != 200 || !a.OK {
		t.Errorf("sendMessage: %d %+v", status, a)
	}
	if sent := s.Sent(); len(sent) != 1 || sent[0].ChatID != 10 || sent[0].Text != "hello" {
		t.Errorf("sent = %+v", sent)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
