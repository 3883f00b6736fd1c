//go:build e2e

package e2e

// The rpm of each EL release, built from source: EL8's 4.14.3, EL9's
// 4.16.1.3 and EL10's 4.19.1.1 (the host's Debian rpm is 4.18). The
// unmodified release tarballs are in testdata/rpm-sources with the build
// recipe (build.sh) and its notes (README.md); each version is built once
// per machine into a cache outside the repository, like the Debian root
// (root.go), and checked before it is trusted.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// rpmHarnessVersion is part of the build cache key: change it when the way
// the builds are made or checked changes outside build.sh.
const rpmHarnessVersion = "1"

// RPMRelease is one rpm release the tests run, with the EL target whose
// packages it reads.
type RPMRelease struct {
	Version string // as rpm --version prints it
	Tarball string // in testdata/rpm-sources
	SHA256  string // of Tarball
	Target  string // the wsgipack target of that EL release
}

// RPMReleases are EL8's, EL9's and EL10's rpm versions, oldest first.
var RPMReleases = []RPMRelease{
	{"4.14.3", "rpm-4.14.3-release.tar.xz", "4a43991e1fd8e96c2ea0554598aee07d8dd4c7426c63a11d169c333246072cfd", "el8"},
	{"4.16.1.3", "rpm-4.16.1.3.tar.xz", "0d5949a7a375e333b9cce575482d979ac80163423db8ddb8377cd6777e7deeb0", "el9"},
	{"4.19.1.1", "rpm-4.19.1.1-release.tar.xz", "15c4376a582cb2e295c55cebca7c04f180af2b8973dde65f59647b566b4074b1", "el10"},
}

// rpmBuildTools are what build.sh runs, on the host.
var rpmBuildTools = []string{"gcc", "make", "ar", "autoreconf", "automake", "libtoolize", "autopoint",
	"cmake", "gawk", "pkg-config", "tar", "xz", "ldd"}

// RPMBuild is one installed build of rpm.
type RPMBuild struct {
	Version string
	Target  string
	Prefix  string        // where it is installed: bin/rpm, lib/rpm/macros, etc/
	Took    time.Duration // the build's time: measured now, or as the stamp records it
	Built   bool          // this process built it
}

// Bin returns the path of one of its programs (rpm, rpmkeys, rpmdb).
func (b *RPMBuild) Bin(name string) string { return filepath.Join(b.Prefix, "bin", name) }

// Command returns a command running this build's program name with args
// on the host, with the harness's inside environment (chroot.go's env).
func (b *RPMBuild) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(b.Bin(name), args...)
	cmd.Env = env()
	cmd.Dir = "/"
	return cmd
}

// Output runs this build's program and returns its combined output and
// exit status; it fails the test only when the program cannot be started.
func (b *RPMBuild) Output(t testing.TB, name string, args ...string) (string, int) {
	t.Helper()
	out, err := b.Command(name, args...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	default:
		t.Fatalf("%s %s: %v", b.Bin(name), strings.Join(args, " "), err)
		return "", -1
	}
}

// RPMCacheDir is where the builds are kept: $WSGIPACK_RPM_CACHE, else
// /var/cache/wsgipack-rpm.
func RPMCacheDir() string {
	if d := os.Getenv("WSGIPACK_RPM_CACHE"); d != "" {
		return d
	}
	return "/var/cache/wsgipack-rpm"
}

// rpmSources is testdata/rpm-sources of the repository.
func rpmSources() string { return filepath.Join(repo, "testdata", "rpm-sources") }

