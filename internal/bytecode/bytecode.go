// Package bytecode compiles an app's and its venv's Python sources to .pyc
// files for the paths they will have when installed, with the venv's own
// interpreter, so that no build path ends up in co_filename and the output is
// the same whatever the build directory.
package bytecode

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed compile.py
var compileScript []byte

// Job is one source file to compile.
type Job struct {
	Src  string `json:"src"`  // file to read
	Dest string `json:"dest"` // path of the source once installed
	Out  string `json:"out"`  // where to write the .pyc
}

// Compile compiles jobs with python (an interpreter of the same X.Y as the
// servers'). Hash-based, unchecked .pyc files are written: they do not depend
// on source mtimes and are never rewritten on the server. It returns the
// sources that do not compile (Python itself skips those at import) as
// "dest: error" lines. Cancelling ctx kills the interpreter and its worker
// processes, and Compile returns once none of them can write any more.
func Compile(ctx context.Context, python string, jobs []Job) (failed []string, err error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	script, err := os.CreateTemp("", "wsgipack-compile-*.py")
	if err != nil {
		return nil, err
	}
	defer os.Remove(script.Name())
	if _, err := script.Write(compileScript); err != nil {
		return nil, err
	}
	if err := script.Close(); err != nil {
		return nil, err
	}
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, j := range jobs {
		if err := enc.Encode(j); err != nil {
			return nil, err
		}
	}
	// A fixed hash seed keeps set constants (x in {"a", "b"}) in a stable
	// order: Python before 3.11 marshals them in hash order. -I would ignore
	// PYTHONHASHSEED (it implies -E), so the environment is a clean one
	// instead, and -s leaves out the user's site-packages. -B: starting
	// the interpreter must not write bytecode into the CI venv (virtualenv's
	// .pth files import modules at startup).
	cmd := exec.CommandContext(ctx, python, "-s", "-B", script.Name(), strconv.Itoa(runtime.NumCPU()))
	// The worker processes are in the interpreter's process group: killed
	// with it, so that none writes into the output after Compile returns.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdin = &in
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", "PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if cmd.Process != nil {
		reap(cmd.Process.Pid)
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("compiling bytecode with %s: %w\n%s", python, err, strings.TrimSpace(stderr.String()))
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line != "" {
			failed = append(failed, strings.Replace(line, "\t", ": ", 1))
		}
	}
	return failed, nil
}

// reap kills what is left of the process group pgid (worker processes of
// a killed or failed interpreter) and waits, up to two seconds, until none
// of them runs: only then is the output directory safe to remove.
func reap(pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	for i := 0; i < 200 && groupRuns(pgid); i++ {
		time.Sleep(10 * time.Millisecond)
	}
}

// groupRuns reports whether a process of group pgid is still running:
// zombies (orphans that an init which does not reap keeps) do not count.
func groupRuns(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		return true // no /proc: the signal test above is all there is
	}
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and ")".
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(data[i+1:]))
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
}
