// Package testtool is for tests that drive real tools (dpkg-deb, rpm,
// lintian, python3...): a missing tool fails the test in CI, where the test
// command must have installed it, and skips it elsewhere.
package testtool

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// Output has write fill a new file called name in a temporary directory,
// and returns the file's path and content.
func Output(t testing.TB, name string, write func(io.WriteSeeker) error) (string, []byte) {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return file, data
}

// TreeHash hashes every path, mode, link target, modification time and
// content below dir: equal hashes before and after mean nothing changed.
func TreeHash(t testing.TB, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v %v\n", p, info.Mode(), info.ModTime().UnixNano())
		switch {
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(data)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			h.Write([]byte(target))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// GPGKey makes an RSA-2048 signing key for uid with the real gpg (keys
// gpg makes import into every rpm, unlike some go-crypto makes), dated an
// hour ago so that signatures made now are valid, and returns its armored
// private and public keys.
func GPGKey(t testing.TB, uid string) (private, public []byte) {
	t.Helper()
	Need(t, "gpg")
	home := t.TempDir()
	gpg := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command("gpg", append([]string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
			"--faked-system-time", fmt.Sprintf("%d!", time.Now().Add(-time.Hour).Unix())}, args...)...).Output()
		if err != nil {
			t.Fatalf("gpg %v: %v", args, err)
		}
		return out
	}
	gpg("--quick-gen-key", uid, "rsa2048", "sign", "never")
	return gpg("--armor", "--export-secret-keys", uid), gpg("--armor", "--export", uid)
}

// WriteFiles writes files (path relative to dir -> content) under dir,
// creating directories as needed.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// PyenvPython finds pyenv's CPython X.Y (the machine's Pythons besides the
// system one), failing t when there is none.
func PyenvPython(t testing.TB, xy string) string {
	t.Helper()
	Need(t, "pyenv")
	root := strings.TrimSpace(Run(t, "pyenv", "root"))
	matches, _ := filepath.Glob(filepath.Join(root, "versions", xy+".*", "bin", "python"+xy))
	if len(matches) == 0 {
		t.Fatalf("pyenv has no Python %s (pyenv versions)", xy)
	}
	return matches[len(matches)-1]
}
