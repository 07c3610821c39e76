// Package twilio is a stateful fake of Twilio's Programmable Messaging REST
// API (2010-04-01) for tests: an httptest server holding one account's
// phone numbers, WhatsApp senders, messages and media, written from
// Twilio's documentation and checked against its published OpenAPI
// description (an excerpt is embedded: openapi.json).
//
// It serves FetchAccount, ListIncomingPhoneNumber, ListMessage (To, From,
// DateSent, DateSent<, DateSent> filters; newest first; PageSize, Page,
// PageToken and next_page_uri paging), CreateMessage, FetchMessage,
// ListMedia, FetchMedia and the media content URL (a redirect to a CDN
// path, as Twilio does). Every request is checked: HTTP Basic auth with the
// Account SID and auth token or an API key SID and secret (401, code 20003);
// the path, query and form parameters against the OpenAPI excerpt (an
// undeclared or malformed parameter is a 400 and a recorded violation);
// then the documented business rules: a From the account owns (21606,
// 63007), a valid To (21211), a body (21602) of at most 1600 characters
// (21617), same channel on both ends (21910), no unsubscribed recipient
// (21610). A WhatsApp message outside the 24-hour customer-service window
// is accepted (201, queued) and then fails with error 63016, as on Twilio.
//
// Errors come back as Twilio's error object
// {"code","message","more_info","status"}; tests can inject any answer
// (FailNext, FailOperation), 429 Too Many Requests with Retry-After
// (RateLimitNext), slow answers (SetDelay) and small pages (SetMaxPageSize).
package twilio

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/couture/couture/internal/fakes/fault"
)

// MaxBody is the longest message body Twilio accepts, in characters.
const MaxBody = 1600

// Error codes the fake answers with (https://www.twilio.com/docs/api/errors).
const (
	CodeAuthenticate      = 20003
	CodeNotFound          = 20404
	CodeTooManyRequests   = 20429
	CodeBodyRequired      = 21602
	CodeFromRequired      = 21603
	CodeToRequired        = 21604
	CodeFromNotOwned      = 21606
	CodeUnsubscribed      = 21610
	CodeBodyTooLong       = 21617
	CodeInvalidTo         = 21211
	CodeChannelMismatch   = 21910
	CodeNoWhatsAppChannel = 63007
	CodeOutsideWindow     = 63016
	CodeInvalidParameter  = 20001
)

// WindowMessage is Twilio's error_message for code 63016.
const WindowMessage = "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template."

// Message is a Message resource as the API renders it
// (components/schemas/api.v2010.account.message).
type Message struct {
	AccountSID          string            `json:"account_sid"`
	APIVersion          string            `json:"api_version"`
	Body                string            `json:"body"`
	DateCreated         string            `json:"date_created"`
	DateSent            *string           `json:"date_sent"`
	DateUpdated         string            `json:"date_updated"`
	Direction           string            `json:"direction"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	From                string            `json:"from"`
	MessagingServiceSID *string           `json:"messaging_service_sid"`
	NumMedia            string            `json:"num_media"`
	NumSegments         string            `json:"num_segments"`
	Price               *string           `json:"price"`
	PriceUnit           *string           `json:"price_unit"`
	SID                 string            `json:"sid"`
	Status              string            `json:"status"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
	To                  string            `json:"to"`
	URI                 string            `json:"uri"`
}

// Media is a file attached to an inbound message.
type Media struct {
	ContentType string
	Data        []byte
}

// Sent is a message the client created, with the form it posted.
type Sent struct {
	Message Message
	Form    url.Values
}

// Request is one API request the fake received.
type Request struct {
	Method    string
	Path      string
	Operation string // OpenAPI operationId, "" when none matched
	Query     url.Values
	Form      url.Values
	User      string // Basic-auth user
	At        time.Time
}

type record struct {
	seq      int
	sid      string
	from, to string
	body     string
	dir      string
	status   string
	errCode  int
	created  time.Time
	sent     time.Time // zero: not sent yet
	updated  time.Time
	media    []mediaItem
	segments int
}

type mediaItem struct {
	sid, contentType string
	data             []byte
	created          time.Time
}

