package inbox

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode"
)

// IdentityKind names the address space an identity lives in. SMS and WhatsApp
// share the phone kind: a number is one person whichever app they write from.
type IdentityKind string

// Identity kinds.
const (
	KindEmail    IdentityKind = "email"
	KindPhone    IdentityKind = "phone"
	KindTelegram IdentityKind = "telegram"
	KindMatrix   IdentityKind = "matrix"
)

// Identity is one normalized address of a customer. Two identities are the same
// person exactly when Kind and Address are equal.
type Identity struct {
	Kind    IdentityKind `json:"kind"`
	Address string       `json:"address"`
}

// String renders the identity as kind:address.
func (id Identity) String() string { return string(id.Kind) + ":" + id.Address }

// PhoneNormalizer turns a phone number as people write it ("06 12 34 56 78",
// "+44 20 7946 0958", "whatsapp:+33612345678") into E.164. The phone package
// implements it with libphonenumber rules; the domain only needs the interface.
type PhoneNormalizer interface {
	NormalizePhone(raw string) (string, error)
}

// E164 is the strict PhoneNormalizer the domain uses when none is configured:
// it accepts numbers already in international form (a leading + or 00, then
// 8 to 15 digits, with spaces, dots, dashes or brackets between them).
type E164 struct{}

// NormalizePhone implements PhoneNormalizer.
func (E164) NormalizePhone(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	s = strings.TrimPrefix(s, "whatsapp:")
	s = strings.TrimPrefix(s, "tel:")
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "00"):
		s = s[2:]
	default:
		return "", Errorf(Invalid, "phone number %q is not in international form (+country number)", raw)
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", Errorf(Invalid, "phone number %q contains %q", raw, r)
		}
	}
	n := b.Len() - 1
	if n < 8 || n > 15 || b.String()[1] == '0' {
		return "", Errorf(Invalid, "phone number %q does not have a valid country code and 8 to 15 digits", raw)
	}
	return b.String(), nil
}

// NewIdentity validates and normalizes raw into an identity of the given kind:
// e-mail addresses are lower-cased (display names removed), phone numbers go
// through phones (E164{} when nil), Telegram identities are numeric user ids,
// Matrix identities are @localpart:server.
func NewIdentity(kind IdentityKind, raw string, phones PhoneNormalizer) (Identity, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Identity{}, Errorf(Invalid, "empty %s address", kind)
	}
	switch kind {
	case KindEmail:
		addr, err := NormalizeEmail(raw)
		if err != nil {
			return Identity{}, err
		}
		return Identity{KindEmail, addr}, nil
	case KindPhone:
		if phones == nil {
			phones = E164{}
		}
		n, err := phones.NormalizePhone(raw)
		if err != nil {
			return Identity{}, err
		}
		return Identity{KindPhone, n}, nil
	case KindTelegram:
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			return Identity{}, Errorf(Invalid, "Telegram identity %q is not a numeric user id", raw)
		}
		return Identity{KindTelegram, strconv.FormatInt(id, 10)}, nil
	case KindMatrix:
		addr, err := normalizeMatrix(raw)
		if err != nil {
			return Identity{}, err
		}
		return Identity{KindMatrix, addr}, nil
	}
	return Identity{}, Errorf(Invalid, "unknown identity kind %q", kind)
}

// NormalizeEmail returns the bare, lower-cased address of raw, which may carry
// a display name ("Anna <Anna@Example.org>").
func NormalizeEmail(raw string) (string, error) {
	a, err := mail.ParseAddress(raw)
	if err != nil {
		return "", Wrap(Invalid, err, "not a valid e-mail address: "+strconv.Quote(raw))
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 {
		return "", Errorf(Invalid, "not a valid e-mail address: %q", raw)
	}
	return strings.ToLower(a.Address), nil
}

// normalizeMatrix checks @localpart:server. The localpart is lower-cased as
// the Matrix specification requires of new user ids; the server name keeps
// its port.
func normalizeMatrix(raw string) (string, error) {
	if !strings.HasPrefix(raw, "@") {
		return "", Errorf(Invalid, "Matrix user id %q must start with @", raw)
	}
	local, server, ok := strings.Cut(raw[1:], ":")
	if !ok || local == "" || server == "" {
		return "", Errorf(Invalid, "Matrix user id %q must look like @user:server", raw)
	}
	for _, r := range local {
		if unicode.IsSpace(r) || r > unicode.MaxASCII {
			return "", Errorf(Invalid, "Matrix user id %q has a character not allowed in a localpart", raw)
		}
	}
	for _, r := range server {
		if unicode.IsSpace(r) || r == '/' || r == '@' {
			return "", Errorf(Invalid, "Matrix user id %q has an invalid server name", raw)
		}
	}
	return "@" + strings.ToLower(local) + ":" + strings.ToLower(server), nil
}

// ParseIdentity parses the kind:address form printed by Identity.String.
func ParseIdentity(s string, phones PhoneNormalizer) (Identity, error) {
	kind, addr, ok := strings.Cut(s, ":")
	if !ok {
		return Identity{}, Errorf(Invalid, "identity %q must look like kind:address", s)
	}
	return NewIdentity(IdentityKind(kind), addr, phones)
}
