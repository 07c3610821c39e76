package email

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ReadMaildir calls fn with every message of the Maildir at dir and of all
// folders below it, Maildir++ subfolders (".Sent", ".Archive.2020") as well
// as nested layouts: every file directly inside a "cur" or "new" directory,
// in lexical path order. tmp directories hold messages still being written
// and are skipped, as are hidden files. fn owns raw. flags are the letters
// after the ":2," info suffix of the file name (D draft, F flagged, P passed,
// R replied, S seen, T trashed), "" for messages in new/; the "!2," and
// ";2," suffixes that Windows tools use are read too.
//
// An error from fn, or a file that cannot be read, stops the walk and is
// returned.
func ReadMaildir(dir string, fn func(raw []byte, flags string) error) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("read maildir: %w", err)
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read maildir: %w", err)
		}
		if d.IsDir() {
			if d.Name() == "tmp" && path != dir {
				return filepath.SkipDir
			}
			return nil
		}
		parent := filepath.Base(filepath.Dir(path))
		if (parent != "cur" && parent != "new") || strings.HasPrefix(d.Name(), ".") || !d.Type().IsRegular() {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read maildir message: %w", err)
		}
		return fn(raw, maildirFlags(d.Name()))
	})
}

// maildirFlags returns the flags of a Maildir file name
// ("1700000000.M1P2.host,S=1234:2,RS" has "RS").
func maildirFlags(name string) string {
	for _, sep := range []string{":2,", "!2,", ";2,"} {
		if i := strings.LastIndex(name, sep); i >= 0 {
			return name[i+len(sep):]
		}
	}
	return ""
}
