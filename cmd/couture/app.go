package main

import (
	"os"

	"github.com/couture/couture/assets"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/phone"
	"github.com/couture/couture/storage"
)

// app is the wiring of one process: the store, the Desk over it, and the
// clock the demo loader can hold still.
type appState struct {
	store *storage.Store
	desk  *inbox.Desk
	clock *assets.Clock
}

// open opens the store in the data directory and builds the Desk. Commands
// call it once; env.close closes it.
func (e *env) open() (*appState, error) {
	if e.app != nil {
		return e.app, nil
	}
	st, err := storage.Open(e.dataDir, &storage.Options{NoSync: e.throwaway})
	if err != nil {
		return nil, err
	}
	clock := newClock() // held at $COUTURE_NOW when set (service.go)
	desk := inbox.NewDesk(st, &inbox.Options{
		Clock:  clock.Now,
		Phones: phone.Normalizer{Region: os.Getenv("COUTURE_PHONE_REGION")},
	})
	e.app = &appState{store: st, desk: desk, clock: clock}
	return e.app, nil
}

func (e *env) close() {
	if e.app != nil {
		e.app.store.Close()
		e.app = nil
	}
}
