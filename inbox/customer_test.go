package inbox

import (
	"strings"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in      string
		want    Status
		wantErr bool
	}{
		{in: "open", want: Open},
		{in: "pending", want: Pending},
		{in: "resolved", want: Resolved},
		{in: "snoozed", want: Snoozed},
		{in: "Open", wantErr: true},
		{in: "closed", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseStatus(tt.in)
			if tt.wantErr {
				if err == nil || ErrorCode(err) != Invalid || !strings.Contains(Explain(err), "one of open, pending") {
					t.Fatalf("ParseStatus(%q) = %q, %v; want an invalid error listing the statuses", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseStatus(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseChannel(t *testing.T) {
	tests := []struct {
		in       string
		want     ChannelKind
		identity IdentityKind
		wantErr  bool
	}{
		{in: "email", want: ChannelEmail, identity: KindEmail},
		{in: "sms", want: ChannelSMS, identity: KindPhone},
		{in: "whatsapp", want: ChannelWhatsApp, identity: KindPhone},
		{in: "telegram", want: ChannelTelegram, identity: KindTelegram},
		{in: "matrix", want: ChannelMatrix, identity: KindMatrix},
		{in: "SMS", wantErr: true},
		{in: "fax", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseChannel(tt.in)
			if tt.wantErr {
				if err == nil || ErrorCode(err) != Invalid || !strings.Contains(Explain(err), "one of email, sms") {
					t.Fatalf("ParseChannel(%q) = %q, %v; want an invalid error listing the channels", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseChannel(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			if k := got.IdentityKind(); k != tt.identity {
				t.Errorf("%q.IdentityKind() = %q, want %q", got, k, tt.identity)
			}
		})
	}
	if k := ChannelNone.IdentityKind(); k != "" {
		t.Errorf("ChannelNone.IdentityKind() = %q, want none", k)
	}
}

func TestEffectiveStatus(t *testing.T) {
	now := at(60)
	tests := []struct {
		name string
		c    Customer
		want Status
	}{
		{name: "snoozed until later", c: Customer{Status: Snoozed, SnoozedUntil: now.Add(time.Second)}, want: Snoozed},
		{name: "snooze ends now", c: Customer{Status: Snoozed, SnoozedUntil: now}, want: Open},
		{name: "snooze ended", c: Customer{Status: Snoozed, SnoozedUntil: now.Add(-time.Hour)}, want: Open},
		{name: "snoozed without end", c: Customer{Status: Snoozed}, want: Open},
		{name: "open", c: Customer{Status: Open}, want: Open},
		{name: "pending", c: Customer{Status: Pending}, want: Pending},
		{name: "resolved with stale snooze time", c: Customer{Status: Resolved, SnoozedUntil: now.Add(-time.Hour)}, want: Resolved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.EffectiveStatus(now); got != tt.want {
				t.Errorf("EffectiveStatus = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDefaultChannel(t *testing.T) {
	tests := []struct {
		name string
		c    Customer
		want ChannelKind
	}{
		{name: "last inbound channel wins", c: Customer{LastChannel: ChannelWhatsApp, Identities: []Identity{{KindEmail, "a@example.org"}}}, want: ChannelWhatsApp},
		{name: "phone means SMS", c: Customer{Identities: []Identity{{KindPhone, "+33612345678"}, {KindEmail, "a@example.org"}}}, want: ChannelSMS},
		{name: "first identity", c: Customer{Identities: []Identity{{KindMatrix, "@a:example.org"}, {KindEmail, "a@example.org"}}}, want: ChannelMatrix},
		{name: "telegram", c: Customer{Identities: []Identity{{KindTelegram, "42"}}}, want: ChannelTelegram},
		{name: "none", c: Customer{}, want: ChannelNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultChannel(&tt.c); got != tt.want {
				t.Errorf("DefaultChannel = %q, want %q", got, tt.want)
			}
		})
	}
}
