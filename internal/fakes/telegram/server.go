// Package telegram is a stateful fake of the Telegram Bot API
// (https://core.telegram.org/bots/api) for tests: an httptest server that
// holds a bot's pending updates, private chats and files, and answers the
// methods a customer-service inbox uses (getMe, deleteWebhook, setWebhook,
// getWebhookInfo, getUpdates, sendMessage, sendDocument and sendPhoto with
// multipart/form-data uploads, getFile and file downloads) with
// the documented JSON shapes, including the error answers:
//
//   - {"ok":false,"error_code":401,"description":"Unauthorized"} for a wrong token;
//   - 409 "Conflict: terminated by other getUpdates request; make sure that
//     only one bot instance is running" to a long poll cut short by a second,
//     concurrent getUpdates (as Telegram does, the older request loses);
//   - 409 "Conflict: can't use getUpdates method while webhook is active" while
//     a webhook is set;
//   - 429 with parameters.retry_after, 5xx, slow answers, on demand.
//
// Updates are confirmed the documented way: a getUpdates call with an
// offset greater than an update's id forgets that update, so a client that
// crashes before saving its offset is served the same updates again.
//
// Requests are checked as the documentation describes them: POST or GET to
// /bot<token>/<method>, parameters in the query string, a form
// (urlencoded or multipart) or a JSON body; a request the real API would
// refuse is refused here with the same kind of answer, and recorded in
// Violations so a test can fail on shapes the client got wrong.
package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // sendPhoto takes JPEG and PNG
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/couture/couture/internal/fakes/fault"
)

// Limits the Bot API documents.
const (
	// MaxText is the longest message text, in UTF-16 code units.
	MaxText = 4096
	// MaxCaption is the longest caption of a file, in UTF-16 code units.
	MaxCaption = 1024
	// MaxDownload is the largest file a bot may download with getFile.
	MaxDownload = 20 << 20
	// MaxUpload is the largest file a bot may send (multipart/form-data).
	MaxUpload = 50 << 20
	// MaxPhoto is the largest photo sendPhoto takes.
	MaxPhoto = 10 << 20
)

// ConflictDescription is Telegram's description of a long poll ended by
// another getUpdates call for the same bot.
const ConflictDescription = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"

// Call is one API request the fake received.
type Call struct {
	Method string
	Params map[string]string
	At     time.Time
}

// Sent is a message the client sent with sendMessage, sendDocument or
// sendPhoto.
type Sent struct {
	Method    string // "sendMessage", "sendDocument", "sendPhoto"
	ChatID    int64
	Text      string
	ParseMode string
	// Caption, FileName, MimeType and Data describe an uploaded file, as
	// the multipart/form-data request carried it.
	Caption  string
	FileName string
	MimeType string
	Data     []byte
	Message  Message
}

type storedFile struct {
	file File
	data []byte
}

type poll struct{ killed chan struct{} }

// Server is a fake Bot API for one bot. It is safe for concurrent use.
type Server struct {
	// URL is the API base URL ("http://127.0.0.1:port"), the value of the
	// account's api_url setting.
	URL string
	// Token is the bot token the server accepts.
	Token string

	srv *httptest.Server

	mu         sync.Mutex
	bot        User
	now        func() time.Time
	updates    []Update // not confirmed yet, in update_id order
	nextUpdate int64
	nextMsg    map[int64]int64 // chat id → last message id
	nextFile   int
	files      map[string]*storedFile // by file_id
	paths      map[string]string      // file_path → file_id
	chats      map[int64]Chat         // private chats: users who wrote to the bot
	blocked    map[int64]bool
	webhook    string
	poller     *poll
	conflicts  int
	arrived    chan struct{} // closed when an update arrives
	called     chan struct{} // closed when a request arrives
	faults     fault.Queue
	sent       []Sent
	calls      []Call
	accepted   map[int64]time.Time // update id → when Inject accepted it
	violations []string
}

