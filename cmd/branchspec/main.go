package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"branchspec/experiments"
)

// version is the program version recorded in every run; set at link time
// with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// command is one subcommand: its usage, help and behaviour.
type command struct {
	Name  string
	Usage string // arguments after the name
	Short string
	Long  string
	// Flags binds the command's flags to a fresh options value and returns
	// the function that runs it with the positional arguments.
	Flags func(fs *flag.FlagSet) func(e *env, args []string) error
}

// env is what a command may touch: its streams, a context cancelled by
// SIGINT, SIGTERM, SIGUSR1 or SIGHUP, and whether stderr is a terminal.
type env struct {
	ctx      context.Context
	stdout   io.Writer
	stderr   io.Writer
	terminal bool
}

// usageError marks errors that exit with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func commands() []*command {
	return []*command{cmdRun, cmdResume, cmdSweep, cmdFork, cmdLs, cmdShow, cmdExport, cmdAnalyze, cmdFilters, cmdCompare, cmdReport, cmdServe, cmdData}
}

func main() { os.Exit(runMain()) }

// runMain runs the command line of this process and returns its exit
// status.
func runMain() int {
	// SIGINT, SIGTERM, SIGUSR1 (Slurm's time-limit warning) and SIGHUP (a
	// closed terminal or ssh session) end a command early: a run
	// checkpoints and the command exits with status 130. They are caught
	// before anything is read, so a signal during a slow setup (a config
	// on a FIFO, a large dataset) cancels it too.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGHUP)
	defer stop()
	// A write to a closed pipe returns EPIPE instead of killing the
	// process (the runtime kills on SIGPIPE for stdout and stderr unless
	// it is notified); progress output then goes quiet and training goes
	// on. The channel is never read: the notification only disarms the
	// default action.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	e := &env{ctx: ctx, stdout: os.Stdout, stderr: os.Stderr, terminal: isTerminal(os.Stderr)}
	return dispatch(e, os.Args[1:])
}

// dispatch runs the subcommand named by args[0] and returns the exit status.
func dispatch(e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				printHelp(e.stdout, c)
				return 0
			}
		}
		printUsage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(e.stdout, "branchspec", version)
		id, kernels, err := experiments.MatrixProducts()
		if err != nil {
			fmt.Fprintln(e.stderr, "branchspec:", err)
			return 1
		}
		fmt.Fprintf(e.stdout, "matrix products: %s (kernels on this CPU: %s)\n", id, strings.Join(kernels, ", "))
		return 0
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(e.stderr, "branchspec: unknown command %q\nRun 'branchspec help' for the list.\n", args[0])
		return 2
	}
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := c.Flags(fs)
	pos, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		printHelp(e.stdout, c)
		return 0
	}
	if err == nil {
		err = run(e, pos)
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue) || isFlagError(err) || errors.Is(err, experiments.ErrInvalid):
		fmt.Fprintf(e.stderr, "branchspec %s: %v\nusage: branchspec %s %s\n", c.Name, err, c.Name, c.Usage)
		return 2
	case errors.Is(err, experiments.ErrMemory):
		fmt.Fprintf(e.stderr, "branchspec %s: %v\n", c.Name, err)
		return 3
	case errors.Is(err, experiments.ErrInterrupted):
		fmt.Fprintf(e.stderr, "branchspec %s: %v\n", c.Name, err)
		return 130
	default:
		fmt.Fprintf(e.stderr, "branchspec %s: %v\n", c.Name, err)
		return 1
	}
}

type flagError struct{ error }

func isFlagError(err error) bool {
	var fe flagError
	return errors.As(err, &fe)
}

// parseInterleaved parses flags that may come before or after positional
// arguments ("run CONFIG --seed 3" and "run --seed 3 CONFIG"). "--" ends
// the flags: every argument after it is positional ("run -- a --seed 3"
// has the positional arguments a, --seed and 3).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, flagError{err}
		}
		// fs.Parse consumes a "--" it stops at; it stopped there if the
		// argument just before what is left is "--".
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "branchspec trains branched CNNs and measures branch specialization.")
	fmt.Fprintln(w, "\nUsage:\n\n\tbranchspec <command> [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "\t%-8s %s\n", c.Name, c.Short)
	}
	fmt.Fprintln(w, "\nRun 'branchspec help <command>' for a command's flags.")
}

func printHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage: branchspec %s %s\n\n%s\n", c.Name, c.Usage, strings.TrimSpace(c.Long))
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	c.Flags(fs)
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	if b.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", b.String())
	}
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// natFlag is an integer flag that must be >= 0 and remembers whether it
// was given, for flags whose absence means something ("the latest
// checkpoint", "the config's seed"). A negative value is a flag error
// (exit 2), never taken for the absence.
type natFlag struct {
	n   int64
	set bool
}

func (f *natFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.FormatInt(f.n, 10)
}

func (f *natFlag) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("want an integer")
	}
	if n < 0 {
		return fmt.Errorf("must be >= 0, got %d", n)
	}
	f.n, f.set = n, true
	return nil
}

// or is the flag's value, or def when it was not given.
func (f *natFlag) or(def int) int {
	if !f.set {
		return def
	}
	return int(f.n)
}

// atLeast is a usage error when the value v of the flag --name is below
// min, else nil.
func atLeast(name string, v, min int) error {
	if v < min {
		return usagef("--%s must be >= %d, got %d", name, min, v)
	}
	return nil
}

// firstErr returns the first error that is not nil.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// setFlags collects repeated --set KEY=VALUE flags.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, " ") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }
