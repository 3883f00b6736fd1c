package store

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDir(t *testing.T) {
	d := Dir(t.TempDir())
	if _, err := d.ReadFile("dists/bookworm/Release"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := d.WriteFile("dists/bookworm/Release", []byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("dists/bookworm/Release", []byte("two\n")); err != nil {
		t.Fatal(err)
	}
	if data, err := d.ReadFile("dists/bookworm/Release"); err != nil || string(data) != "two\n" {
		t.Errorf("read %q, %v", data, err)
	}
	entries, _ := os.ReadDir(filepath.Join(string(d), "dists/bookworm"))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	fi, _ := os.Stat(filepath.Join(string(d), "dists/bookworm/Release"))
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 (served by a web server)", fi.Mode())
	}
	if err := d.Remove("dists/bookworm/Release"); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove("dists/bookworm/Release"); err != nil {
		t.Errorf("removing a missing file: %v", err)
	}
	for _, bad := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", lockFile} {
		if err := d.WriteFile(bad, nil); err == nil {
			t.Errorf("WriteFile(%q) accepted", bad)
		}
	}
}

// TestLockBetweenProcesses: a second process (flock(1)) waits while this
// one holds the lock, and gets it once it is released.
func TestLockBetweenProcesses(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock(1) missing")
	}
	d := Dir(t.TempDir())
	unlock, err := d.Lock()
	if err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(string(d), lockFile)
	if err := exec.Command("flock", "--nonblock", lock, "true").Run(); err == nil {
		t.Fatal("another process took the lock while it was held")
	}
	cmd := exec.Command("flock", lock, "sh", "-c", "echo got it")
	out := make(chan string, 1)
	go func() {
		b, _ := cmd.CombinedOutput()
		out <- string(b)
	}()
	select {
	case got := <-out:
		t.Fatalf("the waiting process did not wait: %q", got)
	case <-time.After(300 * time.Millisecond):
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-out:
		if !strings.Contains(got, "got it") {
			t.Errorf("waiting process: %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lock was not released")
	}
}