// New starts a fake Bot API for a bot with the given token. Close it when
// done.
func New(token string) *Server {
	s := &Server{
		Token:      token,
		bot:        User{ID: 7000000001, IsBot: true, FirstName: "Couture Shop", Username: "couture_shop_bot"},
		now:        time.Now,
		nextUpdate: 100000,
		nextMsg:    map[int64]int64{},
		files:      map[string]*storedFile{},
		paths:      map[string]string{},
		chats:      map[int64]Chat{},
		blocked:    map[int64]bool{},
		arrived:    make(chan struct{}),
		called:     make(chan struct{}),
		accepted:   map[int64]time.Time{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down; pending long polls end.
func (s *Server) Close() {
	s.mu.Lock()
	if s.poller != nil {
		close(s.poller.killed)
		s.poller = nil
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Bot returns the bot's own user, as getMe answers it.
func (s *Server) Bot() User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bot
}

// SetClock makes the fake date messages with now instead of time.Now.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// SetToken changes the token the server accepts: requests with the old one
// get 401 Unauthorized, as after /revoke in @BotFather.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	s.Token = token
	s.mu.Unlock()
}

// SetWebhook sets a webhook as another program would: getUpdates then fails
// with 409 until deleteWebhook.
func (s *Server) SetWebhook(url string) {
	s.mu.Lock()
	s.webhook = url
	s.mu.Unlock()
}

// SetDelay makes every API answer wait d first (a slow network).
func (s *Server) SetDelay(d time.Duration) { s.faults.SetDelay(d) }

// Block makes sendMessage to user fail with 403 "bot was blocked by the user".
func (s *Server) Block(user int64) {
	s.mu.Lock()
	s.blocked[user] = true
	s.mu.Unlock()
}

// FailNext makes the next API request (any method) answer status with body.
// An empty body is replaced by the Bot API error object for status.
func (s *Server) FailNext(status int, body string) { s.FailMethod("", status, body) }

// FailMethod makes the next call of method answer status with body (the
// Bot API error object when body is empty).
func (s *Server) FailMethod(method string, status int, body string) {
	if body == "" {
		body = errorBody(status, http.StatusText(status), 0)
	}
	s.faults.Add(fault.Fault{Op: strings.ToLower(method), Status: status, Body: body})
}

// LoseAnswer makes the next call of method succeed on the server (a
// message is sent, updates confirmed…) but hang up before answering, as a
// connection lost at the worst moment.
func (s *Server) LoseAnswer(method string) {
	s.faults.Add(fault.Fault{Op: strings.ToLower(method), Lose: true})
}

// RateLimitNext makes the next call of method ("" for any) answer 429 Too
// Many Requests with parameters.retry_after = seconds.
func (s *Server) RateLimitNext(method string, seconds int) {
	body := errorBody(http.StatusTooManyRequests, fmt.Sprintf("Too Many Requests: retry after %d", seconds), seconds)
	s.faults.Add(fault.Fault{
		Op: strings.ToLower(method), Status: http.StatusTooManyRequests, Body: body,
		Header: http.Header{"Retry-After": {strconv.Itoa(seconds)}},
	})
}

// Sent returns the messages the client sent, oldest first.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Calls returns the API requests received, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// WaitCall blocks until the fake has received n calls of method (any
// method when ""), or ctx ends.
func (s *Server) WaitCall(ctx context.Context, method string, n int) error {
	for {
		s.mu.Lock()
		count := 0
		for _, c := range s.calls {
			if method == "" || strings.EqualFold(c.Method, method) {
				count++
			}
		}
		called := s.called
		s.mu.Unlock()
		if count >= n {
			return nil
		}
		select {
		case <-called:
		case <-ctx.Done():
			return fmt.Errorf("waiting for call %d of %s: %w", n, method, ctx.Err())
		}
	}
}

// WaitPolling blocks until a getUpdates long poll is in flight, or ctx
// ends.
func (s *Server) WaitPolling(ctx context.Context) error {
	for {
		s.mu.Lock()
		polling, called := s.poller != nil, s.called
		s.mu.Unlock()
		if polling {
			return nil
		}
		select {
		case <-called:
		case <-ctx.Done():
			return fmt.Errorf("waiting for a long poll: %w", ctx.Err())
		}
	}
}

// Pending counts the updates not confirmed yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// Conflicts counts the long polls ended by a concurrent getUpdates.
func (s *Server) Conflicts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conflicts
}

// Violations lists the requests that broke the documented shapes.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// AcceptedAt returns when Inject accepted the update.
func (s *Server) AcceptedAt(updateID int64) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted[updateID]
}

// Inject queues an update for getUpdates. A zero UpdateID, message_id or
// date is filled in; the sender of a private message opens a private chat
// the bot may answer in. It returns the update as queued.
func (s *Server) Inject(u Update) Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.UpdateID == 0 {
		s.nextUpdate++
		u.UpdateID = s.nextUpdate
	} else if u.UpdateID > s.nextUpdate {
		s.nextUpdate = u.UpdateID
	}
	for _, m := range []*Message{u.Message, u.EditedMessage} {
		if m == nil {
			continue
		}
		if m.MessageID == 0 {
			s.nextMsg[m.Chat.ID]++
			m.MessageID = s.nextMsg[m.Chat.ID]
		}
		if m.Date == 0 {
			m.Date = s.now().Unix()
		}
		if m.Chat.Type == "private" {
			s.chats[m.Chat.ID] = m.Chat
		}
	}
	s.updates = append(s.updates, u)
	s.accepted[u.UpdateID] = time.Now()
	close(s.arrived)
	s.arrived = make(chan struct{})
	return u
}