// Server is a fake Twilio REST API for one account. It is safe for
// concurrent use.
type Server struct {
	// URL is the API base URL, the value of the account's api_url setting.
	URL string
	// AccountSID and AuthToken are the credentials it accepts.
	AccountSID, AuthToken string

	srv  *httptest.Server
	spec *spec

	mu          sync.Mutex
	now         func() time.Time
	keys        map[string]string // API key SID → secret
	numbers     map[string]string // SMS number → PN sid
	whatsapp    map[string]bool
	optedOut    map[string]bool
	messages    []*record
	bySID       map[string]*record
	media       map[string]*mediaItem // by ME sid
	cdn         map[string]*mediaItem // by CDN token
	seq         int
	faults      fault.Queue
	maxPage     int
	requests    []Request
	violations  []string
	sent        []Sent
	friendly    string
	statusAcct  string
	acceptedAt  map[string]time.Time
	mediaGetter int
	served      chan struct{} // closed when media content is served
}

// New starts a fake Twilio API for an account (SID AC + 32 hex digits)
// with its auth token. Close it when done.
func New(accountSID, authToken string) *Server {
	sp, err := loadSpec()
	if err != nil {
		panic(err) // the embedded description is part of the package
	}
	s := &Server{
		AccountSID: accountSID, AuthToken: authToken,
		spec:       sp,
		now:        time.Now,
		keys:       map[string]string{},
		numbers:    map[string]string{},
		whatsapp:   map[string]bool{},
		optedOut:   map[string]bool{},
		bySID:      map[string]*record{},
		media:      map[string]*mediaItem{},
		cdn:        map[string]*mediaItem{},
		friendly:   "Couture Shop",
		statusAcct: "active",
		acceptedAt: map[string]time.Time{},
		served:     make(chan struct{}),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// SID returns a resource SID: prefix and 32 hex digits derived from n.
func SID(prefix string, n int) string { return fmt.Sprintf("%s%032x", prefix, n) }

// AddNumber gives the account an SMS/MMS phone number (E.164).
func (s *Server) AddNumber(e164 string) {
	s.mu.Lock()
	s.seq++
	s.numbers[e164] = SID("PN", s.seq)
	s.mu.Unlock()
}

// AddWhatsAppSender registers an E.164 number as the account's WhatsApp
// sender (whatsapp:+… addresses).
func (s *Server) AddWhatsAppSender(e164 string) {
	s.mu.Lock()
	s.whatsapp[e164] = true
	s.mu.Unlock()
}

// AddAPIKey lets an API key (SID SK…) and its secret authenticate.
func (s *Server) AddAPIKey(sid, secret string) {
	s.mu.Lock()
	s.keys[sid] = secret
	s.mu.Unlock()
}

// SetAuthToken changes the accepted auth token (a rotated token: the old one
// gets 401).
func (s *Server) SetAuthToken(token string) {
	s.mu.Lock()
	s.AuthToken = token
	s.mu.Unlock()
}

// SetAccountStatus sets the account's status: active, suspended or closed.
func (s *Server) SetAccountStatus(status string) {
	s.mu.Lock()
	s.statusAcct = status
	s.mu.Unlock()
}

// OptOut records that number replied STOP: messages to it fail with 21610.
func (s *Server) OptOut(number string) {
	s.mu.Lock()
	s.optedOut[number] = true
	s.mu.Unlock()
}

// SetClock makes the fake stamp messages with now instead of time.Now.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// SetDelay makes every API answer wait d first.
func (s *Server) SetDelay(d time.Duration) { s.faults.SetDelay(d) }

// SetMaxPageSize caps list pages at n items whatever PageSize asks (0: no
// cap beyond Twilio's 1000), to exercise paging.
func (s *Server) SetMaxPageSize(n int) {
	s.mu.Lock()
	s.maxPage = n
	s.mu.Unlock()
}

// FailNext makes the next API request answer status with body; an empty
// body is Twilio's error object for status.
func (s *Server) FailNext(status int, body string) { s.FailOperation("", status, body) }

// FailOperation makes the next request of an OpenAPI operation
// ("CreateMessage", "ListMessage", "ListMedia"…; "" for any) answer status
// with body (Twilio's error object for status when empty).
func (s *Server) FailOperation(op string, status int, body string) {
	if body == "" {
		body = errorBody(status, 20000+status, http.StatusText(status))
	}
	s.faults.Add(fault.Fault{Op: op, Status: status, Body: body})
}

// FailCode makes the next request of op answer status with Twilio's error
// object carrying code and message.
func (s *Server) FailCode(op string, status, code int, message string) {
	s.FailOperation(op, status, errorBody(status, code, message))
}

// LoseAnswer makes the next request of op succeed on the server (a message
// is created…) but hang up before answering, as a connection lost at the
// worst moment.
func (s *Server) LoseAnswer(op string) {
	s.faults.Add(fault.Fault{Op: op, Lose: true})
}

// RateLimitNext makes the next request of op ("" for any) answer 429 with
// error 20429 and Retry-After: seconds.
func (s *Server) RateLimitNext(op string, seconds int) {
	s.faults.Add(fault.Fault{Op: op, Status: http.StatusTooManyRequests,
		Body:   errorBody(http.StatusTooManyRequests, CodeTooManyRequests, "Too Many Requests"),
		Header: http.Header{"Retry-After": {strconv.Itoa(seconds)}}})
}

// AddInbound stores a message received from a customer: from is their
// number ("+33…" for SMS, "whatsapp:+33…"), to one of the account's. It is
// dated now by the fake's clock and returns the resource.
func (s *Server) AddInbound(from, to, body string, media ...Media) Message {
	return s.AddInboundAt(time.Time{}, from, to, body, media...)
}

// AddInboundAt is AddInbound dated at (now when zero).
func (s *Server) AddInboundAt(at time.Time, from, to, body string, media ...Media) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC().Truncate(time.Second)
	prefix := "SM"
	if len(media) > 0 {
		prefix = "MM"
	}
	r := s.newRecord(prefix, from, to, body, "inbound", at)
	r.status, r.sent = "received", at
	for _, m := range media {
		s.seq++
		mi := &mediaItem{sid: SID("ME", s.seq), contentType: m.ContentType, data: append([]byte(nil), m.Data...), created: at}
		r.media = append(r.media, *mi)
		s.media[mi.sid] = mi
	}
	s.acceptedAt[r.sid] = time.Now()
	return s.render(r)
}

// AcceptedAt returns when AddInbound stored the message.
func (s *Server) AcceptedAt(sid string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acceptedAt[sid]
}

// SetStatus moves a message to status (queued, sending, sent, delivered,
// undelivered, failed, read…) with an error code (0 for none).
func (s *Server) SetStatus(sid, status string, errorCode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.bySID[sid]
	if !ok {
		panic("twilio fake: no message " + sid)
	}
	r.status, r.errCode, r.updated = status, errorCode, s.now().UTC()
	if r.sent.IsZero() && status != "queued" && status != "accepted" && status != "scheduled" {
		r.sent = r.updated.Truncate(time.Second)
	}
}

// Message returns a message resource by SID.
func (s *Server) Message(sid string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.bySID[sid]
	if !ok {
		return Message{}, false
	}
	return s.render(r), true
}

// Sent returns the messages the client created, oldest first.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Requests returns the API requests received, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Violations lists requests that broke the OpenAPI description.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// MediaDownloads counts the media content fetched.
func (s *Server) MediaDownloads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mediaGetter
}

