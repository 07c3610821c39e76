// Package servicetest tests the customer-service rules of inbox.Desk
// (acknowledgements, the level-1 bot, surveys, continuity summaries, sender
// rules, reports) against a real store: the inbox package cannot import
// storage, so its store-backed tests live here. It has no code of its own.
package servicetest
