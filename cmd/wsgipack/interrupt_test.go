package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

// TestInterruptedBuild stops real wsgipack processes (the binary, built
// with go build) with SIGINT or SIGTERM at each step of the build of a
// large venv, and after fixed delays: each exits with 130 or 143 and
// leaves the output directory (which holds an older package) and its
// private $TMPDIR exactly as they were, also a moment later (no compiler
// worker writes on).
func TestInterruptedBuild(t *testing.T) {
	repo, bin := buildBinary(t)
	project := bigProject(t, repo)

	tests := []struct {
		name  string
		sig   syscall.Signal
		at    string        // progress line to wait for; "" for a fixed delay
		after time.Duration // then wait this long
		// noBytecode skips the compiler (15 s) to reach the later steps
		// sooner.
		noBytecode bool
	}{
		{"SIGINT at start", syscall.SIGINT, "", 150 * time.Millisecond, false},
		{"SIGTERM while collecting", syscall.SIGTERM, "collecting files", 100 * time.Millisecond, false},
		{"SIGINT as bytecode starts", syscall.SIGINT, "compiling bytecode", 0, false},
		{"SIGTERM while compiling", syscall.SIGTERM, "compiling bytecode", 1500 * time.Millisecond, false},
		{"SIGINT while scanning", syscall.SIGINT, "scanning for native code", 20 * time.Millisecond, true},
		{"SIGTERM writing the deb", syscall.SIGTERM, "writing inventory_", 300 * time.Millisecond, true},
		{"SIGINT writing the rpm", syscall.SIGINT, "writing inventory-", 300 * time.Millisecond, true},
		{"SIGINT after 4 s", syscall.SIGINT, "", 4 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp, out := t.TempDir(), t.TempDir()
			writeFile(t, filepath.Join(out, "inventory_1.4.1-1+deb12_amd64.deb"), "an older package\n")
			writeFile(t, filepath.Join(out, "SHA256SUMS"), "0000  inventory_1.4.1-1+deb12_amd64.deb\n")
			before := listing(t, out)

			// stderr is a terminal, so that wsgipack prints its progress.
			ptm, pts := openPTY(t)
			// --no-import: the generated venv lacks the example's C
			// extension, and the entry-point check is not what is tested.
			args := []string{"build", "-f", filepath.Join(project, "wsgipack.yaml"), "--out", out, "--target", "debian-12", "--target", "el9", "--no-import"}
			if tt.noBytecode {
				args = append(args, "--no-bytecode")
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "SOURCE_DATE_EPOCH=1700000000")
			cmd.Stderr = pts
			var stdout strings.Builder
			cmd.Stdout = &stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pts.Close()
			lines := make(chan string, 100)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(ptm)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			var seen []string
			if tt.at != "" {
				timeout := time.After(3 * time.Minute)
			wait:
				for {
					select {
					case l, ok := <-lines:
						if !ok {
							t.Fatalf("the build ended before %q:\n%s", tt.at, strings.Join(seen, "\n"))
						}
						seen = append(seen, l)
						if strings.Contains(l, tt.at) {
							break wait
						}
					case <-timeout:
						t.Fatalf("no %q in 3 minutes:\n%s", tt.at, strings.Join(seen, "\n"))
					}
				}
			}
			if tt.at == "" {
				waitStarted(t, tmp)
			}
			time.Sleep(tt.after)
			sent := time.Now()
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			for l := range lines {
				seen = append(seen, l)
			}
			err := cmd.Wait()
			took := time.Since(sent)
			code := cmd.ProcessState.ExitCode()
			if code != 128+int(tt.sig) {
				t.Fatalf("exit code %d (%v), want %d\n%s%s", code, err, 128+int(tt.sig), strings.Join(seen, "\n"), stdout.String())
			}
			msg := strings.Join(seen, "\n")
			if !strings.Contains(msg, "wsgipack: stopped by "+signalName(tt.sig)+"; the output directory is as it was") {
				t.Errorf("stderr:\n%s", msg)
			}
			t.Logf("stopped %v after the signal", took.Round(time.Millisecond))
			if took > 10*time.Second {
				t.Errorf("stopping took %v", took)
			}
			for i := range 2 { // now, and once more in case a worker writes on
				if after := listing(t, out); after != before {
					t.Errorf("the output directory changed:\nbefore:\n%s\nafter:\n%s", before, after)
				}
				if left := listing(t, tmp); left != "" {
					t.Errorf("$TMPDIR holds:\n%s", left)
				}
				if i == 0 {
					time.Sleep(time.Second)
				}
			}
		})
	}
}

// waitStarted waits until the build has made its staging directory in
// tmp, which it does after it set up its signal handling: a signal that
// came earlier would test the Go runtime's default, not wsgipack.
func waitStarted(t *testing.T, tmp string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
			return
		}
	}
	t.Fatal("the build made no staging directory in a minute")
}

