package inbox

import "io"

// Blobs keeps large bodies and attachments outside the message records,
// content-addressed: putting the same bytes twice stores them once.
type Blobs interface {
	// Put stores the bytes read from r and returns their key (a hex SHA-256)
	// and size.
	Put(r io.Reader) (key string, size int64, err error)
	// Open returns the bytes stored under key. The caller closes it.
	Open(key string) (io.ReadCloser, error)
}