// WaitMediaDownloads blocks until n media contents have been served, or
// ctx ends.
func (s *Server) WaitMediaDownloads(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		done, served := s.mediaGetter >= n, s.served
		s.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-served:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d media downloads: %w", n, ctx.Err())
		}
	}
}

// newRecord stores a message; called with s.mu held.
func (s *Server) newRecord(prefix, from, to, body, dir string, at time.Time) *record {
	s.seq++
	r := &record{seq: s.seq, sid: SID(prefix, s.seq), from: from, to: to, body: body, dir: dir,
		created: at, updated: at, segments: segments(body)}
	s.messages = append(s.messages, r)
	s.bySID[r.sid] = r
	return r
}

var (
	mediaContent = regexp.MustCompile(`^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages/((?:SM|MM)[0-9a-fA-F]{32})/Media/(ME[0-9a-fA-F]{32})$`)
	e164         = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if !s.faults.Wait(r) {
		return
	}
	if tok, ok := strings.CutPrefix(r.URL.Path, "/cdn/"); ok {
		s.serveCDN(w, r, tok)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalidParameter, "fake Twilio: unreadable request: "+err.Error())
		return
	}
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Form: r.PostForm, At: time.Now()}
	user, pass, hasAuth := r.BasicAuth()
	req.User = user
	op, params, found := s.spec.match(r.Method, r.URL.Path)
	if op != nil {
		req.Operation = op.ID
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	account, token, secret := s.AccountSID, s.AuthToken, s.keys[user]
	s.mu.Unlock()

	if !hasAuth || !((user == account && pass == token) || (secret != "" && pass == secret)) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeError(w, http.StatusUnauthorized, CodeAuthenticate, "Authenticate")
		return
	}
	if m := mediaContent.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
		s.redirectMedia(w, r, m[1], m[2], m[3])
		return
	}
	if !found {
		writeError(w, http.StatusNotFound, CodeNotFound, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if op == nil {
		writeError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}
	if err := op.checkPath(params); err != nil {
		s.violation("%s %s: %v", r.Method, r.URL.Path, err)
		writeError(w, http.StatusNotFound, CodeNotFound, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if err := op.checkQuery(r.URL.Query()); err != nil {
		s.violation("%s: %v", op.ID, err)
		writeError(w, http.StatusBadRequest, CodeInvalidParameter, "fake Twilio: "+err.Error())
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method == http.MethodPost || len(r.PostForm) > 0 {
		if err := op.checkForm(ct, r.PostForm); err != nil {
			s.violation("%s: %v", op.ID, err)
			writeError(w, http.StatusBadRequest, CodeInvalidParameter, "fake Twilio: "+err.Error())
			return
		}
	}
	acct := params["AccountSid"]
	if acct == "" {
		acct = params["Sid"]
	}
	if acct != account {
		writeError(w, http.StatusNotFound, CodeNotFound, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if s.faults.Answer(w, op.ID, func(w http.ResponseWriter) { s.dispatch(w, r, op, params) }) {
		return
	}
	s.dispatch(w, r, op, params)
}

// dispatch runs an operation.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, op *operation, params map[string]string) {
	switch op.ID {
	case "FetchAccount":
		s.fetchAccount(w)
	case "ListIncomingPhoneNumber":
		s.listNumbers(w, r)
	case "ListMessage":
		s.listMessages(w, r)
	case "CreateMessage":
		s.createMessage(w, r.PostForm)
	case "FetchMessage":
		s.fetchMessage(w, params["Sid"])
	case "ListMedia":
		s.listMedia(w, r, params["MessageSid"])
	case "FetchMedia":
		s.fetchMedia(w, params["MessageSid"], params["Sid"])
	default:
		writeError(w, http.StatusNotFound, CodeNotFound, "The requested resource "+r.URL.Path+" was not found")
	}
}

func (s *Server) fetchAccount(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sid := s.AccountSID
	base := "/2010-04-01/Accounts/" + sid
	writeJSON(w, http.StatusOK, map[string]any{
		"auth_token": s.AuthToken, "date_created": "Thu, 30 Jul 2015 20:00:00 +0000", "date_updated": "Thu, 30 Jul 2015 20:00:00 +0000",
		"friendly_name": s.friendly, "owner_account_sid": sid, "sid": sid, "status": s.statusAcct, "type": "Full",
		"subresource_uris": map[string]string{"messages": base + "/Messages.json", "incoming_phone_numbers": base + "/IncomingPhoneNumbers.json"},
		"uri":              base + ".json",
	})
}

func (s *Server) listNumbers(w http.ResponseWriter, r *http.Request) {
	want := r.URL.Query().Get("PhoneNumber")
	s.mu.Lock()
	var list []any
	var nums []string
	for n := range s.numbers {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		if want != "" && n != want {
			continue
		}
		list = append(list, map[string]any{
			"account_sid": s.AccountSID, "sid": s.numbers[n], "phone_number": n, "friendly_name": n, "status": "in-use",
			"capabilities": map[string]bool{"sms": true, "mms": true, "voice": true, "fax": false},
			"uri":          "/2010-04-01/Accounts/" + s.AccountSID + "/IncomingPhoneNumbers/" + s.numbers[n] + ".json",
		})
	}
	s.mu.Unlock()
	if list == nil {
		list = []any{}
	}
	uri := r.URL.RequestURI()
	writeJSON(w, http.StatusOK, map[string]any{"incoming_phone_numbers": list, "end": max(len(list)-1, 0), "first_page_uri": uri,
		"next_page_uri": nil, "page": 0, "page_size": 50, "previous_page_uri": nil, "start": 0, "uri": uri})
}

// dateFilter reads a DateSent value: YYYY-MM-DD (GMT), or a full date in
// RFC 2822 or RFC 3339 form.
func dateFilter(v string) (time.Time, bool, error) {
	for _, layout := range []string{"2006-01-02", time.RFC1123Z, time.RFC1123, time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), layout == "2006-01-02", nil
		}
	}
	return time.Time{}, false, fmt.Errorf("DateSent %q is not a date (YYYY-MM-DD)", v)
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after, before time.Time // after <= date_sent < before
	for _, name := range []string{"DateSent", "DateSent>", "DateSent<"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, day, err := dateFilter(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, CodeInvalidParameter, err.Error())
			return
		}
		end := t
		if day {
			end = t.AddDate(0, 0, 1)
		}
		switch name {
		case "DateSent":
			after, before = t, end
		case "DateSent>":
			after = t
		case "DateSent<":
			before = end
		}
	}
	dated := !after.IsZero() || !before.IsZero()
	to, from := q.Get("To"), q.Get("From")

	s.mu.Lock()
	var match []*record
	for _, m := range s.messages {
		if to != "" && m.to != to || from != "" && m.from != from {
			continue
		}
		if dated {
			if m.sent.IsZero() || !after.IsZero() && m.sent.Before(after) || !before.IsZero() && !m.sent.Before(before) {
				continue
			}
		}
		match = append(match, m)
	}
	// Newest first, by date sent (date created before sending).
	slices.SortFunc(match, func(a, b *record) int {
		ta, tb := a.sent, b.sent
		if ta.IsZero() {
			ta = a.created
		}
		if tb.IsZero() {
			tb = b.created
		}
		if c := tb.Compare(ta); c != 0 {
			return c
		}
		return b.seq - a.seq
	})
	size := 50
	if v := q.Get("PageSize"); v != "" {
		size, _ = strconv.Atoi(v)
	}
	if s.maxPage > 0 && size > s.maxPage {
		size = s.maxPage
	}
	page, _ := strconv.Atoi(q.Get("Page"))
	start := 0
	if tok := q.Get("PageToken"); tok != "" {
		sid := strings.TrimPrefix(tok, "PA")
		start = len(match)
		for i, m := range match {
			if m.sid == sid {
				start = i + 1
				break
			}
		}
	} else if page > 0 {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeInvalidParameter, "Page greater than 0 requires a PageToken")
		return
	}
	end := min(start+size, len(match))
	out := []Message{}
	for _, m := range match[start:end] {
		out = append(out, s.render(m))
	}
	var next any
	if end < len(match) && end > start {
		nq := url.Values{}
		for _, k := range []string{"To", "From", "DateSent", "DateSent<", "DateSent>"} {
			if v := q.Get(k); v != "" {
				nq.Set(k, v)
			}
		}
		nq.Set("PageSize", strconv.Itoa(size))
		nq.Set("Page", strconv.Itoa(page+1))
		nq.Set("PageToken", "PA"+match[end-1].sid)
		next = r.URL.Path + "?" + nq.Encode()
	}
	s.mu.Unlock()
	first := url.Values{}
	for k, v := range q {
		if k != "Page" && k != "PageToken" {
			first[k] = v
		}
	}
	first.Set("PageSize", strconv.Itoa(size))
	first.Set("Page", "0")
	writeJSON(w, http.StatusOK, map[string]any{
		"messages": out, "end": max(start+len(out)-1, 0), "first_page_uri": r.URL.Path + "?" + first.Encode(),
		"next_page_uri": next, "page": page, "page_size": size, "previous_page_uri": nil, "start": start,
		"uri": r.URL.RequestURI(),
	})
}

func (s *Server) createMessage(w http.ResponseWriter, f url.Values) {
	to, from, body := f.Get("To"), f.Get("From"), f.Get("Body")
	switch {
	case to == "":
		writeError(w, http.StatusBadRequest, CodeToRequired, "A 'To' phone number is required.")
		return
	case from == "" && f.Get("MessagingServiceSid") == "":
		writeError(w, http.StatusBadRequest, CodeFromRequired, "A 'From' phone number is required.")
		return
	case body == "" && f.Get("MediaUrl") == "" && f.Get("ContentSid") == "":
		writeError(w, http.StatusBadRequest, CodeBodyRequired, "Message body is required.")
		return
	case len(utf16.Encode([]rune(body))) > MaxBody:
		writeError(w, http.StatusBadRequest, CodeBodyTooLong, "The concatenated message body exceeds the 1600 character limit.")
		return
	}
	toWA, fromWA := strings.HasPrefix(to, "whatsapp:"), strings.HasPrefix(from, "whatsapp:")
	toNum, fromNum := strings.TrimPrefix(to, "whatsapp:"), strings.TrimPrefix(from, "whatsapp:")
	if !e164.MatchString(toNum) {
		writeError(w, http.StatusBadRequest, CodeInvalidTo, "Invalid 'To' Phone Number: "+toNum)
		return
	}
	if toWA != fromWA {
		writeError(w, http.StatusBadRequest, CodeChannelMismatch, "Invalid From and To pair. From and To should be of the same channel")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if fromWA && !s.whatsapp[fromNum] {
		writeError(w, http.StatusBadRequest, CodeNoWhatsAppChannel, "Twilio could not find a Channel with the specified From address")
		return
	}
	if !fromWA && s.numbers[fromNum] == "" {
		writeError(w, http.StatusBadRequest, CodeFromNotOwned,
			fmt.Sprintf("The 'From' number %s is not a valid phone number, shortcode, or alphanumeric sender ID.", from))
		return
	}
	if s.optedOut[toNum] {
		writeError(w, http.StatusBadRequest, CodeUnsubscribed, "Attempt to send to unsubscribed recipient")
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	r := s.newRecord("SM", from, to, body, "outbound-api", now)
	r.status = "queued"
	created := s.render(r)
	s.sent = append(s.sent, Sent{Message: created, Form: f})
	// Freeform WhatsApp messages are accepted, then fail outside the 24-hour
	// window that opens when the customer writes.
	if toWA && f.Get("ContentSid") == "" && !s.windowOpen(to, from, now) {
		r.status, r.errCode, r.updated = "failed", CodeOutsideWindow, now
	}
	writeJSON(w, http.StatusCreated, created)
}

// windowOpen reports whether customer wrote to sender in the 24 hours
// before now; called with s.mu held.
func (s *Server) windowOpen(customer, sender string, now time.Time) bool {
	for _, m := range s.messages {
		if m.dir == "inbound" && m.from == customer && m.to == sender && now.Sub(m.sent) < 24*time.Hour {
			return true
		}
	}
	return false
}

func (s *Server) fetchMessage(w http.ResponseWriter, sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.bySID[sid]
	if !ok {
		writeError(w, http.StatusNotFound, CodeNotFound, "The requested resource /2010-04-01/Accounts/"+s.AccountSID+"/Messages/"+sid+".json was not found")
		return
	}
	writeJSON(w, http.StatusOK, s.render(r))
}

func (s *Server) mediaJSON(parent string, m mediaItem) map[string]any {
	return map[string]any{
		"account_sid": s.AccountSID, "content_type": m.contentType,
		"date_created": m.created.Format(time.RFC1123Z), "date_updated": m.created.Format(time.RFC1123Z),
		"parent_sid": parent, "sid": m.sid,
		"uri": "/2010-04-01/Accounts/" + s.AccountSID + "/Messages/" + parent + "/Media/" + m.sid + ".json",
	}
}

func (s *Server) listMedia(w http.ResponseWriter, r *http.Request, sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.bySID[sid]
	if !ok {
		writeError(w, http.StatusNotFound, CodeNotFound, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	list := []any{}
	for _, mi := range m.media {
		list = append(list, s.mediaJSON(sid, mi))
	}
	uri := r.URL.RequestURI()
	writeJSON(w, http.StatusOK, map[string]any{"media_list": list, "end": max(len(list)-1, 0), "first_page_uri": uri,
		"next_page_uri": nil, "page": 0, "page_size": 50, "previous_page_uri": nil, "start": 0, "uri": uri})
}

func (s *Server) fetchMedia(w http.ResponseWriter, parent, sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.bySID[parent]
	if ok {
		for _, mi := range m.media {
			if mi.sid == sid {
				writeJSON(w, http.StatusOK, s.mediaJSON(parent, mi))
				return
			}
		}
	}
	writeError(w, http.StatusNotFound, CodeNotFound, "The requested resource was not found")
}

// redirectMedia answers the media URL (the Media resource URI without
// .json) with a redirect to a short-lived CDN address, as Twilio does.
func (s *Server) redirectMedia(w http.ResponseWriter, r *http.Request, account, parent, sid string) {
	s.mu.Lock()
	m, ok := s.bySID[parent]
	var item *mediaItem
	if ok && account == s.AccountSID {
		for i := range m.media {
			if m.media[i].sid == sid {
				item = &m.media[i]
			}
		}
	}
	if item == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, CodeNotFound, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	s.seq++
	tok := fmt.Sprintf("%x/%s", s.seq, sid)
	s.cdn[tok] = item
	s.mu.Unlock()
	http.Redirect(w, r, s.URL+"/cdn/"+tok, http.StatusFound)
}

func (s *Server) serveCDN(w http.ResponseWriter, r *http.Request, tok string) {
	s.mu.Lock()
	item := s.cdn[tok]
	if item != nil {
		s.mediaGetter++
		close(s.served)
		s.served = make(chan struct{})
	}
	s.mu.Unlock()
	if item == nil || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", item.contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(item.data)))
	w.Write(item.data)
}

// render returns the API form of a record; called with s.mu held.
func (s *Server) render(r *record) Message {
	base := "/2010-04-01/Accounts/" + s.AccountSID + "/Messages/" + r.sid
	m := Message{
		AccountSID: s.AccountSID, APIVersion: "2010-04-01", Body: r.body,
		DateCreated: r.created.Format(time.RFC1123Z), DateUpdated: r.updated.Format(time.RFC1123Z),
		Direction: r.dir, From: r.from, To: r.to, SID: r.sid, Status: r.status,
		NumMedia: strconv.Itoa(len(r.media)), NumSegments: strconv.Itoa(r.segments),
		SubresourceURIs: map[string]string{"media": base + "/Media.json", "feedback": base + "/Feedback.json"},
		URI:             base + ".json",
	}
	if !r.sent.IsZero() {
		d := r.sent.Format(time.RFC1123Z)
		m.DateSent = &d
	}
	if r.errCode != 0 {
		code := r.errCode
		msg := "Message delivery failed"
		if code == CodeOutsideWindow {
			msg = WindowMessage
		}
		m.ErrorCode, m.ErrorMessage = &code, &msg
	}
	return m
}

// segments counts the SMS segments of body: GSM-7 (approximated by ASCII)
// 160 characters alone or 153 per part, otherwise UCS-2 70 or 67.
func segments(body string) int {
	n := len(utf16.Encode([]rune(body)))
	single, part := 160, 153
	for _, r := range body {
		if r > 0x7e {
			single, part = 70, 67
			break
		}
	}
	if n <= single {
		return 1
	}
	return (n + part - 1) / part
}

func (s *Server) violation(format string, args ...any) {
	s.mu.Lock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

func errorBody(status, code int, message string) string {
	b, _ := json.Marshal(map[string]any{
		"code": code, "message": message,
		"more_info": "https://www.twilio.com/docs/errors/" + strconv.Itoa(code), "status": status,
	})
	return string(b)
}

func writeError(w http.ResponseWriter, status, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, errorBody(status, code, message))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
