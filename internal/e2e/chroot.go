//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Chroot is one test's own copy of a cached Debian root (Debian 12's unless
// made by NewRelease), with /proc, /dev and /run mounted and Apache configured to listen on Port of 127.0.0.1. It is
// unmounted and removed when the test ends; Apache and every other process
// still running inside are stopped first.
type Chroot struct {
	Dir     string        // the root on the host
	Suite   string        // its Debian release: bookworm, or NewRelease's
	Port    int           // Apache's port on 127.0.0.1
	Timeout time.Duration // of one Run, RunNoNet or RPM command (default 10 minutes)
	el      bool
	rpm     *RPMBuild // RPM's rpm (UseRPM); nil: the host's
}

// New returns a fresh copy of the cached Debian 12 root for t:
// NewRelease(t, Suite).
func New(t *testing.T) *Chroot {
	t.Helper()
	return NewRelease(t, Suite)
}

// NewRelease returns a fresh copy of the cached root of a Debian suite of
// Releases (bullseye, bookworm, trixie) for t (see BaseRootOf and
// freshRoot). Apache is configured but not started: see StartApache.
// Parallel tests may each have their own, of the same suite or others.
//
// With WSGIPACK_E2E_KEEP=1 the copy of a failed test is kept, unmounted, and
// its path logged: with overlayfs, what the test changed is in upper/ beside
// the root.
func NewRelease(t *testing.T, suite string) *Chroot {
	t.Helper()
	requireRoot(t)
	src := BaseRootOf(t, suite)
	sweepOnce.Do(func() { sweepStale(t) })
	parent, err := os.MkdirTemp("", "wsgipack-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	// The owner's pid: a later run removes what a killed run (go test's
	// -timeout panics without cleanups) left mounted and running.
	if err := os.WriteFile(filepath.Join(parent, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &Chroot{Dir: filepath.Join(parent, "root"), Suite: suite, Timeout: 10 * time.Minute}
	t.Cleanup(func() { c.cleanup(t, parent) })

	start := time.Now()
	how, err := freshRoot(src, parent, c.Dir)
	if err != nil {
		t.Fatalf("a fresh root: %v", err)
	}
	took := time.Since(start)
	Timings.Lock()
	Timings.Copies = append(Timings.Copies, took)
	Timings.Unlock()
	t.Logf("fresh %s root %s (%s in %v)", suite, c.Dir, how, took.Round(time.Millisecond))

	if err := c.mount(); err != nil {
		t.Fatalf("mounting in the root: %v", err)
	}
	c.Port = freePort(t)
	c.configureApache(t)
	return c
}

var sweepOnce sync.Once

// sweepStale stops, unmounts and removes the roots of earlier test
// processes that are gone without cleaning up.
func sweepStale(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "wsgipack-e2e-*"))
	for _, parent := range dirs {
		data, err := os.ReadFile(filepath.Join(parent, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		killInside(filepath.Join(parent, "root"))
		if err := unmountBelow(parent); err != nil {
			t.Logf("stale root %s: %v", parent, err)
			continue
		}
		if out, err := exec.Command("rm", "-rf", "--one-file-system", parent).CombinedOutput(); err != nil {
			t.Logf("stale root %s: %v %s", parent, err, out)
			continue
		}
		t.Logf("removed the stale root %s of process %d", parent, pid)
	}
}

// freshRoot makes dir a fresh, writable copy of the root src: an overlay
// mount whose lower layer is src and whose upper layer is in parent (no
// copying: writes go to parent/upper, src is never changed), else, when
// overlayfs is not available or WSGIPACK_E2E_COPY=cp, a copy with cp -a
// (reflinks where the file system has them). It says which it made.
func freshRoot(src, parent, dir string) (string, error) {
	if os.Getenv("WSGIPACK_E2E_COPY") != "cp" {
		upper, work := filepath.Join(parent, "upper"), filepath.Join(parent, "work")
		for _, d := range []string{upper, work, dir} {
			if err := os.Mkdir(d, 0o755); err != nil {
				return "", err
			}
		}
		opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", src, upper, work)
		err := syscall.Mount("overlay", dir, "overlay", 0, opts)
		if err == nil {
			return "overlay", nil
		}
		for _, d := range []string{dir, work, upper} {
			_ = os.RemoveAll(d)
		}
	}
	if out, err := exec.Command("cp", "-a", "--reflink=auto", src, dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cp -a: %v\n%s", err, out)
	}
	return "cp -a", nil
}

// requireRoot fails (CI) or skips the test when it cannot mount and chroot.
func requireRoot(t *testing.T) {
	t.Helper()
	missing := ""
	if os.Geteuid() != 0 {
		missing = "root"
	}
	for _, tool := range []string{"debootstrap", "chroot", "unshare", "cp"} {
		if _, err := exec.LookPath(tool); err != nil && missing == "" {
			missing = tool
		}
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("the e2e tests need %s: the test command must provide it (make e2e)", missing)
	}
	t.Skipf("the e2e tests need %s (make e2e-deps, as root)", missing)
}

// mount puts a fresh /proc, a minimal /dev and an empty /run into the root.
func (c *Chroot) mount() error {
	p := c.Path
	if err := syscall.Mount("proc", p("/proc"), "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("/proc: %w", err)
	}
	// /dev: a tmpfs with the usual nodes, not a bind of the host's /dev,
	// so that nothing done in the root (or removing it) reaches the host's.
	if err := syscall.Mount("tmpfs", p("/dev"), "tmpfs", syscall.MS_NOSUID, "mode=0755,size=65536k"); err != nil {
		return fmt.Errorf("/dev: %w", err)
	}
	for _, n := range []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}} {
		if err := syscall.Mknod(p("/dev/"+n.name), syscall.S_IFCHR|0o666, int(n.major<<8|n.minor)); err != nil {
			return fmt.Errorf("/dev/%s: %w", n.name, err)
		}
		if err := os.Chmod(p("/dev/"+n.name), 0o666); err != nil { // umask
			return err
		}
	}
	for _, l := range [][2]string{{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
		{"stderr", "/proc/self/fd/2"}} {
		if err := os.Symlink(l[1], p("/dev/"+l[0])); err != nil {
			return err
		}
	}
	for _, d := range []string{"/dev/pts", "/dev/shm", "/dev/mqueue"} {
		if err := os.Mkdir(p(d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(p("/dev/shm"), 0o1777); err != nil {
		return err
	}
	// Terminals of the root's own (script(1) gives commands one): a new
	// devpts instance, not the host's.
	if err := syscall.Mount("devpts", p("/dev/pts"), "devpts", syscall.MS_NOSUID|syscall.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
		return fmt.Errorf("/dev/pts: %w", err)
	}
	if err := os.Symlink("pts/ptmx", p("/dev/ptmx")); err != nil {
		return err
	}
	// /run: empty, as after a boot.
	if err := syscall.Mount("tmpfs", p("/run"), "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=0755,size=65536k"); err != nil {
		return fmt.Errorf("/run: %w", err)
	}
	if err := os.Mkdir(p("/run/lock"), 0o755); err != nil {
		return err
	}
	return os.Chmod(p("/run/lock"), 0o1777)
}

// cleanup stops what runs in the root, unmounts and removes it. Nothing is
// removed while something is still mounted in it.
func (c *Chroot) cleanup(t *testing.T, parent string) {
	if c.ApacheRunning() {
		c.StopApache(t)
	}
	killInside(c.Dir)
	if err := unmountBelow(parent); err != nil {
		t.Errorf("cleanup of %s: %v: left in place", parent, err)
		return
	}
	if t.Failed() && os.Getenv("WSGIPACK_E2E_KEEP") != "" {
		t.Logf("kept the root of the failed test: %s", c.Dir)
		return
	}
	if out, err := exec.Command("rm", "-rf", "--one-file-system", parent).CombinedOutput(); err != nil {
		t.Errorf("removing %s: %v\n%s", parent, err, out)
	}
}

// processesInside returns the ids of the processes whose root is dir.
func processesInside(dir string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if root, err := os.Readlink(fmt.Sprintf("/proc/%d/root", pid)); err == nil && root == dir {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killInside kills every process whose root is dir (they were all started
// by this test) and waits for them to go.
func killInside(dir string) {
	for range 50 {
		pids := processesInside(dir)
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var ports struct {
	sync.Mutex
	used map[int]bool
}

// freePort returns a port of 127.0.0.1 that nothing listens on and that no
// other Chroot of this process was given.
func freePort(t *testing.T) int {
	t.Helper()
	ports.Lock()
	defer ports.Unlock()
	if ports.used == nil {
		ports.used = map[int]bool{}
	}
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !ports.used[port] {
			ports.used[port] = true
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// Path returns the host path of a path inside the root. Symbolic links on
// the way are followed as inside the root (/var/run -> /run stays in it);
// the last component is not followed.
func (c *Chroot) Path(p string) string {
	return filepath.Join(c.Dir, resolveIn(c.Dir, p))
}

// resolveIn resolves the directories of p inside root: each symbolic link
// is read and followed relative to root, never to the host's /.
func resolveIn(root, p string) string {
	parts := strings.Split(strings.Trim(filepath.Clean("/"+p), "/"), "/")
	cur := "/"
	for hops := 0; len(parts) > 0; {
		part := parts[0]
		parts = parts[1:]
		if part == "" {
			continue
		}
		next := filepath.Join(cur, part)
		if len(parts) == 0 {
			return next
		}
		link, err := os.Readlink(filepath.Join(root, next))
		if err != nil || hops > 40 {
			cur = next
			continue
		}
		hops++
		if !filepath.IsAbs(link) {
			link = filepath.Join(cur, link)
		}
		parts = append(strings.Split(strings.Trim(filepath.Clean(link), "/"), "/"), parts...)
		cur = "/"
	}
	return cur
}

// env is the environment of commands run inside: what a root shell on a
// server has, and no more.
func env() []string {
	return []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "LANG=C.UTF-8", "TERM=dumb", "DEBIAN_FRONTEND=noninteractive", "USER=root", "LOGNAME=root",
	}
}

// Run runs a command inside the root (chroot; the working directory is /)
// and returns its combined output and exit status (-1 when it was killed,
// e.g. at Timeout). It fails the test only when the command cannot be
// started.
func (c *Chroot) Run(t testing.TB, args ...string) (string, int) {
	t.Helper()
	return c.run(t, append([]string{"chroot", c.Dir}, args...))
}

// RunNoNet is Run with the network cut: the command runs in a new network
// namespace (unshare -n) where only a loopback interface, down, exists. It
// stays in the host's pid namespace, so it can signal Apache.
func (c *Chroot) RunNoNet(t testing.TB, args ...string) (string, int) {
	t.Helper()
	return c.run(t, append([]string{"unshare", "-n", "--", "chroot", c.Dir}, args...))
}

// MustRun is Run that fails the test on a non-zero exit status.
func (c *Chroot) MustRun(t testing.TB, args ...string) string {
	t.Helper()
	out, status := c.Run(t, args...)
	if status != 0 {
		t.Fatalf("%s: exit status %d\n%s", strings.Join(args, " "), status, out)
	}
	return out
}

// run runs argv on the host with the inside environment.
func (c *Chroot) run(t testing.TB, argv []string) (string, int) {
	t.Helper()
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env()
	cmd.Dir = "/"
	var out strings.Builder
	var mu sync.Mutex
	w := writerFunc(func(b []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(b) })
	cmd.Stdout, cmd.Stderr = w, w
	// A daemon started by the command (Apache, a mod_wsgi process) may keep
	// the output pipe open: stop waiting for it shortly after the command
	// itself has exited.
	cmd.WaitDelay = 3 * time.Second
	err := cmd.Run()
	mu.Lock()
	text := out.String()
	mu.Unlock()
	var exit *exec.ExitError
	switch {
	case err == nil, errors.Is(err, exec.ErrWaitDelay):
		return text, 0
	case errors.As(err, &exit):
		if ctx.Err() != nil {
			text += fmt.Sprintf("\n[killed after %v]", timeout)
		}
		return text, exit.ExitCode()
	default:
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
		return "", -1
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

var _ io.Writer = writerFunc(nil)

// CopyIn copies a host file into the root at path (directories are
// created), keeping its mode; it returns path.
func (c *Chroot) CopyIn(t testing.TB, hostFile, path string) string {
	t.Helper()
	info, err := os.Stat(hostFile)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(hostFile)
	if err != nil {
		t.Fatal(err)
	}
	c.WriteFile(t, path, string(data), info.Mode().Perm())
	return path
}

// WriteFile writes a file inside the root (directories are created).
func (c *Chroot) WriteFile(t testing.TB, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(c.Path(path)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.Path(path), []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(c.Path(path), mode); err != nil {
		t.Fatal(err)
	}
}

// ReadFile returns the content of a file inside the root, or "" when it
// does not exist.
func (c *Chroot) ReadFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(c.Path(path))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(data)
}

// Exists tells whether a path exists inside the root (symlinks are not
// followed).
func (c *Chroot) Exists(path string) bool {
	_, err := os.Lstat(c.Path(path))
	return err == nil
}
