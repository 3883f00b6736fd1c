package scratch

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestMain lets the test binary play a run that is killed: with
// SCRATCH_CHILD=dir it claims an area in dir, fills it, prints its lock
// path and waits to be killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("SCRATCH_CHILD"); dir != "" {
		a, err := New(dir, "wsgipack-stage-")
		if err != nil {
			panic(err)
		}
		os.MkdirAll(filepath.Join(a.Path(""), "venv/bin"), 0o700)
		os.WriteFile(a.Path("inventory.deb"), []byte("half"), 0o600)
		os.Stdout.WriteString(a.lockPath() + "\n")
		time.Sleep(time.Hour)
	}
	os.Exit(m.Run())
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// age makes a lock file look older than the grace period.
func age(t *testing.T, lock string) {
	t.Helper()
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}
}

func TestKilledRunIsSwept(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "wsgipack-stage-notours"), []byte("x"), 0o600) // no lock: not ours to remove
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SCRATCH_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lock, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	lock = lock[:len(lock)-1]
	age(t, lock)
	Sweep(dir, "wsgipack-stage-")
	if n := len(list(t, dir)); n != 4 {
		t.Fatalf("a living run's area was swept: %q", list(t, dir))
	}
	cmd.Process.Kill() // SIGKILL: no chance to clean up
	cmd.Wait()
	a, err := New(dir, "wsgipack-stage-")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Base(a.lockPath()), "wsgipack-stage-notours"}
	slices.Sort(want)
	if got := list(t, dir); !slices.Equal(got, want) {
		t.Errorf("after the killed run: %q, want %q", got, want)
	}
	a.Release()
	if got := list(t, dir); !slices.Equal(got, []string{"wsgipack-stage-notours"}) {
		t.Errorf("after Release: %q", got)
	}
}

// TestFreshLockKept: a lock file not yet locked by the run that just made
// it (younger than the grace period) is left alone.
func TestFreshLockKept(t *testing.T) {
	dir := t.TempDir()
	lock := filepath.Join(dir, ".wsgipack-0123456789abcdef.lock")
	os.WriteFile(lock, nil, 0o600)
	os.WriteFile(filepath.Join(dir, ".wsgipack-0123456789abcdef-inventory.deb"), []byte("x"), 0o600)
	Sweep(dir, ".wsgipack-")
	if n := len(list(t, dir)); n != 2 {
		t.Fatalf("a fresh area was swept: %q", list(t, dir))
	}
	age(t, lock)
	Sweep(dir, ".wsgipack-")
	if n := len(list(t, dir)); n != 0 {
		t.Fatalf("a dead area was kept: %q", list(t, dir))
	}
}
