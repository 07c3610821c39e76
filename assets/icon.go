// Package assets embeds Couture's icon, demo data and default answer library.
package assets

import _ "embed"

// Icon is Couture's application icon, a 512×512 PNG (a speech bubble joined
// by a running stitch, with its needle and thread). It is drawn by
// tools/icongen; regenerate it there rather than editing the PNG by hand.
// The slice is shared: callers must not modify it.
//
//go:embed icon.png
var Icon []byte
