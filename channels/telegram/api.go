package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

// ConflictMessage is the error message of a 409 from getUpdates: Telegram
// serves one long poll per bot token.
const ConflictMessage = "another program is polling this bot (Telegram answered 409); stop it or use another bot token"

// maxAnswer bounds a Bot API answer read into memory (files are streamed).
const maxAnswer = 32 << 20

// lostAnswer explains a send whose answer never came.
const lostAnswer = "the connection to Telegram broke after the message was handed over: it may or may not have arrived"

// response is the envelope of every Bot API answer
// (https://core.telegram.org/bots/api#making-requests).
type response struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// call invokes a Bot API method with params sent as JSON and decodes the
// result into out (when not nil). timeout bounds the whole request.
func (c *Channel) call(ctx context.Context, method string, params any, out any, timeout time.Duration) error {
	return c.invoke(ctx, method, params, out, timeout, false)
}

// invoke is call; with sending set, a failure after the request was
// written (no answer, a broken connection, a 5xx) is *channels.Uncertain:
// the message may have left.
func (c *Channel) invoke(ctx context.Context, method string, params any, out any, timeout time.Duration, sending bool) error {
	body, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("telegram %s: encode parameters: %w", method, err)
	}
	return c.post(ctx, method, request{body: bytes.NewReader(body), length: int64(len(body)), typ: "application/json"}, out, timeout, sending)
}

// request is the body of a Bot API call: JSON, or multipart/form-data for
// an upload (https://core.telegram.org/bots/api#sending-files).
type request struct {
	body   io.Reader
	length int64
	typ    string
}

// post sends one Bot API request and decodes its answer (see invoke).
func (c *Channel) post(ctx context.Context, method string, body request, out any, timeout time.Duration, sending bool) error {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.base+"/bot"+c.token+"/"+method, body.body)
	if err != nil {
		return fmt.Errorf("telegram %s: %w", method, c.redact(err))
	}
	req.ContentLength = body.length
	req.Header.Set("Content-Type", body.typ)
	call := channels.APICall{Service: "Telegram", What: "telegram " + method, Sending: sending, Lost: lostAnswer,
		Clean: c.redact, Limit: maxAnswer}
	resp, data, err := call.Do(ctx, c.http, req)
	if err != nil {
		return err
	}
	if sending && resp.StatusCode >= 500 {
		return &channels.Uncertain{Err: inbox.Wrap(inbox.Unavailable,
			fmt.Errorf("telegram %s: HTTP %d: %s", method, resp.StatusCode, bytes.TrimSpace(data[:min(len(data), 200)])),
			fmt.Sprintf("Telegram failed (%d) while taking the message: it may or may not have arrived", resp.StatusCode))}
	}
	var r response
	if err := json.Unmarshal(data, &r); err != nil || (!r.OK && r.ErrorCode == 0 && resp.StatusCode == http.StatusOK) {
		if err == nil {
			err = errors.New("ok is false without an error code")
		}
		cause := fmt.Errorf("telegram %s: HTTP %d: not a Bot API answer: %w", method, resp.StatusCode, err)
		if resp.StatusCode == http.StatusUnauthorized {
			return inbox.Wrap(inbox.Auth, cause, "Telegram refused the bot token (401 Unauthorized): check the token @BotFather gave you")
		}
		if resp.StatusCode == http.StatusRequestEntityTooLarge {
			return inbox.Wrap(inbox.Invalid, cause, "Telegram refused "+method+": "+explainBadRequest("Request Entity Too Large"))
		}
		return inbox.Wrap(inbox.Unavailable, cause, fmt.Sprintf("Telegram answered HTTP %d with something that is not a Bot API answer; Couture will try again", resp.StatusCode))
	}
	if r.OK && resp.StatusCode == http.StatusOK {
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(r.Result, out); err != nil {
			return inbox.Wrap(inbox.Unavailable, fmt.Errorf("telegram %s: decode result: %w", method, err),
				"Telegram answered "+method+" with an unexpected result")
		}
		return nil
	}
	return apiError(method, resp, &r)
}

