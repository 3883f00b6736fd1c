// Package testtool is for tests that drive real tools (dpkg-deb, rpm,
// lintian, python3...): a missing tool fails the test in CI, where the test
// command must have installed it, and skips it elsewhere.
package testtool

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Need fails t (with CI set) or skips it when a tool is not on PATH.
func Need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing: the test command must install it (make deps)", tool)
			}
			t.Skipf("%s is missing; run make deps", tool)
		}
	}
}

// Run runs a command and returns its combined output; failure fails t with
// that output.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
