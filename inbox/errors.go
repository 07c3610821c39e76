package inbox

import (
	"errors"
	"fmt"
)

// Code classifies an error at the domain boundary so callers (GUI, CLI, channels)
// can react without parsing text.
type Code string

// Error codes.
const (
	Invalid     Code = "invalid"     // the request itself is wrong; fix the input
	NotFound    Code = "not-found"   // the customer, message or merge does not exist
	Conflict    Code = "conflict"    // the request contradicts the current state
	Unavailable Code = "unavailable" // a resource is busy or unreachable; try again later
	Auth        Code = "auth"        // credentials were refused
)

// Error is a domain error: a code plus a message a person can act on. The
// wrapped error carries the internal details for logs; it is not shown.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a domain error with a formatted, human-readable message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a code and a human-readable message to an internal error.
func Wrap(code Code, err error, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first domain error in err's chain, or ""
// when err carries none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Explain returns the human-readable message of the first domain error in
// err's chain, or err's own text when none is found.
func Explain(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if err == nil {
		return ""
	}
	return err.Error()
}