// apiError turns a Bot API error answer into a domain error.
func apiError(method string, resp *http.Response, r *response) error {
	code := r.ErrorCode
	if code == 0 {
		code = resp.StatusCode
	}
	cause := fmt.Errorf("telegram %s: %d %s", method, code, r.Description)
	desc := strings.TrimSpace(r.Description)
	switch {
	case code == http.StatusUnauthorized:
		return inbox.Wrap(inbox.Auth, cause, "Telegram refused the bot token (401 Unauthorized): check the token @BotFather gave you")
	case code == http.StatusNotFound:
		return inbox.Wrap(inbox.Auth, cause, "Telegram does not know this bot token (404 Not Found): check the token @BotFather gave you")
	case code == http.StatusConflict:
		if strings.Contains(strings.ToLower(desc), "webhook") {
			return inbox.Wrap(inbox.Conflict, cause, "a webhook is set for this bot (Telegram answered 409); another program receives its messages: remove it or use another bot token")
		}
		return inbox.Wrap(inbox.Conflict, cause, ConflictMessage)
	case code == http.StatusTooManyRequests:
		wait := 0
		if r.Parameters != nil {
			wait = r.Parameters.RetryAfter
		}
		if wait <= 0 {
			wait = retryAfterHeader(resp.Header.Get("Retry-After"))
		}
		if wait <= 0 {
			wait = 1
		}
		return &channels.RetryAfter{
			Wait: time.Duration(wait) * time.Second,
			Err:  inbox.Wrap(inbox.Unavailable, cause, fmt.Sprintf("Telegram asks Couture to slow down (429 Too Many Requests); retrying in %d s", wait)),
		}
	case code >= 500:
		return inbox.Wrap(inbox.Unavailable, cause, fmt.Sprintf("Telegram is unavailable (%d); Couture will try again", code))
	case code == http.StatusForbidden:
		return inbox.Wrap(inbox.Invalid, cause, "Telegram refused: "+explainForbidden(desc))
	}
	return inbox.Wrap(inbox.Invalid, cause, "Telegram refused "+method+": "+explainBadRequest(desc))
}

func explainForbidden(desc string) string {
	switch {
	case strings.Contains(desc, "blocked by the user"):
		return "the customer has blocked the bot"
	case strings.Contains(desc, "user is deactivated"):
		return "the customer's Telegram account was deleted"
	case desc == "":
		return "403 Forbidden"
	}
	return desc
}

func explainBadRequest(desc string) string {
	switch {
	case strings.Contains(desc, "chat not found"):
		return "chat not found (a bot can only write to people who wrote to it first)"
	case strings.Contains(desc, "message is too long"):
		return fmt.Sprintf("the message is too long (at most %d characters)", MaxText)
	case strings.Contains(desc, "caption is too long"):
		return fmt.Sprintf("the caption is too long (at most %d characters)", MaxCaption)
	case strings.Contains(desc, "Request Entity Too Large"):
		return "the file is too large (bots send files of at most 50 MB)"
	case desc == "":
		return "400 Bad Request"
	}
	return strings.TrimPrefix(desc, "Bad Request: ")
}

func retryAfterHeader(v string) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var n int
	if _, err := fmt.Sscanf(v, "%d", &n); err == nil {
		return n
	}
	if t, err := http.ParseTime(v); err == nil {
		return int(time.Until(t).Seconds() + 0.999)
	}
	return 0
}

// redact removes the bot token from an error: the token is part of every
// Bot API URL, and net/http puts URLs in its errors.
func (c *Channel) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	if c.token != "" && strings.Contains(err.Error(), c.token) {
		return errors.New(strings.ReplaceAll(err.Error(), c.token, "<token>"))
	}
	return err
}
