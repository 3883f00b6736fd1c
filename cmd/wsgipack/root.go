package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/wsgipack/wsgipack/internal/spec"
)

// Exit codes. A command stopped by SIGINT or SIGTERM exits with 130 or
// 143 (128 + the signal's number), as the shell reports such a process.
const (
	exitOK     = 0
	exitFailed = 1 // the build or a check failed
	exitUsage  = 2 // bad usage or an invalid spec
)

// usageError is a mistake on the command line: an unknown command, a
// wrong number of arguments, a bad flag or flag value (exit code 2). Every
// other error of a command is a failure (exit code 1), but an invalid spec.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usage marks err as a usage error; nil stays nil.
func usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// usageArgs marks the errors of an argument validator as usage errors.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error { return usage(check(cmd, args)) }
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "wsgipack",
		Short: "Package a Python web app and its virtualenv as .deb and .rpm for Apache mod_wsgi",
		Long: `wsgipack turns a Python web app and the virtualenv CI built for it into
versioned .deb and .rpm packages. They install under /opt/<name>, with the
venv relocated for the target's own Python, and serve the app with Apache
mod_wsgi: servers need no compiler, no PyPI and no internet.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	// Subcommands inherit it: a flag that does not parse is a usage error.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usage(err) })
	root.AddCommand(
		newBuildCommand(),
		newCheckCommand(),
		newInitCommand(),
		newInspectCommand(),
		newPublishCommand(),
		newVersionCommand(),
	)
	return root
}

// run executes the command line and returns the exit code. It is the one
// place that maps errors to messages and exit codes.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return exitOK
	}
	var problems spec.Problems
	var bad usageError
	var stopped interrupted
	switch {
	case errors.As(err, &stopped):
		fmt.Fprintf(stderr, "wsgipack: %v\n", stopped)
		return stopped.exitCode()
	case errors.As(err, &problems):
		fmt.Fprintf(stderr, "%v\n%d problem(s) in the spec; nothing was built.\n", problems, len(problems))
		return exitUsage
	case errors.As(err, &bad), isUnknownCommand(root, args):
		fmt.Fprintf(stderr, "wsgipack: %v\nRun 'wsgipack --help' for usage.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "wsgipack: %v\n", err)
		return exitFailed
	}
}

// isUnknownCommand reports whether args name no command: cobra reports
// that before any command runs.
func isUnknownCommand(root *cobra.Command, args []string) bool {
	_, _, err := root.Find(args)
	return err != nil
}
