package email

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/emersion/go-imap/v2"
)

func TestWithout(t *testing.T) {
	bad := map[imap.UID]trouble{5: {}, 9: {}, 10: {}, 40: {}}
	tests := []struct {
		set  imap.UIDSet
		want string
	}{
		{imap.UIDSet{{Start: 1, Stop: 20}}, "1:4,6:8,11:20"},
		{imap.UIDSet{{Start: 3, Stop: 0}}, "3:4,6:8,11:39,41:*"},
		{imap.UIDSet{{Start: 11, Stop: 30}}, "11:30"},
		{imap.UIDSet{{Start: 5, Stop: 5}, {Start: 7, Stop: 7}}, "7"},
		{imap.UIDSet{{Start: 0, Stop: 0}}, "*"},
	}
	for _, tt := range tests {
		if got := without(tt.set, bad).String(); got != tt.want {
			t.Errorf("without(%v) = %s, want %s", tt.set, got, tt.want)
		}
	}
}

func TestCursorCurrent(t *testing.T) {
	cur := cursor{UIDValidity: 7, Last: 120, Oldest: 1, Done: true, ModSeq: 300}
	st := func(v uint32, next imap.UID, modseq uint64) *imap.StatusData {
		return &imap.StatusData{UIDValidity: v, UIDNext: next, HighestModSeq: modseq}
	}
	tests := []struct {
		name      string
		cur       cursor
		st        *imap.StatusData
		condstore bool
		want      bool
	}{
		{"unchanged", cur, st(7, 121, 300), true, true},
		{"new mail", cur, st(7, 122, 301), true, false},
		{"flags changed", cur, st(7, 121, 305), true, false},
		{"UIDVALIDITY changed", cur, st(8, 121, 300), true, false},
		{"expunged at the end", cur, st(7, 121, 310), true, false},
		{"no CONDSTORE: flags are read again", cur, st(7, 121, 0), false, false},
		{"no CONDSTORE, nothing stored", cursor{UIDValidity: 7, Oldest: 1, Done: true}, st(7, 1, 0), false, true},
		{"backfill not done", cursor{UIDValidity: 7, Last: 120, Oldest: 50, ModSeq: 300}, st(7, 121, 300), true, false},
		{"retry pending", cursor{UIDValidity: 7, Last: 120, Oldest: 1, Done: true, ModSeq: 300, Retry: map[imap.UID]int{3: 1}}, st(7, 121, 300), true, false},
		{"no status", cur, nil, true, false},
		{"never synced", cursor{}, st(7, 1, 1), true, false},
	}
	for _, tt := range tests {
		if got := tt.cur.current(tt.st, tt.condstore); got != tt.want {
			t.Errorf("%s: current = %v", tt.name, got)
		}
	}
	// The cursor survives its JSON form, Retry included.
	cur.Retry = map[imap.UID]int{3: 2}
	cur.Flags, cur.Unseen = true, uidSet(imap.UIDSetNum(2, 3, 4, 9))
	var back cursor
	if err := json.Unmarshal(mustJSON(cur), &back); err != nil || back.Retry[3] != 2 || back.Last != 120 ||
		!back.Flags || imap.UIDSet(back.Unseen).String() != "2:4,9" {
		t.Errorf("round trip: %+v, %v (%s)", back, err, mustJSON(cur))
	}
	if !bytes.Contains(mustJSON(cur), []byte(`"unseen":"2:4,9"`)) {
		t.Errorf("unseen UIDs saved as %s, want a sequence set", mustJSON(cur))
	}
	for _, bad := range []string{`"0"`, `"1:x"`, `"a"`, `3`} {
		var s uidSet
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("UID set %s read without error as %v", bad, imap.UIDSet(s))
		}
	}
}
