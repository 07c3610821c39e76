package email

import (
	"strings"

	"github.com/emersion/go-message/mail"
)

// IsAutomated reports whether a message was sent by a machine or to a list
// rather than written by a person to the business, and why. Such messages go
// to the "Other" view, never create a customer and never get an automatic
// answer. The reasons, checked in this order:
//
//   - list or bulk mail (see isBulk);
//   - Auto-Submitted other than "no" (RFC 3834 section 5);
//   - X-Autoreply or X-Autorespond, set by older responders;
//   - a delivery report: Content-Type multipart/report (RFC 6522) or an
//     empty Return-Path, the null reverse-path of bounces (RFC 5321
//     section 4.5.5);
//   - a sender whose local part says nobody reads the answers (noreply,
//     no-reply, donotreply, do-not-reply, mailer-daemon, postmaster,
//     bounce…, notifications).
func IsAutomated(h mail.Header) (bool, string) {
	if ok, why := isBulk(h); ok {
		return true, why
	}
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return true, "Auto-Submitted: " + v
	}
	for _, key := range []string{"X-Autoreply", "X-Autorespond"} {
		if h.Has(key) {
			return true, key + " present"
		}
	}
	if t, _, _ := h.ContentType(); t == "multipart/report" {
		return true, "delivery report (multipart/report)"
	}
	if h.Has("Return-Path") && strings.Trim(h.Get("Return-Path"), "<> \t") == "" {
		return true, "null Return-Path (bounce)"
	}
	from, _ := addresses(h, "From")
	for _, a := range from {
		if noReply(a.Addr) {
			return true, "no-reply sender " + strings.ToLower(a.Addr)
		}
	}
	return false, ""
}

// isBulk reports list and bulk mail: List-Id, List-Unsubscribe or List-Post
// present (RFC 2919, RFC 2369), or Precedence bulk, list or junk (RFC 3834
// section 2 names it as the de-facto marker).
func isBulk(h mail.Header) (bool, string) {
	for _, key := range []string{"List-Id", "List-Unsubscribe", "List-Post"} {
		if h.Has(key) {
			return true, key + " present"
		}
	}
	switch p := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); p {
	case "bulk", "list", "junk", "auto_reply":
		return true, "Precedence: " + p
	}
	return false, ""
}

// noReplyNames are local parts (compared without case, dots, dashes and
// underscores) that nobody reads.
var noReplyNames = map[string]bool{
	"noreply":       true,
	"donotreply":    true,
	"mailerdaemon":  true,
	"postmaster":    true,
	"notifications": true,
	"notification":  true,
}

// squash removes the separators people put inside "no-reply".
var squash = strings.NewReplacer("-", "", "_", "", ".", "")

// noReply reports whether addr is a no-reply sender.
func noReply(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false
	}
	local := strings.ToLower(addr[:at])
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if strings.HasPrefix(local, "bounce") {
		return true
	}
	return noReplyNames[squash.Replace(local)]
}
