package inbox

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestErrors(t *testing.T) {
	internal := fmt.Errorf("bbolt: %w", fs.ErrPermission)
	tests := []struct {
		name    string
		err     error
		code    Code
		explain string
		text    string
	}{
		{name: "nil", err: nil, code: "", explain: ""},
		{
			name: "plain error", err: errors.New("connection reset"),
			code: "", explain: "connection reset", text: "connection reset",
		},
		{
			name: "domain error", err: Errorf(NotFound, "customer %d does not exist", 42),
			code: NotFound, explain: "customer 42 does not exist", text: "customer 42 does not exist",
		},
		{
			name: "wrapped with %w", err: fmt.Errorf("reply to 42: %w", Errorf(Invalid, "the answer is empty")),
			code: Invalid, explain: "the answer is empty", text: "reply to 42: the answer is empty",
		},
		{
			name: "wrapped twice", err: fmt.Errorf("cli: %w", fmt.Errorf("reply: %w", Errorf(Conflict, "already sent"))),
			code: Conflict, explain: "already sent", text: "cli: reply: already sent",
		},
		{
			name: "internal cause is logged, not explained", err: Wrap(Unavailable, internal, "the inbox is open in another window"),
			code: Unavailable, explain: "the inbox is open in another window", text: "the inbox is open in another window: bbolt: permission denied",
		},
		{
			name: "outer domain error wins", err: Wrap(Auth, Errorf(NotFound, "no such account"), "the password was refused"),
			code: Auth, explain: "the password was refused", text: "the password was refused: no such account",
		},
		{
			name: "wrapped with %v loses the code", err: fmt.Errorf("reply: %v", Errorf(Invalid, "the answer is empty")),
			code: "", explain: "reply: the answer is empty", text: "reply: the answer is empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.code {
				t.Errorf("ErrorCode = %q, want %q", got, tt.code)
			}
			if got := Explain(tt.err); got != tt.explain {
				t.Errorf("Explain = %q, want %q", got, tt.explain)
			}
			if tt.err != nil && tt.err.Error() != tt.text {
				t.Errorf("Error() = %q, want %q", tt.err.Error(), tt.text)
			}
		})
	}
}

func TestWrapUnwraps(t *testing.T) {
	err := fmt.Errorf("open store: %w", Wrap(Unavailable, fs.ErrPermission, "cannot open the inbox"))
	if !errors.Is(err, fs.ErrPermission) {
		t.Error("errors.Is does not reach the internal cause")
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != Unavailable {
		t.Errorf("errors.As = %v, want the domain error", e)
	}
}
