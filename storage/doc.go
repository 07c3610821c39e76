// Package storage keeps Couture's data in one bbolt file under the data
// directory, with large bodies and attachments as compressed content-addressed
// blobs beside it and a bleve full-text index that can be rebuilt from the
// store at any time. It implements inbox.Store and inbox.Blobs.
package storage
