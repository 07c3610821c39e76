// Package inbox is Couture's domain: customers, their identities on every
// channel, the messages of one continuous timeline, the rules that decide who
// is waiting for an answer, and the Desk service that the GUI, the CLI and the
// channels all call.
//
// The package depends on the standard library only. Storage (storage/) and
// wire protocols (channels/*) implement the interfaces declared here.
package inbox
