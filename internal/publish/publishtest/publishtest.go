// Package publishtest helps test publishing: repository files in memory
// (Mem) and a reader that counts (Counting), and the real clients of a
// published repository: apt-get and apt-cache with a private
// configuration, state and cache (the host's sources, lists and status are
// not involved), and dnf with its own install root.
package publishtest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wsgipack/wsgipack/internal/publish/store"
	"github.com/wsgipack/wsgipack/internal/testtool"
)

// Apt is an apt client of its own.
type Apt struct {
	t    testing.TB
	Dir  string   // its configuration, state and cache
	Opts []string // the -o options that make it private
}

// NewApt makes a client whose sources are sourcesList (one-line format)
// and sources (deb822 files, by name).
func NewApt(t testing.TB, sourcesList string, sources map[string][]byte) *Apt {
	t.Helper()
	testtool.Need(t, "apt-get", "apt-cache")
	dir := t.TempDir()
	for _, d := range []string{"etc/sources.list.d", "etc/preferences.d", "state/lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/sources.list", []byte(sourcesList))
	for name, data := range sources {
		write("etc/sources.list.d/"+name, data)
	}
	write("state/status", nil)
	c := &Apt{t: t, Dir: dir, Opts: []string{
		"-o", "Dir::Etc::sourcelist=" + filepath.Join(dir, "etc/sources.list"),
		"-o", "Dir::Etc::sourceparts=" + filepath.Join(dir, "etc/sources.list.d"),
		"-o", "Dir::Etc::preferences=" + filepath.Join(dir, "etc/preferences"),
		"-o", "Dir::Etc::preferencesparts=" + filepath.Join(dir, "etc/preferences.d"),
		"-o", "Dir::State=" + filepath.Join(dir, "state"),
		"-o", "Dir::State::status=" + filepath.Join(dir, "state/status"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		"-o", "Debug::NoLocking=1",
		"-o", "APT::Architecture=amd64",
		"-o", "APT::Architectures::=amd64",
		"-o", "Acquire::Languages=none",
	}}
	if os.Getuid() == 0 {
		// the _apt user cannot read the test's temporary directories
		c.Opts = append(c.Opts, "-o", "APT::Sandbox::User=root")
	}
	return c
}

// Try runs an apt tool (apt-get, apt-cache) in dir and returns its output
// and error.
func (c *Apt) Try(dir, tool string, args ...string) (string, error) {
	cmd := exec.Command(tool, append(append([]string{}, c.Opts...), args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Run is Try, failing the test on an error.
func (c *Apt) Run(dir, tool string, args ...string) string {
	c.t.Helper()
	out, err := c.Try(dir, tool, args...)
	if err != nil {
		c.t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return out
}

// Candidate is apt-cache policy's candidate version of name.
func (c *Apt) Candidate(name string) string {
	c.t.Helper()
	out := c.Run(c.Dir, "apt-cache", "policy", name)
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Candidate: "); ok {
			return v
		}
	}
	c.t.Fatalf("apt-cache policy %s: no candidate\n%s", name, out)
	return ""
}

// DNF runs Debian's dnf for EL 9 on x86_64 in the install root root and
// returns its output and error.
func DNF(t testing.TB, root string, args ...string) (string, error) {
	t.Helper()
	testtool.Need(t, "dnf")
	base := []string{"-q", "-y", "--installroot", root, "--releasever=9", "--forcearch", "x86_64"}
	out, err := exec.Command("dnf", append(base, args...)...).CombinedOutput()
	return string(out), err
}

// Mem are repository files in memory (store.Files), by name.
type Mem map[string][]byte

// ReadFile returns a copy of a file's content.
func (m Mem) ReadFile(name string) ([]byte, error) {
	if d, ok := m[name]; ok {
		return bytes.Clone(d), nil
	}
	return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
}

// WriteFile stores a copy of data.
func (m Mem) WriteFile(name string, data []byte) error { m[name] = bytes.Clone(data); return nil }

// Remove deletes a file.
func (m Mem) Remove(name string) error { delete(m, name); return nil }

// Counting records the name of every file read through it.
type Counting struct {
	store.Files
	mu    sync.Mutex
	Reads []string
}

// ReadFile records name and reads it.
func (c *Counting) ReadFile(name string) ([]byte, error) {
	c.mu.Lock()
	c.Reads = append(c.Reads, name)
	c.mu.Unlock()
	return c.Files.ReadFile(name)
}
