package channels

import (
	"log/slog"
	"regexp"

	"github.com/couture/couture/inbox"
)

// Account is a configured channel account. Secrets (passwords, tokens) are
// never here: they live in the OS keyring or the encrypted fallback file,
// under the account name.
type Account struct {
	Name string `json:"name"`
	// Kind is email, telegram, twilio or matrix.
	Kind string `json:"kind"`
	// Settings are the kind's own fields (host:port, security, address…).
	Settings map[string]string `json:"settings"`
}

// Account kinds.
const (
	KindEmail    = "email"
	KindTelegram = "telegram"
	KindTwilio   = "twilio"
	KindMatrix   = "matrix"
)

var accountName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidName checks an account name given by a person.
func ValidName(name string) error {
	if !accountName.MatchString(name) {
		return inbox.Errorf(inbox.Invalid, "account name %q: use 1 to 64 letters, digits, dots, dashes or underscores", name)
	}
	return nil
}

// Channels lists the channel kinds an account of this kind carries.
func (a Account) Channels() []inbox.ChannelKind {
	switch a.Kind {
	case KindEmail:
		return []inbox.ChannelKind{inbox.ChannelEmail}
	case KindTelegram:
		return []inbox.ChannelKind{inbox.ChannelTelegram}
	case KindTwilio:
		if a.Settings["whatsapp_from"] != "" {
			return []inbox.ChannelKind{inbox.ChannelSMS, inbox.ChannelWhatsApp}
		}
		return []inbox.ChannelKind{inbox.ChannelSMS}
	case KindMatrix:
		return []inbox.ChannelKind{inbox.ChannelMatrix}
	}
	return nil
}

// Settings keys, per account kind. The CLI's `account add` and the GUI's
// settings dialog write them; each channel package reads its own.
const (
	// E-mail.
	SetAddress       = "address"        // the business address, lower-case
	SetAliases       = "aliases"        // more own addresses, comma-separated
	SetIMAP          = "imap"           // host:port
	SetIMAPSecurity  = "imap_security"  // tls, starttls or none
	SetSMTP          = "smtp"           // host:port
	SetSMTPSecurity  = "smtp_security"  // tls, starttls or none
	SetUsername      = "username"       // login name
	SetCAFile        = "ca_file"        // PEM file of a custom CA, optional
	SetAllowInsecure = "allow_insecure" // "true" allows security none off loopback
	SetTokenCommand  = "token_command"  // prints an OAuth2 access token (XOAUTH2/OAUTHBEARER)

	// Telegram, Twilio and Matrix.
	SetAPIURL           = "api_url"           // API base URL override (tests, proxies)
	SetAccountSID       = "account_sid"       // Twilio Account SID (AC…)
	SetAPIKey           = "api_key"           // Twilio API key SID (SK…), optional
	SetFrom             = "from"              // Twilio SMS number, E.164
	SetWhatsAppFrom     = "whatsapp_from"     // Twilio WhatsApp sender, E.164, optional
	SetWhatsAppTemplate = "whatsapp_template" // Content SID of the template offered outside the 24-hour window
	SetHomeserver       = "homeserver"        // Matrix homeserver URL
	SetUser             = "user"              // Matrix user id @name:server
)

// Deps are what a channel needs from the app besides its account and secret.
type Deps struct {
	// Blobs stores raw messages and attachments.
	Blobs inbox.Blobs
	// Phones normalizes phone numbers to E.164.
	Phones inbox.PhoneNormalizer
	// Own reports whether a lower-cased e-mail address belongs to the
	// business (every e-mail account's address and aliases).
	Own func(addr string) bool
	// Logger receives the channel's logs; never secrets.
	Logger *slog.Logger
}

// Factory builds the channel of an account. secret is the password or token
// read from the keyring; each channel package exports one (email.New…).
type Factory func(a Account, secret string, deps Deps) (Channel, error)

// Adapt turns a channel package's New, which returns its concrete type, into
// a Factory. On error it returns a nil Channel, never a typed nil pointer
// inside the interface.
func Adapt[C Channel](newChannel func(Account, string, Deps) (C, error)) Factory {
	return func(a Account, secret string, deps Deps) (Channel, error) {
		c, err := newChannel(a, secret, deps)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}
