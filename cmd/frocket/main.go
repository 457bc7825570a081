// Command frocket is the frocket query engine: one binary for the CLI, the embedded engine and (in
// later modes) the API server and workers. Run `frocket help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr reports a command-line mistake (exit code 2).
func usageErr(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, env *cliEnv, args []string) error
}

func commands() []command {
	return []command{
		{"register", "NAME BASEPATH GROUP_ID_COLUMN TIMESTAMP_COLUMN", "register a dataset (a directory of Parquet files partitioned by group id)", cmdRegister},
		{"list", "", "list registered datasets", cmdList},
		{"run", "DATASET (--file F | --string JSON | --empty)", "run a query over a dataset", cmdRun},
		{"info", "DATASET", "show a dataset's info, parts and schema", cmdInfo},
		{"unregister", "DATASET", "remove a dataset's metadata (never its files)", cmdUnregister},
		{"config", "", "print the effective configuration", cmdConfig},
		{"lambda", "", "run as the bootstrap of an AWS Lambda function (started by itself when run there with no arguments)", cmdLambda},
		{"serve", "[--listen ADDR] [--redis URL]", "run the HTTP API (embedded, or over Redis with queue workers)", cmdServe},
		{"worker", "--redis URL [--concurrency N]", "run a queue worker that takes tasks from Redis", cmdWorker},
		{"gen", "", "generate a synthetic user-activity dataset", cmdGen},
		{"prepare", "--input DIR_OR_GLOB --output DIR --group-id COL --timestamp COL --files N", "repartition Parquet files by user id into sorted parts", cmdPrepare},
		{"bench", "[--rows N] [--files N] [--modes queue,lambda] [--reps N] [--json OUT]", "end-to-end cold/warm benchmark (S3, queue and Lambda workers, cost, projection)", cmdBench},
		{"demo", "", "generate a small dataset, register it and run a funnel over it", cmdDemo},
		{"version", "", "print the version", cmdVersion},
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := os.Args[1:]
	if len(args) == 0 && runningInLambda() {
		args = []string{"lambda"}
	}
	code := runMain(ctx, args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runMain runs the command line args and returns the process exit code.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	env := &cliEnv{stdout: stdout, stderr: stderr}
	global := flag.NewFlagSet("frocket", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	env.addGlobalFlags(global)
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "frocket: %v\n", err)
		printUsage(stderr)
		return 2
	}
	rest := global.Args()
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		printUsage(stdout)
		if len(rest) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != rest[0] {
			continue
		}
		err := c.run(ctx, env, rest[1:])
		if err == nil {
			return 0
		}
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		code := 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		fmt.Fprintf(stderr, "frocket %s: %v\n", c.name, err)
		if code == 2 {
			fmt.Fprintf(stderr, "usage: frocket %s %s (see frocket %s -h)\n", c.name, c.args, c.name)
		}
		return code
	}
	fmt.Fprintf(stderr, "frocket: unknown command %q\n", rest[0])
	printUsage(stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: frocket [global flags] COMMAND [args]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nglobal flags (also accepted after the command):")
	fs := flag.NewFlagSet("frocket", flag.ContinueOnError)
	(&cliEnv{}).addGlobalFlags(fs)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// parseArgs parses flags that may be interleaved with positional arguments and returns the
// positional ones, checking their count is within [minPos, maxPos].
func parseArgs(fs *flag.FlagSet, args []string, minPos, maxPos int) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageErr("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < minPos {
		return nil, usageErr("expected %d argument(s), got %d", minPos, len(pos))
	}
	if len(pos) > maxPos {
		return nil, usageErr("unexpected argument(s): %s", strings.Join(pos[maxPos:], " "))
	}
	return pos, nil
}

// newFlagSet returns a flag set for a command that also accepts the global flags, and prints the
// command's help on -h.
func (env *cliEnv) newFlagSet(name, args string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	env.addGlobalFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: frocket %s %s\n\nflags:\n", name, args)
		fs.SetOutput(out)
		fs.PrintDefaults()
	}
	return fs
}

// helpRequested prints a flag set's usage when parsing stopped on -h.
func helpRequested(fs *flag.FlagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
	}
	return err
}
