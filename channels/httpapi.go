package channels

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/couture/couture/inbox"
)

// APICall is one request to a channel's HTTP API (Telegram's Bot API,
// Twilio's REST API). Do sends it and reads the answer, turning what goes
// wrong on the way into the errors the Engine and the Outbox act on; the
// channel reads the answer itself.
type APICall struct {
	// Service names the API in the messages the user reads: "Telegram".
	Service string
	// What names the request in the causes: "telegram sendMessage".
	What string
	// Sending marks a request that hands a message over: once it is
	// written, an answer that never comes or breaks leaves the message
	// maybe sent, and Do says so with *Uncertain explained by Lost.
	Sending bool
	Lost    string
	// Clean strips from a transport error what must not reach the logs (a
	// token, a URL with customers' numbers); nil keeps errors as they are.
	Clean func(error) error
	// Limit bounds the answer read into memory, in bytes.
	Limit int64
}

// Do sends req with client and returns the answer, its body read (at most
// Limit bytes) and closed. ctx is the caller's context, while req's may be
// shorter (a timeout): when ctx has ended, Do returns ctx.Err(). A request
// that does not get through, or whose answer breaks, is inbox.Unavailable
// (Couture will try again), or *Uncertain when Sending and the message may
// have been taken: the request was written, or the answer began.
func (c APICall) Do(ctx context.Context, client *http.Client, req *http.Request) (*http.Response, []byte, error) {
	var wrote atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) },
	}))
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		cause := fmt.Errorf("%s: %w", c.What, c.clean(err))
		if c.Sending && wrote.Load() {
			return nil, nil, &Uncertain{Err: inbox.Wrap(inbox.Unavailable, cause, c.Lost)}
		}
		return nil, nil, inbox.Wrap(inbox.Unavailable, cause, "cannot reach "+c.Service+"; Couture will try again")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.Limit))
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		cause := fmt.Errorf("%s: read answer: %w", c.What, c.clean(err))
		if c.Sending {
			return nil, nil, &Uncertain{Err: inbox.Wrap(inbox.Unavailable, cause, c.Lost)}
		}
		return nil, nil, inbox.Wrap(inbox.Unavailable, cause, "the connection to "+c.Service+" broke; Couture will try again")
	}
	return resp, data, nil
}

func (c APICall) clean(err error) error {
	if c.Clean == nil {
		return err
	}
	return c.Clean(err)
}

// APIBase checks raw, the api_url setting (SetAPIURL) of an account on an
// HTTP API, and returns it as the base URL requests start with (no query,
// no trailing slash) and its host. It must be an http or https URL, and
// https unless the host is this machine: secret names what would travel in
// clear ("the bot token").
func APIBase(raw, secret string) (base, host string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", "", inbox.Errorf(inbox.Invalid, "api_url %q is not an http(s) URL", raw)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return "", "", inbox.Errorf(inbox.Invalid, "api_url %q must use https: %s would travel in clear", raw, secret)
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"), u.Host, nil
}

// loopback reports whether host is this machine: localhost or a loopback
// address.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