// PrivateChat returns the private chat of user with the bot.
func PrivateChat(u User) Chat {
	return Chat{ID: u.ID, Type: "private", FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

// SendText queues a private text message from user to the bot.
func (s *Server) SendText(from User, text string) Update {
	return s.Inject(Update{Message: &Message{From: &from, Chat: PrivateChat(from), Text: text}})
}

// SendPhoto queues a private photo from user. Telegram offers a photo in
// several sizes, smallest first; the last, largest one carries data, the
// smaller ones are thumbnails of it.
func (s *Server) SendPhoto(from User, caption string, data []byte) Update {
	small := s.AddFile(data[:min(len(data), 64)], "photos", "jpg")
	medium := s.AddFile(data[:min(len(data), 256)], "photos", "jpg")
	large := s.AddFile(data, "photos", "jpg")
	photo := []PhotoSize{
		{FileID: small.FileID, FileUniqueID: small.FileUniqueID, Width: 90, Height: 60, FileSize: small.FileSize},
		{FileID: medium.FileID, FileUniqueID: medium.FileUniqueID, Width: 320, Height: 213, FileSize: medium.FileSize},
		{FileID: large.FileID, FileUniqueID: large.FileUniqueID, Width: 1280, Height: 853, FileSize: large.FileSize},
	}
	return s.Inject(Update{Message: &Message{From: &from, Chat: PrivateChat(from), Caption: caption, Photo: photo}})
}

// SendDocument queues a private file from user.
func (s *Server) SendDocument(from User, name, mimeType string, data []byte) Update {
	ext := "bin"
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext = name[i+1:]
	}
	f := s.AddFile(data, "documents", ext)
	doc := &Document{FileID: f.FileID, FileUniqueID: f.FileUniqueID, FileName: name, MimeType: mimeType, FileSize: f.FileSize}
	return s.Inject(Update{Message: &Message{From: &from, Chat: PrivateChat(from), Document: doc}})
}

// SendLargeDocument queues a private file of size bytes whose content the
// fake does not hold: getFile refuses it when it is over MaxDownload.
func (s *Server) SendLargeDocument(from User, name string, size int64) Update {
	s.mu.Lock()
	s.nextFile++
	id := fmt.Sprintf("BQACAgIAAxkBAAI%06d", s.nextFile)
	f := &storedFile{file: File{FileID: id, FileUniqueID: fmt.Sprintf("AgAD%06d", s.nextFile), FileSize: size,
		FilePath: fmt.Sprintf("documents/file_%d.bin", s.nextFile)}}
	s.files[id] = f
	s.paths[f.file.FilePath] = id
	s.mu.Unlock()
	doc := &Document{FileID: id, FileUniqueID: f.file.FileUniqueID, FileName: name, MimeType: "application/octet-stream", FileSize: size}
	return s.Inject(Update{Message: &Message{From: &from, Chat: PrivateChat(from), Document: doc}})
}

// ShareContact queues a private message from user carrying contact c.
func (s *Server) ShareContact(from User, c Contact) Update {
	return s.Inject(Update{Message: &Message{From: &from, Chat: PrivateChat(from), Contact: &c}})
}

// AddFile stores data as a downloadable file under dir ("photos",
// "documents") and returns its File.
func (s *Server) AddFile(data []byte, dir, ext string) File {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextFile++
	f := File{
		FileID:       fmt.Sprintf("AgACAgIAAxkBAAI%06d", s.nextFile),
		FileUniqueID: fmt.Sprintf("AQAD%06d", s.nextFile),
		FileSize:     int64(len(data)),
		FilePath:     fmt.Sprintf("%s/file_%d.%s", dir, s.nextFile, ext),
	}
	s.files[f.FileID] = &storedFile{file: f, data: append([]byte(nil), data...)}
	s.paths[f.FilePath] = f.FileID
	return f
}

// serve routes /bot<token>/<method> and /file/bot<token>/<path>.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if !s.faults.Wait(r) {
		return
	}
	s.mu.Lock()
	token := s.Token
	s.mu.Unlock()
	path := r.URL.Path
	if rest, ok := strings.CutPrefix(path, "/file/bot"); ok {
		s.download(w, r, token, rest)
		return
	}
	rest, ok := strings.CutPrefix(path, "/bot")
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found", 0)
		return
	}
	tok, method, ok := strings.Cut(rest, "/")
	if !ok || tok == "" || method == "" {
		writeError(w, http.StatusNotFound, "Not Found", 0)
		return
	}
	if tok != token {
		writeError(w, http.StatusUnauthorized, "Unauthorized", 0)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		s.violation("%s %s: the Bot API supports GET and POST only", r.Method, method)
		writeError(w, http.StatusBadRequest, "Bad Request: unsupported HTTP method", 0)
		return
	}
	if r.ContentLength > MaxUpload+1<<20 { // the upload limit, with room for the other fields
		writeError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", 0)
		return
	}
	params, err := readParams(r)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	if err != nil {
		s.violation("%s: %v", method, err)
		writeError(w, http.StatusBadRequest, "Bad Request: "+err.Error(), 0)
		return
	}
	lower := strings.ToLower(method) // method names are case-insensitive
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Params: params, At: time.Now()})
	close(s.called)
	s.called = make(chan struct{})
	s.mu.Unlock()
	if s.faults.Answer(w, lower, func(w http.ResponseWriter) { s.dispatch(w, r, lower, params) }) {
		return
	}
	s.dispatch(w, r, lower, params)
}

