package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/phone"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/updates")

// stubFetcher stands in for getFile and the download: every file is "stored"
// under a fixed key, except those over MaxDownload.
type stubFetcher struct{}

func (stubFetcher) fetch(_ context.Context, f fileRef) (inbox.Attachment, string, error) {
	if f.size > MaxDownload {
		return inbox.Attachment{}, tooBig(f), nil
	}
	return inbox.Attachment{Name: f.name, Type: f.typ, Size: f.size, Blob: strings.Repeat("ab", 32)}, "", nil
}

// decodeAll turns a getUpdates result into what Sync would commit.
func decodeAll(data []byte) ([]inbox.Incoming, error) {
	ups, _, err := decodeUpdates(data)
	if err != nil {
		return nil, err
	}
	var out []inbox.Incoming
	for _, u := range ups {
		in, ok, err := incoming(context.Background(), u, testAccount, "@couture_shop_bot", phone.Normalizer{}, stubFetcher{})
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, in)
		}
	}
	return out, nil
}

// TestDecodeGolden turns real-shaped getUpdates results (testdata/updates/*.json)
// into the Incoming messages Sync commits and compares them with the golden
// files beside them. go test -run TestDecodeGolden -update rewrites them.
func TestDecodeGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/updates/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeAll(data)
			if err != nil {
				t.Fatal(err)
			}
			out, _ := json.MarshalIndent(got, "", "  ")
			out = append(out, '\n')
			golden := strings.TrimSuffix(in, ".json") + ".golden.json"
			if *updateGolden {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("%s differs from %s:\n%s", in, golden, out)
			}
		})
	}
}

var externalID = regexp.MustCompile(`^-?[0-9]+/[0-9]+$`)

// FuzzTelegramUpdate feeds arbitrary getUpdates results to the decoder: it
// must never panic, and what it accepts must be a message the store can
// take: an external id "<chat>/<message>", a Telegram party that is a valid
// identity (or the Other view), phone links in E.164.
func FuzzTelegramUpdate(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/updates/*.json")
	for _, s := range seeds {
		if strings.HasSuffix(s, ".golden.json") {
			continue
		}
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"update_id":1}]`))
	f.Add([]byte(`[{"update_id":1,"message":{"message_id":1,"from":{"id":-5},"chat":{"id":-5,"type":"private"},"date":-1,"text":""}}]`))
	f.Add([]byte(`[{"update_id":2,"message":{"message_id":"x"}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ins, err := decodeAll(data)
		if err != nil {
			return
		}
		for _, in := range ins {
			m := in.Message
			if !externalID.MatchString(m.ExternalID) {
				t.Errorf("external id %q", m.ExternalID)
			}
			if m.Direction != inbox.In || m.Channel != inbox.ChannelTelegram {
				t.Errorf("direction %q channel %q", m.Direction, m.Channel)
			}
			if !in.Other {
				id, err := inbox.NewIdentity(inbox.KindTelegram, m.Party.Address, nil)
				if err != nil || id != m.Party {
					t.Errorf("party %v is not a valid Telegram identity: %v", m.Party, err)
				}
				if in.Name == "" {
					t.Error("a customer message without a name")
				}
			}
			for _, l := range in.Links {
				if l.Kind != inbox.KindPhone || !strings.HasPrefix(l.Address, "+") {
					t.Errorf("link %v is not an E.164 phone identity", l)
				}
				if in.Other {
					t.Errorf("a message for Other links %v", l)
				}
			}
			if m.Text == "" && len(m.Attachments) == 0 && m.Warning == "" {
				t.Error("an empty message without a warning")
			}
		}
	})
}
