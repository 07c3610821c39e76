// Package archtest checks that the packages depend on each other the way
// DESIGN.md says: dependencies point downwards only. It asks the go command
// (go list -deps) for the real import graph, test files excluded.
package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/couture/couture"

// pkg is the part of go list -json output the rules read.
type pkg struct {
	ImportPath string
	Standard   bool
}

// deps returns every package that pattern's packages depend on, themselves
// included, keyed by import path.
func deps(t *testing.T, pattern string) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Standard", pattern)
	cmd.Dir = "../.."
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pattern, err, stderr.String())
	}
	all := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list -deps %s: decode: %v", pattern, err)
		}
		all[p.ImportPath] = p
	}
	return all
}

// under reports whether path is the package dir or one below it.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

func TestDependenciesPointDownwards(t *testing.T) {
	tests := []struct {
		name    string
		pattern string // packages checked
		// forbidden reports why a dependency of pattern breaks the rule,
		// "" when it does not.
		forbidden func(p pkg) string
	}{
		{
			name:    "ui imports neither storage nor channels",
			pattern: "./ui/...",
			forbidden: func(p pkg) string {
				switch {
				case under(p.ImportPath, module+"/storage"):
					return "the ui reads and writes through inbox.Desk, never storage"
				case under(p.ImportPath, module+"/channels"):
					return "the ui learns about channels from Desk events, never from channels"
				}
				return ""
			},
		},
		{
			name:    "channels do not import storage",
			pattern: "./channels/...",
			forbidden: func(p pkg) string {
				if under(p.ImportPath, module+"/storage") {
					return "channels hand batches to inbox.Desk, they never write the store"
				}
				return ""
			},
		},
		{
			name:    "inbox imports the standard library only",
			pattern: "./inbox",
			forbidden: func(p pkg) string {
				if !p.Standard && p.ImportPath != module+"/inbox" {
					return "the domain depends on the standard library only"
				}
				return ""
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all := deps(t, tt.pattern)
			if len(all) == 0 {
				t.Skipf("no packages match %s yet", tt.pattern)
			}
			for _, path := range slices.Sorted(maps.Keys(all)) {
				if why := tt.forbidden(all[path]); why != "" {
					t.Errorf("%s depends on %s: %s", tt.pattern, path, why)
				}
			}
		})
	}
}
