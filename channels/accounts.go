package channels

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/couture/couture/inbox"
)

// Settings is where accounts and their last status are kept: small values
// under a key. storage.Store implements it; channels never imports storage.
type Settings interface {
	// Setting returns the value saved under key, nil when none.
	Setting(key string) ([]byte, error)
	// SetSetting saves v under key; nil deletes it.
	SetSetting(key string, v []byte) error
}

// Setting keys.
const (
	accountsKey = "accounts"       // JSON array of Account
	statusKey   = "account_status" // JSON object: account name → Status
)

// settingsMu serializes the read-modify-write of the settings keys within
// the process (the store lock keeps other processes out).
var settingsMu sync.Mutex

// LoadAccounts returns the configured accounts in the order they were
// added; none is an empty list, not an error.
func LoadAccounts(s Settings) ([]Account, error) {
	raw, err := s.Setting(accountsKey)
	if err != nil {
		return nil, err
	}
	var out []Account
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, fmt.Errorf("decode the saved accounts: %w", err)
		}
	}
	for i := range out {
		if out[i].Settings == nil {
			out[i].Settings = map[string]string{}
		}
	}
	return out, nil
}

// FindAccount returns the account called name, or an inbox.NotFound error
// that lists the ones there are.
func FindAccount(s Settings, name string) (Account, error) {
	all, err := LoadAccounts(s)
	if err != nil {
		return Account{}, err
	}
	for _, a := range all {
		if a.Name == name {
			return a, nil
		}
	}
	return Account{}, noAccount(name, all)
}

func noAccount(name string, all []Account) error {
	if len(all) == 0 {
		return inbox.Errorf(inbox.NotFound, "no account %q: no account is configured yet (couture account add)", name)
	}
	names := make([]string, len(all))
	for i, a := range all {
		names[i] = a.Name
	}
	return inbox.Errorf(inbox.NotFound, "no account %q (there are: %s)", name, strings.Join(names, ", "))
}

// SaveAccount adds a new account. It checks the name and the kind and
// refuses a name already taken, ignoring case (names also key secrets and
// sync cursors); ReplaceAccount changes an existing one.
func SaveAccount(s Settings, a Account) error {
	return putAccount(s, a, false)
}

// ReplaceAccount replaces the settings of the existing account a.Name.
func ReplaceAccount(s Settings, a Account) error {
	return putAccount(s, a, true)
}

func putAccount(s Settings, a Account, replace bool) error {
	if err := ValidName(a.Name); err != nil {
		return err
	}
	switch a.Kind {
	case KindEmail, KindTelegram, KindTwilio, KindMatrix:
	default:
		return inbox.Errorf(inbox.Invalid, "unknown account kind %q (one of email, telegram, twilio, matrix)", a.Kind)
	}
	if a.Settings == nil {
		a.Settings = map[string]string{}
	}
	a.Settings = maps.Clone(a.Settings)
	settingsMu.Lock()
	defer settingsMu.Unlock()
	all, err := LoadAccounts(s)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(all, func(x Account) bool { return strings.EqualFold(x.Name, a.Name) })
	switch {
	case i >= 0 && !replace:
		return inbox.Errorf(inbox.Conflict, "an account named %q exists already; remove it first or pick another name", all[i].Name)
	case i < 0 && replace:
		return noAccount(a.Name, all)
	case i >= 0:
		if all[i].Name != a.Name || all[i].Kind != a.Kind {
			return inbox.Errorf(inbox.Conflict, "account %q is a %s account named %q; its kind and name cannot change", a.Name, all[i].Kind, all[i].Name)
		}
		all[i] = a
	default:
		all = append(all, a)
	}
	return saveAccounts(s, all)
}

// RemoveAccount forgets the account and its last status. Its messages and
// sync cursors stay in the store: adding an account of the same name
// resumes where it stopped. The caller deletes the secret.
func RemoveAccount(s Settings, name string) error {
	settingsMu.Lock()
	defer settingsMu.Unlock()
	all, err := LoadAccounts(s)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(all, func(x Account) bool { return x.Name == name })
	if i < 0 {
		return noAccount(name, all)
	}
	if err := saveAccounts(s, slices.Delete(all, i, i+1)); err != nil {
		return err
	}
	st, err := loadStatuses(s)
	if _, ok := st[name]; err != nil || !ok {
		return nil // a status is a cache; never fail a removal over it
	}
	delete(st, name)
	return saveStatuses(s, st)
}

func saveAccounts(s Settings, all []Account) error {
	if all == nil {
		all = []Account{}
	}
	raw, err := json.Marshal(all)
	if err != nil {
		return err
	}
	return s.SetSetting(accountsKey, raw)
}

// LoadStatuses returns the last status the Engine saved for each account,
// so `couture account list` can show how the last sync went.
func LoadStatuses(s Settings) (map[string]Status, error) {
	settingsMu.Lock()
	defer settingsMu.Unlock()
	return loadStatuses(s)
}

func loadStatuses(s Settings) (map[string]Status, error) {
	raw, err := s.Setting(statusKey)
	if err != nil {
		return nil, err
	}
	out := map[string]Status{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, fmt.Errorf("decode the saved account statuses: %w", err)
		}
	}
	return out, nil
}

func saveStatuses(s Settings, st map[string]Status) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return s.SetSetting(statusKey, raw)
}

// saveStatus records one account's status; progress is not kept (it is
// stale the moment the process ends).
func saveStatus(s Settings, st Status) error {
	settingsMu.Lock()
	defer settingsMu.Unlock()
	all, err := loadStatuses(s)
	if err != nil {
		all = map[string]Status{} // a damaged cache is rebuilt
	}
	st.Progress = Progress{}
	st.NextTry = time.Time{}
	all[st.Account] = st
	return saveStatuses(s, all)
}

// OwnAddresses returns a Deps.Own function: it reports whether a lower-cased
// e-mail address is one of the business's own, the address or an alias of
// any e-mail account.
func OwnAddresses(accounts []Account) func(addr string) bool {
	own := map[string]bool{}
	for _, a := range accounts {
		if a.Kind != KindEmail {
			continue
		}
		for _, s := range append([]string{a.Settings[SetAddress]}, strings.Split(a.Settings[SetAliases], ",")...) {
			if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
				own[s] = true
			}
		}
	}
	return func(addr string) bool { return own[strings.ToLower(strings.TrimSpace(addr))] }
}
