package inbox

import (
	"strings"
	"testing"
)

func TestNewIdentity(t *testing.T) {
	tests := []struct {
		name    string
		kind    IdentityKind
		raw     string
		want    Identity
		wantErr string // part of the message when an error is expected
	}{
		// E-mail.
		{name: "email bare", kind: KindEmail, raw: "anna@example.org", want: Identity{KindEmail, "anna@example.org"}},
		{name: "email with display name", kind: KindEmail, raw: "Anna Martin <anna@example.org>", want: Identity{KindEmail, "anna@example.org"}},
		{name: "email quoted display name", kind: KindEmail, raw: `"Martin, Anna" <anna@example.org>`, want: Identity{KindEmail, "anna@example.org"}},
		{name: "email upper case", kind: KindEmail, raw: "Anna@Example.ORG", want: Identity{KindEmail, "anna@example.org"}},
		{name: "email surrounding spaces", kind: KindEmail, raw: "  anna@example.org\n", want: Identity{KindEmail, "anna@example.org"}},
		{name: "email no at", kind: KindEmail, raw: "anna.example.org", wantErr: "not a valid e-mail address"},
		{name: "email no domain", kind: KindEmail, raw: "anna@", wantErr: "not a valid e-mail address"},
		{name: "email no local part", kind: KindEmail, raw: "@example.org", wantErr: "not a valid e-mail address"},
		{name: "email two addresses", kind: KindEmail, raw: "a@example.org, b@example.org", wantErr: "not a valid e-mail address"},
		{name: "email empty", kind: KindEmail, raw: "  ", wantErr: "empty email address"},

		// Phone, through the default E164{} normalizer.
		{name: "phone international", kind: KindPhone, raw: "+33 6 12 34 56 78", want: Identity{KindPhone, "+33612345678"}},
		{name: "phone WhatsApp prefix", kind: KindPhone, raw: "whatsapp:+33612345678", want: Identity{KindPhone, "+33612345678"}},
		{name: "phone tel prefix and dashes", kind: KindPhone, raw: "tel:+1-202-555-0143", want: Identity{KindPhone, "+12025550143"}},
		{name: "phone 00 prefix", kind: KindPhone, raw: "0044 (20) 7946.0958", want: Identity{KindPhone, "+442079460958"}},
		{name: "phone no-break spaces", kind: KindPhone, raw: "+33\u00a06\u00a012\u00a034\u00a056\u00a078", want: Identity{KindPhone, "+33612345678"}},
		{name: "phone national", kind: KindPhone, raw: "06 12 34 56 78", wantErr: "not in international form"},
		{name: "phone letters", kind: KindPhone, raw: "+33 6 12 AB 56 78", wantErr: "contains 'A'"},
		{name: "phone too short", kind: KindPhone, raw: "+33 612", wantErr: "8 to 15 digits"},
		{name: "phone too long", kind: KindPhone, raw: "+33 6 12 34 56 78 90 12 34", wantErr: "8 to 15 digits"},
		{name: "phone country code 0", kind: KindPhone, raw: "+0 612 345 678", wantErr: "valid country code"},

		// Telegram.
		{name: "telegram numeric", kind: KindTelegram, raw: "123456789", want: Identity{KindTelegram, "123456789"}},
		{name: "telegram leading zeros", kind: KindTelegram, raw: "00123456789", want: Identity{KindTelegram, "123456789"}},
		{name: "telegram username", kind: KindTelegram, raw: "@anna", wantErr: "not a numeric user id"},
		{name: "telegram zero", kind: KindTelegram, raw: "0", wantErr: "not a numeric user id"},
		{name: "telegram negative chat id", kind: KindTelegram, raw: "-1001234567890", wantErr: "not a numeric user id"},
		{name: "telegram overflow", kind: KindTelegram, raw: "99999999999999999999", wantErr: "not a numeric user id"},

		// Matrix.
		{name: "matrix lower-cased", kind: KindMatrix, raw: "@User:Server.org", want: Identity{KindMatrix, "@user:server.org"}},
		{name: "matrix with port", kind: KindMatrix, raw: "@anna:matrix.example.org:8448", want: Identity{KindMatrix, "@anna:matrix.example.org:8448"}},
		{name: "matrix no at", kind: KindMatrix, raw: "anna:example.org", wantErr: "must start with @"},
		{name: "matrix no server", kind: KindMatrix, raw: "@anna", wantErr: "must look like @user:server"},
		{name: "matrix empty server", kind: KindMatrix, raw: "@anna:", wantErr: "must look like @user:server"},
		{name: "matrix empty localpart", kind: KindMatrix, raw: "@:example.org", wantErr: "must look like @user:server"},
		{name: "matrix space in localpart", kind: KindMatrix, raw: "@an na:example.org", wantErr: "not allowed in a localpart"},
		{name: "matrix non-ASCII localpart", kind: KindMatrix, raw: "@anné:example.org", wantErr: "not allowed in a localpart"},
		{name: "matrix slash in server", kind: KindMatrix, raw: "@anna:example.org/path", wantErr: "invalid server name"},
		{name: "matrix at in server", kind: KindMatrix, raw: "@anna:anna@example.org", wantErr: "invalid server name"},

		// Kinds.
		{name: "unknown kind", kind: "fax", raw: "+33612345678", wantErr: `unknown identity kind "fax"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewIdentity(tt.kind, tt.raw, nil)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("NewIdentity(%s, %q) = %v, want an error containing %q", tt.kind, tt.raw, got, tt.wantErr)
				}
				if ErrorCode(err) != Invalid {
					t.Errorf("error code = %q, want %q", ErrorCode(err), Invalid)
				}
				if !strings.Contains(Explain(err), tt.wantErr) {
					t.Errorf("error %q does not contain %q", Explain(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewIdentity(%s, %q): %v", tt.kind, tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("NewIdentity(%s, %q) = %v, want %v", tt.kind, tt.raw, got, tt.want)
			}
		})
	}
}

// fixedPhones is a PhoneNormalizer that maps national numbers of one country.
type fixedPhones map[string]string

func (f fixedPhones) NormalizePhone(raw string) (string, error) {
	if n, ok := f[raw]; ok {
		return n, nil
	}
	return "", Errorf(Invalid, "phone number %q is not a valid phone number for region FR", raw)
}

func TestNewIdentityUsesPhoneNormalizer(t *testing.T) {
	phones := fixedPhones{"06 12 34 56 78": "+33612345678"}
	got, err := NewIdentity(KindPhone, " 06 12 34 56 78 ", phones)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Identity{KindPhone, "+33612345678"}); got != want {
		t.Errorf("NewIdentity = %v, want %v", got, want)
	}
	if _, err := NewIdentity(KindPhone, "+33612345678", phones); err == nil || !strings.Contains(Explain(err), "region FR") {
		t.Errorf("error = %v, want the normalizer's own message", err)
	}
}

func TestParseIdentity(t *testing.T) {
	tests := []struct {
		in      string
		want    Identity
		wantErr bool
	}{
		{in: "email:Anna@Example.org", want: Identity{KindEmail, "anna@example.org"}},
		{in: "phone:+33612345678", want: Identity{KindPhone, "+33612345678"}},
		{in: "telegram:42", want: Identity{KindTelegram, "42"}},
		{in: "matrix:@anna:example.org", want: Identity{KindMatrix, "@anna:example.org"}},
		{in: "anna@example.org", wantErr: true},
		{in: "fax:123", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseIdentity(tt.in, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseIdentity(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseIdentity(%q) = %v, want %v", tt.in, got, tt.want)
			}
			// String and ParseIdentity round-trip.
			if !tt.wantErr {
				back, err := ParseIdentity(got.String(), nil)
				if err != nil || back != got {
					t.Errorf("ParseIdentity(%q) = %v, %v; want %v", got.String(), back, err, got)
				}
			}
		})
	}
}

func TestCustomerHas(t *testing.T) {
	c := Customer{Identities: []Identity{{KindEmail, "anna@example.org"}, {KindPhone, "+33612345678"}}}
	if !c.Has(Identity{KindPhone, "+33612345678"}) {
		t.Error("Has(own phone) = false")
	}
	if c.Has(Identity{KindEmail, "+33612345678"}) {
		t.Error("Has(same address, other kind) = true")
	}
}
