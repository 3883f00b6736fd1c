// Package bytecode compiles an app's and its venv's Python sources to .pyc
// files for the paths they will have when installed, with the venv's own
// interpreter, so that no build path ends up in co_filename and the output is
// the same whatever the build directory.
package bytecode

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
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
// "dest: error" lines.
func Compile(python string, jobs []Job) (failed []string, err error) {
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
	cmd := exec.Command(python, "-s", "-B", script.Name(), strconv.Itoa(runtime.NumCPU()))
	cmd.Stdin = &in
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", "PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("compiling bytecode with %s: %w\n%s", python, err, strings.TrimSpace(stderr.String()))
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line != "" {
			failed = append(failed, strings.Replace(line, "\t", ": ", 1))
		}
	}
	return failed, nil
}
