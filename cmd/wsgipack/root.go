package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/wsgipack/wsgipack/internal/builder"
	"github.com/wsgipack/wsgipack/internal/spec"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // the build or a check failed
	exitUsage  = 2 // bad usage or an invalid spec
)

// runError marks an error returned by a command's work, as opposed to one
// from parsing the command line.
type runError struct{ err error }

func (e runError) Error() string { return e.err.Error() }
func (e runError) Unwrap() error { return e.err }

// work wraps a command's function so that its errors are told apart from
// command-line errors.
func work(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := f(cmd, args); err != nil {
			return runError{err}
		}
		return nil
	}
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
	root.AddCommand(
		newBuildCommand(),
		newCheckCommand(),
		newInitCommand(),
		newInspectCommand(),
		newVersionCommand(),
	)
	return root
}

// run executes the command line and returns the exit code. It is the one
// place that maps errors to messages and exit codes.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var re runError
	if !errors.As(err, &re) {
		fmt.Fprintf(stderr, "wsgipack: %v\nRun 'wsgipack --help' for usage.\n", err)
		return exitUsage
	}
	var problems spec.Problems
	var usage *builder.UsageError
	switch {
	case errors.As(err, &problems):
		fmt.Fprintf(stderr, "%v\n%d problem(s) in the spec; nothing was built.\n", problems, len(problems))
		return exitUsage
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "wsgipack: %v\n", usage)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "wsgipack: %v\n", err)
		return exitFailed
	}
}
