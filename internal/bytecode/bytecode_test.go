package bytecode

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

// TestReproducibleSetConstants compiles a set literal, which Python before
// 3.11 marshals in hash order, several times with Python 3.9: the .pyc
// files must be equal (the hash seed is fixed), and compiling must not
// write bytecode anywhere but the output.
func TestReproducibleSetConstants(t *testing.T) {
	// pyenv's Python 3.9 (the machine's CPython builds; Debian 12 has
	// only 3.11, whose marshal output happens to be stable).
	testtool.Need(t, "pyenv")
	root := testtool.Run(t, "pyenv", "root")
	matches, _ := filepath.Glob(filepath.Join(strings.TrimSpace(root), "versions", "3.9*", "bin", "python3.9"))
	if len(matches) == 0 {
		t.Fatal("pyenv has no Python 3.9")
	}
	python := matches[0]
	dir := t.TempDir()
	src := filepath.Join(dir, "sets.py")
	code := "def f(x):\n    return x in {'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'}\n"
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	var first []byte
	for i := 0; i < 4; i++ {
		out := filepath.Join(dir, "out", "sets.pyc")
		failed, err := Compile(context.Background(), python, []Job{{Src: src, Dest: "/opt/demo/app/sets.py", Out: out}})
		if err != nil || len(failed) > 0 {
			t.Fatalf("compile: %v %v", err, failed)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = data
		} else if !bytes.Equal(data, first) {
			t.Fatalf("compilation %d differs from the first: the hash seed is not fixed", i+1)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "__pycache__")); err == nil {
		t.Error("compiling wrote a __pycache__ beside the source")
	}
}
