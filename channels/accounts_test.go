package channels

import (
	"testing"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
	"github.com/couture/couture/storage/storagetest"
)

func TestAccountsPersistence(t *testing.T) {
	s := storagetest.MustOpen(t, &storage.Options{NoIndex: true})
	if all, err := LoadAccounts(s); err != nil || len(all) != 0 {
		t.Fatalf("empty store: %v, %v", all, err)
	}
	shop := Account{Name: "shop", Kind: KindEmail, Settings: map[string]string{SetAddress: "hello@shop.example", SetAliases: "Sales@Shop.example, "}}
	if err := SaveAccount(s, shop); err != nil {
		t.Fatal(err)
	}
	if err := SaveAccount(s, Account{Name: "bot", Kind: KindTelegram}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		acc  Account
		code inbox.Code
	}{
		{"duplicate", Account{Name: "shop", Kind: KindEmail}, inbox.Conflict},
		{"duplicate other case", Account{Name: "SHOP", Kind: KindMatrix}, inbox.Conflict},
		{"bad name", Account{Name: "my shop", Kind: KindEmail}, inbox.Invalid},
		{"empty name", Account{Name: "", Kind: KindEmail}, inbox.Invalid},
		{"unknown kind", Account{Name: "fax", Kind: "fax"}, inbox.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := SaveAccount(s, tt.acc); inbox.ErrorCode(err) != tt.code {
				t.Fatalf("SaveAccount(%+v) = %v, want %s", tt.acc, err, tt.code)
			}
		})
	}
	all, err := LoadAccounts(s)
	if err != nil || len(all) != 2 || all[0].Name != "shop" || all[1].Name != "bot" || all[1].Settings == nil {
		t.Fatalf("LoadAccounts = %+v, %v", all, err)
	}

	shop.Settings[SetIMAP] = "imap.shop.example:993"
	if err := ReplaceAccount(s, shop); err != nil {
		t.Fatal(err)
	}
	if a, err := FindAccount(s, "shop"); err != nil || a.Settings[SetIMAP] != "imap.shop.example:993" {
		t.Fatalf("after Replace: %+v, %v", a, err)
	}
	if err := ReplaceAccount(s, Account{Name: "shop", Kind: KindMatrix}); inbox.ErrorCode(err) != inbox.Conflict {
		t.Errorf("Replace changing the kind: %v", err)
	}
	if err := ReplaceAccount(s, Account{Name: "ghost", Kind: KindMatrix}); inbox.ErrorCode(err) != inbox.NotFound {
		t.Errorf("Replace of a missing account: %v", err)
	}

	own := OwnAddresses(all)
	for addr, want := range map[string]bool{"hello@shop.example": true, "sales@shop.example": true, "anna@example.org": false, "": false} {
		if own(addr) != want {
			t.Errorf("own(%q) = %v", addr, !want)
		}
	}

	if err := saveStatus(s, Status{Account: "bot", State: StateIdle, Progress: Progress{Done: 3}}); err != nil {
		t.Fatal(err)
	}
	if st, _ := LoadStatuses(s); st["bot"].State != StateIdle || st["bot"].Progress.Done != 0 {
		t.Errorf("saved status %+v (progress is not kept)", st["bot"])
	}
	if err := RemoveAccount(s, "bot"); err != nil {
		t.Fatal(err)
	}
	if err := RemoveAccount(s, "bot"); inbox.ErrorCode(err) != inbox.NotFound {
		t.Errorf("second removal: %v", err)
	}
	if st, _ := LoadStatuses(s); len(st) != 0 {
		t.Errorf("status kept after removal: %+v", st)
	}
	if _, err := FindAccount(s, "bot"); inbox.ErrorCode(err) != inbox.NotFound || inbox.Explain(err) != `no account "bot" (there are: shop)` {
		t.Errorf("FindAccount after removal: %v", err)
	}
}
