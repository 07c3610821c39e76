package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

// Twilio error codes the channel explains (https://www.twilio.com/docs/api/errors).
const (
	codeAuthenticate    = 20003
	codeNotFound        = 20404
	codeTooManyRequests = 20429
	codeInvalidTo       = 21211
	codeFromNotOwned    = 21606
	codeFromInvalid     = 21212
	codeRegion          = 21408
	codeUnsubscribed    = 21610
	codeBodyTooLong     = 21617
	codeNotSMSCapable   = 21659
	codeNoChannel       = 63007
	codeOutsideWindow   = 63016
)

// WindowMessage explains Twilio error 63016 and the refusal Send gives
// before it happens.
const WindowMessage = "WhatsApp lets a business answer freely only within 24 hours of the customer's last WhatsApp message, and this conversation is outside that window: send an approved WhatsApp template from Twilio, or answer by SMS"

// maxAnswer bounds an API answer read into memory (media are streamed).
const maxAnswer = 16 << 20

// apiError is Twilio's error object.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// get fetches uri (a path from the API root, with its query, or an
// absolute URL on the API host) into out.
func (c *Channel) get(ctx context.Context, uri string, out any) error {
	return c.do(ctx, http.MethodGet, uri, nil, out)
}

// post creates a resource from form fields. A failure after the request
// was written (no answer, a broken connection, a 5xx) is
// *channels.Uncertain: the resource may exist.
func (c *Channel) post(ctx context.Context, path string, form url.Values, out any) error {
	return c.do(ctx, http.MethodPost, path, form, out)
}

// lostAnswer explains a create whose answer never came.
const lostAnswer = "the connection to Twilio broke after the message was handed over: it may or may not have left"

func (c *Channel) do(ctx context.Context, method, uri string, form url.Values, out any) error {
	creating := method == http.MethodPost
	u, err := c.resolve(uri)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(rctx, method, u, body)
	if err != nil {
		return fmt.Errorf("twilio %s %s: %w", method, trimQuery(uri), err)
	}
	req.SetBasicAuth(c.user, c.secret)
	req.Header.Set("Accept", "application/json")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	call := channels.APICall{Service: "Twilio", What: "twilio " + method + " " + trimQuery(uri), Sending: creating,
		Lost: lostAnswer, Clean: unwrapURL, Limit: maxAnswer}
	resp, data, err := call.Do(ctx, c.http, req)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return inbox.Wrap(inbox.Unavailable, fmt.Errorf("twilio %s %s: decode answer: %w", method, trimQuery(uri), err),
				"Twilio answered with something Couture cannot read; it will try again")
		}
		return nil
	}
	var e apiError
	_ = json.Unmarshal(data, &e)
	err = classify(method+" "+trimQuery(uri), resp.StatusCode, resp.Header, e)
	if creating && resp.StatusCode >= 500 {
		return &channels.Uncertain{Err: inbox.Wrap(inbox.Unavailable, err,
			fmt.Sprintf("Twilio failed (%d) while taking the message: it may or may not have left", resp.StatusCode))}
	}
	return err
}

// resolve turns an API path into a URL on the configured base; absolute
// URLs must stay on the API host, since they carry the credentials.
func (c *Channel) resolve(uri string) (string, error) {
	if strings.HasPrefix(uri, "/") {
		return c.base + uri, nil
	}
	u, err := url.Parse(uri)
	if err != nil || u.Host != c.host {
		return "", inbox.Errorf(inbox.Unavailable, "Twilio pointed to %q, outside its API; Couture will not send the credentials there", uri)
	}
	return uri, nil
}

// classify turns a Twilio error answer into a domain error.
func classify(what string, status int, h http.Header, e apiError) error {
	cause := fmt.Errorf("twilio %s: HTTP %d, error %d: %s", what, status, e.Code, e.Message)
	msg := strings.TrimSpace(e.Message)
	switch {
	case status == http.StatusTooManyRequests || e.Code == codeTooManyRequests:
		wait := retryAfter(h.Get("Retry-After"))
		return &channels.RetryAfter{Wait: wait, Err: inbox.Wrap(inbox.Unavailable, cause,
			fmt.Sprintf("Twilio asks Couture to slow down (429, error 20429); retrying in %s", wait))}
	case status == http.StatusUnauthorized || e.Code == codeAuthenticate:
		return inbox.Wrap(inbox.Auth, cause, "Twilio refused the credentials (error 20003): check the Account SID and the auth token (or API key and secret)")
	case status == http.StatusForbidden:
		return inbox.Wrap(inbox.Auth, cause, "Twilio forbids this request with these credentials (403): "+orDefault(msg, "check the API key's permissions"))
	case e.Code == codeOutsideWindow:
		return inbox.Wrap(inbox.Invalid, cause, WindowMessage+" (Twilio error 63016)")
	case e.Code == codeInvalidTo:
		return inbox.Wrap(inbox.Invalid, cause, "Twilio says the customer's number is not a valid phone number (error 21211): "+msg)
	case e.Code == codeUnsubscribed:
		return inbox.Wrap(inbox.Invalid, cause, "the customer unsubscribed from this number by replying STOP (error 21610); they must reply START before they can receive messages again")
	case e.Code == codeBodyTooLong:
		return inbox.Wrap(inbox.Invalid, cause, fmt.Sprintf("the answer is longer than the %d characters Twilio accepts (error 21617)", MaxBody))
	case e.Code == codeFromNotOwned || e.Code == codeFromInvalid || e.Code == codeNotSMSCapable || e.Code == codeNoChannel:
		return inbox.Wrap(inbox.Invalid, cause, fmt.Sprintf("the sending number is not one this Twilio account can send from (error %d): %s", e.Code, msg))
	case e.Code == codeRegion:
		return inbox.Wrap(inbox.Invalid, cause, "the Twilio account is not allowed to send to this country (error 21408): enable it in the console's geographic permissions")
	case status == http.StatusNotFound || e.Code == codeNotFound:
		return inbox.Wrap(inbox.NotFound, cause, "Twilio does not know this resource (404): check the Account SID")
	case status >= 500:
		return inbox.Wrap(inbox.Unavailable, cause, fmt.Sprintf("Twilio is unavailable (%d); Couture will try again", status))
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	if e.Code != 0 {
		msg += " (error " + strconv.Itoa(e.Code) + ")"
	}
	return inbox.Wrap(inbox.Invalid, cause, "Twilio refused: "+msg)
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); 1 s
// when absent, as Twilio's 429s are about concurrency and clear quickly.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d.Round(time.Second)
		}
	}
	return time.Second
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func trimQuery(uri string) string {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		return uri[:i]
	}
	return uri
}

// unwrapURL drops the URL net/http puts in its errors: a next_page_uri
// carries customers' phone numbers, which do not belong in logs.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
