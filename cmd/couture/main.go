// Command couture is Couture's desktop app and its command line. With no
// command it opens the GUI; every command works on the same store as the GUI.
//
//	couture [--data-dir DIR] [--demo] [<command> [flags] [args]]
//
// Exit status: 0 ok, 1 error (one line on stderr), 2 usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"

	"github.com/couture/couture/inbox"
)

// command is one sub-command. run receives the arguments after the name.
type command struct {
	name    string
	args    string // usage of the arguments, for help
	summary string
	run     func(env *env, args []string) error
}

var commands = map[string]*command{}

// register adds a sub-command; each file of this package registers its own.
func register(c *command) { commands[c.name] = c }

// env is what every command gets: where the store lives, the streams, and
// the opened Desk once openDesk ran.
type env struct {
	dataDir string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	ctx     context.Context
	app     *appState
	// throwaway marks a store deleted at exit (the --demo GUI): it is
	// opened without fsync.
	throwaway bool
}

// usageError makes main exit with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("couture", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data-dir", "", "data directory (default: $COUTURE_DATA_DIR or the user data directory)")
	demo := fs.Bool("demo", false, "open the GUI on a throw-away store filled with the demo business")
	verbose := fs.Bool("verbose", false, "log debugging details to stderr")
	help := fs.Bool("help", false, "show help")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "couture: %v\n", err)
		printUsage(stderr)
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))
	if *help {
		printUsage(stdout)
		return 0
	}
	e := &env{dataDir: *dataDir, stdin: stdin, stdout: stdout, stderr: stderr, ctx: ctx}
	if e.dataDir == "" {
		e.dataDir = os.Getenv("COUTURE_DATA_DIR")
	}
	if e.dataDir == "" {
		e.dataDir = defaultDataDir()
	}
	defer e.close()
	rest := fs.Args()
	var err error
	switch {
	case *demo:
		if len(rest) > 0 {
			fmt.Fprintln(stderr, "couture: --demo opens the GUI and takes no command")
			return 2
		}
		err = runDemoGUI(e)
	case len(rest) == 0:
		err = runGUI(e)
	case rest[0] == "help":
		printUsage(stdout)
		return 0
	default:
		c, ok := commands[rest[0]]
		if !ok {
			fmt.Fprintf(stderr, "couture: unknown command %q (couture help lists them)\n", rest[0])
			return 2
		}
		err = c.run(e, rest[1:])
	}
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "couture: %s\n", ue.msg)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	slog.Debug("command failed", "err", err)
	fmt.Fprintf(stderr, "couture: %s\n", oneLine(inbox.Explain(err)))
	return 1
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: couture [--data-dir DIR] [--demo] [<command> [flags] [args]]")
	fmt.Fprintln(w, "\nWith no command, couture opens the desktop app. Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-38s %s\n", strings.TrimSpace(n+" "+c.args), c.summary)
	}
	fmt.Fprintln(w, "\nRead commands take --json. The data directory is $COUTURE_DATA_DIR when set.")
	fmt.Fprintln(w, "Exit status: 0 ok, 1 error, 2 usage.")
}

// defaultDataDir is the OS user data directory: $XDG_DATA_HOME/couture or
// ~/.local/share/couture on Linux, the configuration directory elsewhere.
func defaultDataDir() string {
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" {
		if x := os.Getenv("XDG_DATA_HOME"); x != "" {
			return filepath.Join(x, "couture")
		}
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, ".local", "share", "couture")
		}
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "Couture")
	}
	return "couture-data"
}

// flags parses args with fs, allowing flags after positional arguments
// ("timeline 12 --limit 5"), and returns the positional arguments.
func flags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usagef("%s: %s", fs.Name(), flagHelp(fs))
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func flagHelp(fs *flag.FlagSet) string {
	var parts []string
	fs.VisitAll(func(f *flag.Flag) { parts = append(parts, "--"+f.Name+" ("+f.Usage+")") })
	return "flags: " + strings.Join(parts, ", ")
}

// parseArgs parses args with fs (see flags) and checks that exactly n
// positional arguments remain; what describes them in the usage error.
func parseArgs(fs *flag.FlagSet, args []string, n int, what string) ([]string, error) {
	pos, err := flags(fs, args)
	if err != nil {
		return nil, err
	}
	if err := exactly(fs.Name(), pos, n, what); err != nil {
		return nil, err
	}
	return pos, nil
}

// setFlags returns the names of the flags the command line set.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// exactly checks the number of positional arguments.
func exactly(name string, pos []string, n int, what string) error {
	if len(pos) != n {
		return usagef("%s takes %s", name, what)
	}
	return nil
}