// dispatch runs a Bot API method.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, lower string, params map[string]string) {
	switch lower {
	case "getme":
		writeResult(w, s.Bot())
	case "deletewebhook":
		s.mu.Lock()
		had := s.webhook != ""
		s.webhook = ""
		if v := params["drop_pending_updates"]; v == "true" {
			s.updates = nil
		}
		s.mu.Unlock()
		desc := "Webhook is already deleted"
		if had {
			desc = "Webhook was deleted"
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": true, "description": desc})
	case "setwebhook":
		url, ok := params["url"]
		if !ok {
			writeError(w, http.StatusBadRequest, "Bad Request: parameter \"url\" is required", 0)
			return
		}
		s.SetWebhook(url)
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": true, "description": "Webhook was set"})
	case "getwebhookinfo":
		s.mu.Lock()
		info := WebhookInfo{URL: s.webhook, PendingUpdateCount: len(s.updates)}
		s.mu.Unlock()
		writeResult(w, info)
	case "getupdates":
		s.getUpdates(w, r, params)
	case "sendmessage":
		s.sendMessage(w, params)
	case "senddocument":
		s.sendFile(w, r, "sendDocument", "document", params)
	case "sendphoto":
		s.sendFile(w, r, "sendPhoto", "photo", params)
	case "getfile":
		s.getFile(w, params)
	default:
		writeError(w, http.StatusNotFound, "Not Found", 0)
	}
}