// bigProject generates the example app with a large venv (the benchmark's
// generator at a small scale: about 6,000 files, 90 MB, 3,000 sources to
// compile) and returns its directory.
func bigProject(t *testing.T, repo string) string {
	t.Helper()
	dir := t.TempDir()
	python := "python3"
	soDir := strings.TrimSpace(testtool.Run(t, python, "-c", "import sysconfig; print(sysconfig.get_config_var('DESTSHARED'))"))
	testtool.Run(t, python, "-m", "venv", filepath.Join(dir, "venv"))
	testtool.Run(t, python, filepath.Join(repo, "testdata/bench/genvenv.py"), "--venv", filepath.Join(dir, "venv"),
		"--so-dir", soDir, "--forbid", dir, "--scale", "0.15", "--min-mb", "0", "--min-files", "0")
	ex := filepath.Join(repo, "testdata/example")
	testtool.Run(t, "cp", "-R", filepath.Join(ex, "src"), filepath.Join(ex, "config"), filepath.Join(ex, "migrations"), dir)
	spec, err := os.ReadFile(filepath.Join(ex, "wsgipack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(spec), "\n") {
		if strings.HasPrefix(line, "venv:") {
			line = "venv: venv\n"
		}
		b.WriteString(line)
	}
	writeFile(t, filepath.Join(dir, "wsgipack.yaml"), b.String())
	return dir
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// listing lists a directory's tree: names, modes and contents.
func listing(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		data, _ := os.ReadFile(p)
		fmt.Fprintf(&b, "%s %v %q\n", strings.TrimPrefix(p, dir), d.Type(), data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// openPTY opens a pseudo-terminal pair: the controlling side to read and
// the terminal to give a process.
func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatalf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatalf("ptsname: %v", e)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ptm, pts
}

// TestKilledBuildSwept kills a build with SIGKILL while it writes the deb:
// it can clean up nothing, and leaves its staging directory in $TMPDIR and
// a half-written package under a temporary name in the output directory.
// The next build removes both (once the dead build's locks are older than
// the grace period, which the test fakes) and leaves only its packages
// beside the older one.
func TestKilledBuildSwept(t *testing.T) {
	repo, bin := buildBinary(t)
	project := bigProject(t, repo)
	tmp, out := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(out, "inventory_1.4.1-1+deb12_amd64.deb"), "an older package\n")
	args := []string{"build", "-f", filepath.Join(project, "wsgipack.yaml"), "--out", out, "--target", "debian-12", "--no-import", "--no-bytecode"}
	env := append(os.Environ(), "TMPDIR="+tmp, "SOURCE_DATE_EPOCH=1700000000")

	ptm, pts := openPTY(t)
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stderr = env, pts
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pts.Close()
	sc := bufio.NewScanner(ptm)
	for sc.Scan() && !strings.Contains(sc.Text(), "writing inventory_") {
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	left := listing(t, tmp) + listing(t, out)
	if !strings.Contains(left, "/wsgipack-stage-") || !strings.Contains(left, "-inventory_1.4.2-1+deb12_amd64.deb") {
		t.Fatalf("the killed build left no staging directory or temporary package (test broken?):\n%s", left)
	}
	old := time.Now().Add(-time.Minute)
	locks, _ := filepath.Glob(filepath.Join(tmp, "*.lock"))
	outLocks, _ := filepath.Glob(filepath.Join(out, ".*.lock"))
	for _, l := range append(locks, outLocks...) {
		if err := os.Chtimes(l, old, old); err != nil {
			t.Fatal(err)
		}
	}

	again := exec.Command(bin, args...)
	again.Env = env
	if b, err := again.CombinedOutput(); err != nil {
		t.Fatalf("the next build: %v\n%s", err, b)
	}
	if left := listing(t, tmp); left != "" {
		t.Errorf("$TMPDIR still holds:\n%s", left)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := "SHA256SUMS inventory_1.4.1-1+deb12_amd64.deb inventory_1.4.2-1+deb12_amd64.deb"; strings.Join(names, " ") != want {
		t.Errorf("the output directory holds %q, want %s", names, want)
	}
}

// buildBinary builds wsgipack for tests that run it as a process (to signal
// it) and returns the repository's root and the binary.
func buildBinary(t *testing.T) (repo, bin string) {
	t.Helper()
	testtool.Need(t, "python3", "go")
	repo, _ = filepath.Abs(filepath.Join("..", ".."))
	bin = filepath.Join(t.TempDir(), "wsgipack")
	testtool.Run(t, "go", "build", "-o", bin, ".")
	return repo, bin
}