// rpmCacheKey names one build: the version, the tarball's sha256, the
// recipe (build.sh), the architecture and the harness version.
func rpmCacheKey(r RPMRelease) (string, error) {
	script, err := os.ReadFile(filepath.Join(rpmSources(), "build.sh"))
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n", rpmHarnessVersion, r.Version, r.SHA256, runtime.GOARCH)
	h.Write(script)
	return r.Version + "-" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

var rpmBuilds sync.Map // version -> *rpmOnce

type rpmOnce struct {
	once  sync.Once
	build *RPMBuild
	err   error
}

// BuiltRPM returns the build of rpm release r, building it when this
// machine has none yet (a minute or two each). A missing build tool skips
// the test, or fails it in CI (CI set), where the test command must
// install them (make e2e-deps); a failed build or check fails it.
func BuiltRPM(t testing.TB, r RPMRelease) *RPMBuild {
	t.Helper()
	var missing []string
	for _, tool := range rpmBuildTools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("building rpm %s needs %s: the test command must install them (make e2e-deps)", r.Version, strings.Join(missing, ", "))
		}
		t.Skipf("building rpm %s needs %s (make e2e-deps)", r.Version, strings.Join(missing, ", "))
	}
	v, _ := rpmBuilds.LoadOrStore(r.Version, &rpmOnce{})
	o := v.(*rpmOnce)
	o.once.Do(func() { o.build, o.err = ensureRPM(r) })
	if o.err != nil {
		t.Fatalf("rpm %s: %v", r.Version, o.err)
	}
	return o.build
}

// rpmStamp is written into a build's prefix once it has passed its checks;
// a prefix without it is not trusted.
const rpmStamp = ".wsgipack-rpm-build"

