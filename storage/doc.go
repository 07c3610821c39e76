// Package storage keeps Couture's data in one bbolt file under the data
// directory, with a bleve full-text index beside it that can be rebuilt from
// the store at any time. It implements inbox.Store and inbox.Blobs.
//
// Raw messages and attachments are content-addressed blobs: those up to
// 256 KiB inside the bbolt file, committed with the batch that names them
// (one fsync a batch), larger ones as gzip files under blobs/.
package storage