// getUpdates implements long polling
// (https://core.telegram.org/bots/api#getupdates).
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p map[string]string) {
	offset, err := intParam(p, "offset", 0)
	if err != nil {
		s.badParam(w, "getUpdates", err)
		return
	}
	limit, err := intParam(p, "limit", 100)
	if err != nil {
		s.badParam(w, "getUpdates", err)
		return
	}
	if limit < 1 || limit > 100 {
		limit = 100 // Telegram clamps silently
	}
	timeout, err := intParam(p, "timeout", 0)
	if err != nil {
		s.badParam(w, "getUpdates", err)
		return
	}
	if timeout < 0 {
		timeout = 0
	}
	var allowed map[string]bool
	if v, ok := p["allowed_updates"]; ok {
		var list []string
		if err := json.Unmarshal([]byte(v), &list); err != nil {
			s.violation("getUpdates: allowed_updates %q is not a JSON array of strings", v)
			writeError(w, http.StatusBadRequest, "Bad Request: can't parse allowed updates", 0)
			return
		}
		if len(list) > 0 {
			allowed = map[string]bool{}
			for _, k := range list {
				allowed[k] = true
			}
		}
	}

	s.mu.Lock()
	if s.webhook != "" {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", 0)
		return
	}
	if s.poller != nil { // the older request loses
		close(s.poller.killed)
		s.conflicts++
	}
	me := &poll{killed: make(chan struct{})}
	s.poller = me
	close(s.called) // wake WaitPolling
	s.called = make(chan struct{})
	s.confirm(offset)
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	var out []Update
wait:
	for {
		out = s.pending(limit, allowed)
		if len(out) > 0 || timeout == 0 {
			break
		}
		arrived := s.arrived
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-me.killed:
			writeError(w, http.StatusConflict, ConflictDescription, 0)
			return
		case <-deadline.C:
			s.mu.Lock()
			out = s.pending(limit, allowed)
			break wait
		case <-r.Context().Done():
			s.mu.Lock()
			if s.poller == me {
				s.poller = nil
			}
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		select {
		case <-me.killed:
			s.mu.Unlock()
			writeError(w, http.StatusConflict, ConflictDescription, 0)
			return
		default:
		}
	}
	if s.poller == me {
		s.poller = nil
	}
	s.mu.Unlock()
	if out == nil {
		out = []Update{}
	}
	writeResult(w, out)
}

// confirm forgets updates below offset; a negative offset keeps only the
// last -offset updates. Called with s.mu held.
func (s *Server) confirm(offset int64) {
	switch {
	case offset > 0:
		i := 0
		for i < len(s.updates) && s.updates[i].UpdateID < offset {
			i++
		}
		s.updates = s.updates[i:]
	case offset < 0:
		if keep := int(-offset); keep < len(s.updates) {
			s.updates = s.updates[len(s.updates)-keep:]
		}
	}
}

// pending returns up to limit queued updates of the allowed kinds. Updates
// of other kinds are dropped, as Telegram never delivers them. Called with
// s.mu held.
func (s *Server) pending(limit int64, allowed map[string]bool) []Update {
	if allowed != nil {
		kept := s.updates[:0]
		for _, u := range s.updates {
			if (u.Message != nil && allowed["message"]) || (u.EditedMessage != nil && allowed["edited_message"]) {
				kept = append(kept, u)
			}
		}
		s.updates = kept
	}
	n := min(int(limit), len(s.updates))
	return append([]Update(nil), s.updates[:n]...)
}

