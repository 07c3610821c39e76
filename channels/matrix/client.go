package matrix

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
	"sync"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

// apiError is the standard error body of the client-server API
// (spec: "Standard error response"), plus the HTTP status it came with.
type apiError struct {
	Status       int    `json:"-"`
	Code         string `json:"errcode"`
	Message      string `json:"error"`
	RetryAfterMS int64  `json:"retry_after_ms"`
	SoftLogout   bool   `json:"soft_logout"`
}

func (e *apiError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// errCode returns the Matrix errcode of err ("" when it carries none).
func errCode(err error) string {
	var e *apiError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// client speaks the Matrix client-server API over net/http. It owns the
// access token: it logs in on first use and again when the server answers
// 401 M_UNKNOWN_TOKEN, always with the same device_id, so the server's
// per-device state (transaction ids, the device list people see) stays one
// device per account. Safe for concurrent use.
type client struct {
	base     *url.URL
	user     string
	password string
	device   string
	http     *http.Client

	mu    sync.Mutex
	token string
	// loginErr remembers a refused password so a wrong secret is not tried
	// again on every request (servers lock accounts that do that).
	loginErr error
}

// login performs m.login.password and keeps the token in memory
// (spec: POST /_matrix/client/v3/login).
func (c *client) login(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loginErr != nil {
		return "", c.loginErr
	}
	body := map[string]any{
		"type":                        "m.login.password",
		"identifier":                  map[string]string{"type": "m.id.user", "user": c.user},
		"password":                    c.password,
		"device_id":                   c.device,
		"initial_device_display_name": "Couture",
	}
	var out struct {
		AccessToken string `json:"access_token"`
		UserID      string `json:"user_id"`
		DeviceID    string `json:"device_id"`
	}
	path := "/_matrix/client/v3/login"
	err := c.call(ctx, http.MethodPost, path, nil, body, jsonInto(http.MethodPost, path, &out), "")
	if err != nil {
		var e *apiError
		if errors.As(err, &e) && (e.Code == "M_FORBIDDEN" || e.Code == "M_USER_DEACTIVATED" ||
			e.Code == "M_INVALID_USERNAME" || e.Status == http.StatusForbidden) {
			c.loginErr = inbox.Wrap(inbox.Auth, err, fmt.Sprintf("the Matrix homeserver refused the password of %s", c.user))
			return "", c.loginErr
		}
		return "", fmt.Errorf("log in as %s: %w", c.user, err)
	}
	if out.AccessToken == "" {
		return "", inbox.Errorf(inbox.Unavailable, "the Matrix homeserver answered the login of %s without an access token", c.user)
	}
	c.token = out.AccessToken
	return c.token, nil
}

// accessToken returns the current token, logging in when there is none.
func (c *client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	return c.login(ctx)
}

// expire forgets tok (when it is still the current one) so the next request
// logs in again.
func (c *client) expire(tok string) {
	c.mu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.mu.Unlock()
}

// do sends an authenticated request and decodes a JSON answer into out
// (when not nil). A 401 M_UNKNOWN_TOKEN logs in once more and repeats the
// request; 429 becomes *channels.RetryAfter; transport failures and 5xx
// become inbox.Unavailable.
func (c *client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return c.doDecode(ctx, method, path, query, body, jsonInto(method, path, out))
}

// doDecode is do with the answer's body handed to decode.
func (c *client) doDecode(ctx context.Context, method, path string, query url.Values, body any, decode func(io.Reader) error) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		err = c.call(ctx, method, path, query, body, decode, tok)
		if errCode(err) == "M_UNKNOWN_TOKEN" && attempt == 0 {
			c.expire(tok)
			continue
		}
		return err
	}
}

// jsonInto decodes a JSON answer into out; nil out discards the answer.
func jsonInto(method, path string, out any) func(io.Reader) error {
	return func(r io.Reader) error {
		if out == nil {
			_, err := io.Copy(io.Discard, r)
			return err
		}
		if err := json.NewDecoder(r).Decode(out); err != nil {
			return inbox.Wrap(inbox.Unavailable, fmt.Errorf("%s %s: decode answer: %w", method, path, err),
				"the Matrix homeserver sent an answer Couture cannot read")
		}
		return nil
	}
}

// requestTimeout bounds a request that has no deadline of its own, so a
// dead connection never blocks the account's goroutine forever.
const requestTimeout = 2 * time.Minute

// call is one HTTP round trip. tok is "" for unauthenticated endpoints.
func (c *client) call(ctx context.Context, method, path string, query url.Values, body any, decode func(io.Reader) error, tok string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
		defer cancel()
	}
	resp, err := c.send(ctx, method, path, query, body, tok)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := decode(resp.Body); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return nil
}

// send performs the request and returns a 2xx response whose body the
// caller closes; any other status is turned into an error here.
func (c *client) send(ctx context.Context, method, path string, query url.Values, body any, tok string) (*http.Response, error) {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawPath = ""
	if p, err := url.PathUnescape(u.Path); err == nil && p != u.Path {
		u.RawPath = u.Path
		u.Path = p
	}
	u.RawQuery = query.Encode()
	var (
		rd    io.Reader
		ctype string
	)
	switch b := body.(type) {
	case nil:
	case upload:
		rd, ctype = bytes.NewReader(b.data), b.typ
	default:
		js, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		rd, ctype = bytes.NewReader(js), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, inbox.Wrap(inbox.Unavailable, fmt.Errorf("%s %s: %w", method, path, err),
			"cannot reach the Matrix homeserver "+c.base.Host)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, statusError(method, path, resp)
}

// upload is a raw request body with its media type (media uploads). Any
// other body is sent as JSON.
type upload struct {
	data []byte
	typ  string
}

// statusError turns a non-2xx answer into an error the Engine and the Desk
// understand (spec: "Standard error response", "Rate limiting").
func statusError(method, path string, resp *http.Response) error {
	e := &apiError{Status: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, e) != nil || (e.Code == "" && e.Message == "") {
		e.Message = strings.TrimSpace(string(b))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200]
		}
	}
	err := fmt.Errorf("%s %s: %w", method, path, e)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || e.Code == "M_LIMIT_EXCEEDED":
		wait := time.Duration(e.RetryAfterMS) * time.Millisecond
		if h := resp.Header.Get("Retry-After"); wait <= 0 && h != "" {
			if d, perr := time.ParseDuration(h + "s"); perr == nil {
				wait = d
			}
		}
		if wait <= 0 {
			wait = 5 * time.Second
		}
		return &channels.RetryAfter{Wait: wait, Err: inbox.Wrap(inbox.Unavailable, err, "the Matrix homeserver asks Couture to slow down")}
	case e.Code == "M_TOO_LARGE" || resp.StatusCode == http.StatusRequestEntityTooLarge:
		return inbox.Wrap(inbox.Invalid, err, "the message is too large for Matrix")
	case resp.StatusCode >= 500:
		return inbox.Wrap(inbox.Unavailable, err, "the Matrix homeserver has a problem; Couture will try again")
	}
	return err
}