// ensureRPM returns the cached build of r, checked; it builds it under the
// cache's lock when it is missing or fails its checks.
func ensureRPM(r RPMRelease) (*RPMBuild, error) {
	cache := RPMCacheDir()
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	key, err := rpmCacheKey(r)
	if err != nil {
		return nil, err
	}
	b := &RPMBuild{Version: r.Version, Target: r.Target, Prefix: filepath.Join(cache, key)}
	if b.cached() {
		return b, nil
	}
	lock, err := os.OpenFile(filepath.Join(cache, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	// Another process may have built it while this one waited.
	if b.cached() {
		return b, nil
	}
	if err := removeStaleRPMs(cache, r.Version, key); err != nil {
		return nil, err
	}
	start := time.Now()
	if err := buildRPM(r, cache, b.Prefix); err != nil {
		return nil, err
	}
	b.Took, b.Built = time.Since(start), true
	if err := b.check(); err != nil {
		_ = os.RemoveAll(b.Prefix)
		return nil, fmt.Errorf("the build of rpm %s fails its check (removed): %w", r.Version, err)
	}
	stamp := fmt.Sprintf("rpm %s\nkey %s\nharness %s\nbuild %s\nbuilt %s\n", r.Version, key, rpmHarnessVersion,
		b.Took.Round(time.Second), time.Now().UTC().Format(time.RFC3339))
	if err := os.WriteFile(filepath.Join(b.Prefix, rpmStamp), []byte(stamp), 0o644); err != nil {
		return nil, err
	}
	return b, nil
}

// cached tells whether b's prefix holds a complete build that still passes
// its checks (a host library upgrade could break it), and reads the build
// time its stamp records.
func (b *RPMBuild) cached() bool {
	stamp, err := os.ReadFile(filepath.Join(b.Prefix, rpmStamp))
	if err != nil || b.check() != nil {
		return false
	}
	for _, line := range strings.Split(string(stamp), "\n") {
		if v, ok := strings.CutPrefix(line, "build "); ok {
			b.Took, _ = time.ParseDuration(v)
		}
	}
	return true
}

// removeStaleRPMs removes what interrupted builds left in the cache
// (.build-*) and the builds of version other than key: made by an older
// recipe, they are never used again. The caller holds the lock.
func removeStaleRPMs(cache, version, key string) error {
	stale, _ := filepath.Glob(filepath.Join(cache, ".build-*"))
	others, _ := filepath.Glob(filepath.Join(cache, version+"-*"))
	for _, d := range append(stale, others...) {
		if filepath.Base(d) == key {
			continue
		}
		if out, err := exec.Command("rm", "-rf", "--one-file-system", d).CombinedOutput(); err != nil {
			return fmt.Errorf("removing the stale build %s: %v\n%s", d, err, out)
		}
	}
	return nil
}

// buildRPM checks the tarball's sha256, extracts it into a temporary
// directory of cache and runs build.sh there, installing into a staging
// directory; then it renames the installed prefix into place. An
// interrupted build leaves only a .build-* directory, which the next build
// removes, or a prefix without stamp, which is built anew.
func buildRPM(r RPMRelease, cache, prefix string) error {
	tarball := filepath.Join(rpmSources(), r.Tarball)
	if err := checkSHA256(tarball, r.SHA256); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(cache, ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src, dest := filepath.Join(tmp, "src"), filepath.Join(tmp, "dest")
	if err := os.Mkdir(src, 0o755); err != nil {
		return err
	}
	if out, err := exec.Command("tar", "-xJf", tarball, "-C", src).CombinedOutput(); err != nil {
		return fmt.Errorf("extracting %s: %v\n%s", r.Tarball, err, out)
	}
	tops, _ := filepath.Glob(filepath.Join(src, "rpm-*"))
	if len(tops) != 1 {
		return fmt.Errorf("%s holds %d top directories rpm-*, want 1", r.Tarball, len(tops))
	}
	logFile := filepath.Join(tmp, "build.log")
	log, err := os.Create(logFile)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command("sh", filepath.Join(rpmSources(), "build.sh"), r.Version, tops[0], prefix, dest)
	cmd.Env = append(os.Environ(), "LC_ALL=C", fmt.Sprintf("JOBS=%d", runtime.NumCPU()))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		data, _ := os.ReadFile(logFile)
		return fmt.Errorf("build.sh %s: %v\n%s", r.Version, err, tail(string(data), 60))
	}
	// A prefix without stamp (an interrupted rename or check) goes first.
	if err := os.RemoveAll(prefix); err != nil {
		return err
	}
	return os.Rename(filepath.Join(dest, prefix), prefix)
}

// checkSHA256 fails when file's sha256 is not want.
func checkSHA256(file, want string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%s: sha256 %s, want %s (testdata/rpm-sources/README.md)", file, got, want)
	}
	return nil
}

// check runs the build before it is trusted: rpm --version names the
// version; the programs and rpm's libraries are its own (not the host's
// librpm); it reads its macros from its prefix, knows the tags of our
// packages (PAYLOADDIGEST, FILEDIGESTALGO), reads zstd payloads
// (rpmlib(PayloadIsZstd)) and runs Lua.
func (b *RPMBuild) check() error {
	run := func(name string, args ...string) (string, error) {
		out, err := b.Command(name, args...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out)), nil
	}
	out, err := run("rpm", "--version")
	if err != nil {
		return err
	}
	if want := "RPM version " + b.Version; out != want {
		return fmt.Errorf("rpm --version: %q, want %q", out, want)
	}
	for _, prog := range []string{"rpm", "rpmkeys", "rpmdb"} {
		out, err := exec.Command("ldd", b.Bin(prog)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ldd %s: %v\n%s", prog, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && strings.HasPrefix(f[0], "librpm") && !strings.HasPrefix(f[2], b.Prefix+"/") {
				return fmt.Errorf("%s loads %s from %s, not from %s", prog, f[0], f[2], b.Prefix)
			}
		}
	}
	if out, err = run("rpm", "--eval", "%{_rpmconfigdir}"); err != nil {
		return err
	}
	if want := filepath.Join(b.Prefix, "lib", "rpm"); out != want {
		return fmt.Errorf("rpm's config dir is %s, want %s", out, want)
	}
	rc, err := run("rpm", "--showrc")
	if err != nil {
		return err
	}
	for _, want := range []string{"rpmlib(PayloadIsZstd)", filepath.Join(b.Prefix, "lib", "rpm", "macros")} {
		if !strings.Contains(rc, want) {
			return fmt.Errorf("rpm --showrc lacks %s", want)
		}
	}
	for _, line := range strings.Split(rc, "\n") {
		if strings.HasPrefix(line, "Macro path:") && strings.Contains(line, "/usr/lib/rpm/") {
			return fmt.Errorf("rpm reads the host's macros: %s", line)
		}
	}
	tags, err := run("rpm", "--querytags")
	if err != nil {
		return err
	}
	for _, want := range []string{"PAYLOADDIGEST", "FILEDIGESTALGO", "PAYLOADCOMPRESSOR", "RSAHEADER"} {
		if !strings.Contains("\n"+tags+"\n", "\n"+want+"\n") {
			return fmt.Errorf("rpm --querytags lacks %s", want)
		}
	}
	if out, err = run("rpm", "--eval", "%{lua: print(1+1)}"); err != nil {
		return err
	}
	if out != "2" {
		return fmt.Errorf("rpm --eval '%%{lua: print(1+1)}': %q, want 2", out)
	}
	return nil
}