// sendMessage implements https://core.telegram.org/bots/api#sendmessage.
func (s *Server) sendMessage(w http.ResponseWriter, p map[string]string) {
	raw, ok := s.required(w, "sendMessage", p, "chat_id")
	if !ok {
		return
	}
	text, ok := p["text"]
	if !ok || strings.TrimSpace(text) == "" {
		s.violation("sendMessage without text")
		writeError(w, http.StatusBadRequest, "Bad Request: message text is empty", 0)
		return
	}
	if len(utf16.Encode([]rune(text))) > MaxText {
		writeError(w, http.StatusBadRequest, "Bad Request: message is too long", 0)
		return
	}
	mode := p["parse_mode"]
	switch mode {
	case "", "MarkdownV2", "HTML", "Markdown":
	default:
		writeError(w, http.StatusBadRequest, "Bad Request: unsupported parse_mode", 0)
		return
	}
	chatID, err := strconv.ParseInt(raw, 10, 64)
	if err != nil { // @channelusername is valid for channels only
		writeError(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, ok := s.chats[chatID]
	if !ok { // bots may only write to people who wrote to them first
		writeError(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
		return
	}
	if s.blocked[chatID] {
		writeError(w, http.StatusForbidden, "Forbidden: bot was blocked by the user", 0)
		return
	}
	s.nextMsg[chatID]++
	bot := s.bot
	m := Message{MessageID: s.nextMsg[chatID], From: &bot, Date: s.now().Unix(), Chat: chat, Text: text}
	s.sent = append(s.sent, Sent{Method: "sendMessage", ChatID: chatID, Text: text, ParseMode: mode, Message: m})
	writeResult(w, m)
}

// sendFile implements sendDocument and sendPhoto
// (https://core.telegram.org/bots/api#senddocument, #sendphoto) for a file
// uploaded as multipart/form-data, in the field named after the method's
// parameter ("document", "photo") or in another field the parameter names
// as "attach://<field>"; a file_id of a file the fake holds is sent again.
// Answers follow the Bot API: 413 Request Entity Too Large past MaxUpload;
// for sendPhoto, PHOTO_SAVE_FILE_INVALID past MaxPhoto,
// IMAGE_PROCESS_FAILED for what is not a JPEG or PNG and
// PHOTO_INVALID_DIMENSIONS past 10,000 pixels of width plus height or a
// ratio over 20. The sent message carries a Document, or a Photo in three
// sizes, whose file_id getFile serves.
func (s *Server) sendFile(w http.ResponseWriter, r *http.Request, method, param string, p map[string]string) {
	raw, ok := s.required(w, method, p, "chat_id")
	if !ok {
		return
	}
	caption := p["caption"]
	if len(utf16.Encode([]rune(caption))) > MaxCaption {
		writeError(w, http.StatusBadRequest, "Bad Request: message caption is too long", 0)
		return
	}
	data, name, typ, err := s.uploaded(r, param, p)
	if err != nil {
		s.violation("%s: %v", method, err)
		writeError(w, http.StatusBadRequest, "Bad Request: "+err.Error(), 0)
		return
	}
	if len(data) > MaxUpload {
		writeError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", 0)
		return
	}
	chatID, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
		return
	}
	s.mu.Lock()
	chat, known := s.chats[chatID]
	blocked := s.blocked[chatID]
	s.mu.Unlock()
	switch {
	case !known:
		writeError(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
		return
	case blocked:
		writeError(w, http.StatusForbidden, "Forbidden: bot was blocked by the user", 0)
		return
	}
	var photo []PhotoSize
	var doc *Document
	if param == "photo" {
		if len(data) > MaxPhoto {
			writeError(w, http.StatusBadRequest, "Bad Request: PHOTO_SAVE_FILE_INVALID", 0)
			return
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || (format != "jpeg" && format != "png") {
			writeError(w, http.StatusBadRequest, "Bad Request: IMAGE_PROCESS_FAILED", 0)
			return
		}
		if cfg.Width+cfg.Height > 10000 || max(cfg.Width, cfg.Height) > 20*min(cfg.Width, cfg.Height) {
			writeError(w, http.StatusBadRequest, "Bad Request: PHOTO_INVALID_DIMENSIONS", 0)
			return
		}
		// Telegram re-encodes photos as JPEG in several sizes; the fake
		// keeps the bytes as they came in the largest.
		for i, side := range []int{90, 320, max(cfg.Width, cfg.Height)} {
			part := data
			if i < 2 {
				part = data[:min(len(data), side)]
			}
			f := s.AddFile(part, "photos", "jpg")
			photo = append(photo, PhotoSize{FileID: f.FileID, FileUniqueID: f.FileUniqueID,
				Width: min(side, cfg.Width), Height: min(side, cfg.Height), FileSize: f.FileSize})
		}
	} else {
		ext := "bin"
		if i := strings.LastIndexByte(name, '.'); i >= 0 && i < len(name)-1 {
			ext = name[i+1:]
		}
		f := s.AddFile(data, "documents", ext)
		doc = &Document{FileID: f.FileID, FileUniqueID: f.FileUniqueID, FileName: name, MimeType: typ, FileSize: f.FileSize}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMsg[chatID]++
	bot := s.bot
	m := Message{MessageID: s.nextMsg[chatID], From: &bot, Date: s.now().Unix(), Chat: chat, Caption: caption, Photo: photo, Document: doc}
	s.sent = append(s.sent, Sent{Method: method, ChatID: chatID, Caption: caption, FileName: name, MimeType: typ,
		Data: append([]byte(nil), data...), Message: m})
	writeResult(w, m)
}

// uploaded returns the file a send method carries in parameter param: a
// multipart/form-data file in the field param or in the field param names
// with "attach://", or a file_id the fake holds.
func (s *Server) uploaded(r *http.Request, param string, p map[string]string) (data []byte, name, typ string, err error) {
	field := param
	if v, ok := p[param]; ok {
		if ref, ok := strings.CutPrefix(v, "attach://"); ok {
			field = ref
		} else {
			s.mu.Lock()
			f := s.files[v]
			s.mu.Unlock()
			if f == nil || f.data == nil {
				return nil, "", "", fmt.Errorf("wrong file identifier/HTTP URL specified")
			}
			return f.data, "", "", nil
		}
	}
	if r.MultipartForm == nil || len(r.MultipartForm.File[field]) == 0 {
		return nil, "", "", fmt.Errorf("there is no %s in the request", param)
	}
	fh := r.MultipartForm.File[field][0]
	f, err := fh.Open()
	if err != nil {
		return nil, "", "", err
	}
	defer f.Close()
	data, err = io.ReadAll(f)
	if err != nil {
		return nil, "", "", err
	}
	typ = fh.Header.Get("Content-Type")
	if typ == "application/octet-stream" || typ == "" {
		typ = mime.TypeByExtension(path.Ext(fh.Filename))
		if i := strings.IndexByte(typ, ';'); i >= 0 {
			typ = typ[:i]
		}
	}
	return data, fh.Filename, typ, nil
}

// getFile implements https://core.telegram.org/bots/api#getfile.
func (s *Server) getFile(w http.ResponseWriter, p map[string]string) {
	id, ok := s.required(w, "getFile", p, "file_id")
	if !ok {
		return
	}
	s.mu.Lock()
	f, ok := s.files[id]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, "Bad Request: invalid file_id", 0)
		return
	}
	if f.file.FileSize > MaxDownload {
		writeError(w, http.StatusBadRequest, "Bad Request: file is too big", 0)
		return
	}
	writeResult(w, f.file)
}

// download serves https://api.telegram.org/file/bot<token>/<file_path>.
func (s *Server) download(w http.ResponseWriter, r *http.Request, token, rest string) {
	tok, path, ok := strings.Cut(rest, "/")
	if r.Method != http.MethodGet || !ok || tok != token {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	var f *storedFile
	if id, ok := s.paths[path]; ok {
		f = s.files[id]
	}
	s.mu.Unlock()
	if f == nil || f.data == nil {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(path[strings.LastIndexByte(path, '.'):])
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	w.Write(f.data)
}

// required returns the parameter name of a call of method. A missing or
// empty one is a violation, answered as the Bot API does: 400 "Bad Request:
// <name> is empty".
func (s *Server) required(w http.ResponseWriter, method string, p map[string]string, name string) (string, bool) {
	v, ok := p[name]
	if !ok || v == "" {
		s.violation("%s without %s", method, name)
		writeError(w, http.StatusBadRequest, "Bad Request: "+name+" is empty", 0)
		return "", false
	}
	return v, true
}

func (s *Server) badParam(w http.ResponseWriter, method string, err error) {
	s.violation("%s: %v", method, err)
	writeError(w, http.StatusBadRequest, "Bad Request: "+err.Error(), 0)
}

func (s *Server) violation(format string, args ...any) {
	s.mu.Lock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// readParams collects a request's parameters the ways the Bot API accepts
// them: query string, application/x-www-form-urlencoded,
// multipart/form-data or application/json. JSON values that are not
// strings keep their JSON text (numbers, arrays).
func readParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		out[k] = v[0]
	}
	if r.Method != http.MethodPost || r.ContentLength == 0 {
		return out, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var body map[string]json.RawMessage
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		if err := dec.Decode(&body); err != nil {
			return nil, fmt.Errorf("can't parse JSON body: %v", err)
		}
		for k, v := range body {
			var s string
			if err := json.Unmarshal(v, &s); err == nil {
				out[k] = s
			} else {
				out[k] = string(v)
			}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		for k, v := range r.PostForm {
			out[k] = v[0]
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, fmt.Errorf("can't parse multipart/form-data: %v", err)
		}
		for k, v := range r.MultipartForm.Value {
			out[k] = v[0]
		}
	default:
		return nil, fmt.Errorf("unsupported Content-Type %q", ct)
	}
	return out, nil
}

func intParam(p map[string]string, name string, def int64) (int64, error) {
	v, ok := p[name]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parameter %q must be an integer, not %q", name, v)
	}
	return n, nil
}

func errorBody(status int, description string, retryAfter int) string {
	m := map[string]any{"ok": false, "error_code": status, "description": description}
	if retryAfter > 0 {
		m["parameters"] = map[string]any{"retry_after": retryAfter}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func writeError(w http.ResponseWriter, status int, description string, retryAfter int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, errorBody(status, description, retryAfter))
}

func writeResult(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
