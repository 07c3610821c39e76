package fault

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestQueueAnswersInOrderByOperation(t *testing.T) {
	var q Queue
	q.Add(Fault{Op: "send", Status: 503, Body: `{"first":true}`})
	q.Add(Fault{Status: 429, Header: http.Header{"Retry-After": {"3"}}, Body: `{}`})
	q.Add(Fault{Op: "send", Status: 500, Body: `{"second":true}`})
	tests := []struct {
		name   string
		op     string
		status int    // 0: no fault, the real answer
		body   string // of a fault
	}{
		{name: "another operation skips the send faults", op: "list", status: 429, body: `{}`},
		{name: "first send fault", op: "send", status: 503, body: `{"first":true}`},
		{name: "second send fault", op: "send", status: 500, body: `{"second":true}`},
		{name: "queue empty", op: "send"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			handled := false
			answered := q.Answer(w, tc.op, func(http.ResponseWriter) { handled = true })
			if answered != (tc.status != 0) || handled {
				t.Fatalf("answered %v (real handler ran: %v), want %v", answered, handled, tc.status != 0)
			}
			if !answered {
				return
			}
			if w.Code != tc.status || w.Body.String() != tc.body || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("answer %d %q %v, want %d %q", w.Code, w.Body, w.Header(), tc.status, tc.body)
			}
			if tc.status == 429 && w.Header().Get("Retry-After") != "3" {
				t.Errorf("Retry-After = %q", w.Header().Get("Retry-After"))
			}
		})
	}
}

func TestLostAnswerDoesTheWork(t *testing.T) {
	var q Queue
	q.Add(Fault{Op: "send", Lose: true})
	did := false
	if !q.Answer(httptest.NewRecorder(), "send", func(http.ResponseWriter) { did = true }) || !did {
		t.Errorf("a lost answer must run the real handler (ran: %v)", did)
	}
}
