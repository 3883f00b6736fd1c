package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// interrupted is the cause of a command's context cancelled by a signal.
type interrupted struct{ sig syscall.Signal }

func (e interrupted) Error() string {
	return fmt.Sprintf("stopped by %s; the output directory is as it was and temporary files are removed", signalName(e.sig))
}

// exitCode is the shell's convention for a process ended by a signal.
func (e interrupted) exitCode() int { return 128 + int(e.sig) }

var signalNames = map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}

func signalName(s syscall.Signal) string {
	if n, ok := signalNames[s]; ok {
		return n
	}
	return s.String()
}

// interruptible returns a context cancelled, with an interrupted cause, at
// the first SIGINT or SIGTERM (as signal.NotifyContext, which does not say
// which signal came), so that the command can clean up before it exits. A
// second signal, from someone who will not wait for that, ends the process
// at once, as if wsgipack did not catch signals.
func interruptible(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	for _, s := range []os.Signal{syscall.SIGINT, syscall.SIGTERM} {
		// A signal ignored when wsgipack started (nohup, a background job
		// of a script) stays ignored: Notify would enable it.
		if !signal.Ignored(s) {
			signal.Notify(ch, s)
		}
	}
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			cancel(interrupted{s.(syscall.Signal)})
		case <-done:
			return
		}
		select {
		case s := <-ch:
			signal.Reset(syscall.SIGINT, syscall.SIGTERM)
			_ = syscall.Kill(os.Getpid(), s.(syscall.Signal))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}
