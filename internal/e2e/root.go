//go:build e2e

package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// harnessVersion is part of the cache key: change it when the way the root
// is made changes, so every machine builds a new one.
const harnessVersion = "1"

// Suite is the Debian release of the root that New and BaseRoot give.
const Suite = "bookworm"

// Releases are the Debian releases the harness makes roots of (NewRelease,
// BaseRootOf), by suite, with Debian's number of each: the root of suite S is
// cached as debian-N-<hash>. All come from the same mirror (Mirror).
var Releases = []struct{ Suite, Number string }{
	{"bullseye", "11"},
	{"bookworm", "12"},
	{"trixie", "13"},
}

// releaseNumber returns Debian's number of a suite of Releases.
func releaseNumber(suite string) (string, error) {
	for _, r := range Releases {
		if r.Suite == suite {
			return r.Number, nil
		}
	}
	var known []string
	for _, r := range Releases {
		known = append(known, r.Suite)
	}
	return "", fmt.Errorf("no root for the Debian suite %q: the harness makes %s", suite, strings.Join(known, ", "))
}

// Packages are installed into the root on top of debootstrap's minbase.
// Nothing here may pull in a compiler: packages are installed on servers
// without one.
// acl: setfacl, which an app whose writable paths Apache serves depends on.
var Packages = []string{"apache2", "libapache2-mod-wsgi-py3", "acl"}

// compilers must not exist in the root.
var compilers = []string{"gcc", "cc", "c++", "g++", "clang", "x86_64-linux-gnu-gcc", "aarch64-linux-gnu-gcc"}

// Timings of this test process, for the reports.
var Timings struct {
	sync.Mutex
	RootBuild  map[string]time.Duration // by suite: building the cached root, when this process built it
	RootLookup map[string]time.Duration // by suite: finding the cached root, when it was there
	Copies     []time.Duration
}

// CacheDir is where the roots are kept: $WSGIPACK_E2E_CACHE, else
// /var/cache/wsgipack-e2e.
func CacheDir() string {
	if d := os.Getenv("WSGIPACK_E2E_CACHE"); d != "" {
		return d
	}
	return "/var/cache/wsgipack-e2e"
}

// cacheKey names one kind of root: the release, the packages, the
// architecture and the harness version. (Bookworm's key is the one the
// harness had when it made only that root: its cached root stays valid.)
func cacheKey(suite string) (string, error) {
	n, err := releaseNumber(suite)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\nminbase\n%s\n%s\n%s\n", harnessVersion, suite, runtime.GOARCH, strings.Join(Packages, ","))
	return "debian-" + n + "-" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// Mirror returns the Debian mirror this machine's apt uses for bookworm:
// see MirrorFor.
func Mirror() (string, error) { return MirrorFor(Suite) }

// MirrorFor returns the Debian mirror to make suite's root from:
// $WSGIPACK_E2E_MIRROR_<SUITE> (e.g. WSGIPACK_E2E_MIRROR_BULLSEYE, for a
// release that has moved to Debian's archive of old releases), else
// $WSGIPACK_E2E_MIRROR, else the first URI of a deb source whose suite is
// suite, from /etc/apt/sources.list.d/*.sources (deb822) or
// /etc/apt/sources.list and /etc/apt/sources.list.d/*.list (one-line); else,
// when apt has no source for suite (a Debian 12 machine lists only
// bookworm), the first URI of a deb source of another release of Releases:
// a Debian mirror carries every release it has.
func MirrorFor(suite string) (string, error) {
	if m := os.Getenv("WSGIPACK_E2E_MIRROR_" + strings.ToUpper(suite)); m != "" {
		return m, nil
	}
	if m := os.Getenv("WSGIPACK_E2E_MIRROR"); m != "" {
		return m, nil
	}
	if uri := mirrorFrom(aptSources(), suite); uri != "" {
		return uri, nil
	}
	return "", fmt.Errorf("no apt source for %s (nor for another Debian release) in /etc/apt/sources.list or /etc/apt/sources.list.d: add one, or set WSGIPACK_E2E_MIRROR", suite)
}

// aptSource is one file of apt's sources.
type aptSource struct{ file, text string }

// aptSources reads apt's sources: deb822 files first, then the one-line
// ones.
func aptSources() []aptSource {
	var files []string
	deb822, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	files = append(files, deb822...)
	files = append(files, "/etc/apt/sources.list")
	oneLine, _ := filepath.Glob("/etc/apt/sources.list.d/*.list")
	files = append(files, oneLine...)
	var out []aptSource
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil {
			out = append(out, aptSource{f, string(data)})
		}
	}
	return out
}

// mirrorFrom returns the URI of sources for suite, else for another
// release of Releases; "" when there is none.
func mirrorFrom(sources []aptSource, suite string) string {
	if uri := mirrorOf(sources, suite); uri != "" {
		return uri
	}
	for _, r := range Releases {
		if uri := mirrorOf(sources, r.Suite); uri != "" {
			return uri
		}
	}
	return ""
}

// mirrorOf returns the first URI of sources for suite, "" when none has it.
func mirrorOf(sources []aptSource, suite string) string {
	for _, src := range sources {
		var uri string
		if strings.HasSuffix(src.file, ".sources") {
			uri = mirrorDeb822(src.text, suite)
		} else {
			uri = mirrorOneLine(src.text, suite)
		}
		if uri != "" {
			return uri
		}
	}
	return ""
}

// usableURI tells whether debootstrap can fetch from uri.
func usableURI(uri string) bool {
	return strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") || strings.HasPrefix(uri, "file:")
}

// mirrorDeb822 returns the first URI of an enabled deb stanza listing suite.
func mirrorDeb822(text, suite string) string {
	for _, stanza := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n\n") {
		fields := map[string]string{}
		var last string
		for _, line := range strings.Split(stanza, "\n") {
			switch {
			case strings.HasPrefix(line, "#"), strings.TrimSpace(line) == "":
			case line[0] == ' ' || line[0] == '\t':
				if last != "" {
					fields[last] += " " + strings.TrimSpace(line)
				}
			default:
				k, v, ok := strings.Cut(line, ":")
				if !ok {
					continue
				}
				last = strings.ToLower(strings.TrimSpace(k))
				fields[last] = strings.TrimSpace(v)
			}
		}
		if strings.EqualFold(fields["enabled"], "no") ||
			!slices.Contains(strings.Fields(fields["types"]), "deb") ||
			!slices.Contains(strings.Fields(fields["suites"]), suite) {
			continue
		}
		for _, u := range strings.Fields(fields["uris"]) {
			if usableURI(u) {
				return u
			}
		}
	}
	return ""
}

// mirrorOneLine returns the URI of the first "deb [options] URI suite ..."
// line for suite.
func mirrorOneLine(text, suite string) string {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") {
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) > 0 {
				f = f[1:]
			}
		}
		if len(f) >= 2 && f[1] == suite && usableURI(f[0]) {
			return f[0]
		}
	}
	return ""
}

// baseRoot is one suite's cached root, found or built once per process.
type baseRoot struct {
	once sync.Once
	dir  string
	err  error
}

var bases struct {
	sync.Mutex
	m map[string]*baseRoot // by suite
}

// baseOf returns the state of suite's root in this process.
func baseOf(suite string) *baseRoot {
	bases.Lock()
	defer bases.Unlock()
	if bases.m == nil {
		bases.m = map[string]*baseRoot{}
	}
	b := bases.m[suite]
	if b == nil {
		b = &baseRoot{}
		bases.m[suite] = b
	}
	return b
}

// BaseRoot returns the cached Debian 12 root: BaseRootOf(t, Suite).
func BaseRoot(t testing.TB) string {
	t.Helper()
	return BaseRootOf(t, Suite)
}

// BaseRootOf returns the cached root of a Debian suite of Releases,
// building it when this machine has none yet (a few minutes: see the
// README). The root is read-only by convention: tests work on copies
// (NewRelease). It fails the test when the root cannot be had or contains a
// compiler. Roots of different suites may be asked for at once, by
// parallel tests or other test processes: each suite's is built once.
func BaseRootOf(t testing.TB, suite string) string {
	t.Helper()
	b := baseOf(suite)
	b.get(suite)
	if b.err != nil {
		n, _ := releaseNumber(suite)
		t.Fatalf("Debian %s (%s) root: %v", n, suite, b.err)
	}
	return b.dir
}

// PrepareRoots starts finding or building the roots of suites in the
// background, all at once, so that a test that needs several (TestFleet)
// waits for the slowest rather than their sum, and works meanwhile (the
// roots' builds are mostly downloads and unpacking). BaseRootOf waits for
// each and fails the test with its error.
func PrepareRoots(suites ...string) {
	for _, s := range suites {
		go baseOf(s).get(s)
	}
}

// get finds or builds suite's root once per process; later calls wait for
// the first.
func (b *baseRoot) get(suite string) {
	b.once.Do(func() {
		start := time.Now()
		var built bool
		b.dir, built, b.err = ensureRoot(suite)
		Timings.Lock()
		if Timings.RootBuild == nil {
			Timings.RootBuild, Timings.RootLookup = map[string]time.Duration{}, map[string]time.Duration{}
		}
		if built {
			Timings.RootBuild[suite] = time.Since(start)
		} else if b.err == nil {
			Timings.RootLookup[suite] = time.Since(start)
		}
		Timings.Unlock()
		if b.err == nil {
			b.err = checkNoCompiler(b.dir)
		}
	})
}

// checkNoCompiler fails when a C or C++ compiler is on the root's PATH.
func checkNoCompiler(root string) error {
	var found []string
	for _, bin := range []string{"usr/bin", "usr/local/bin", "bin"} {
		for _, c := range compilers {
			if _, err := os.Lstat(filepath.Join(root, bin, c)); err == nil {
				found = append(found, "/"+bin+"/"+c)
			}
		}
		gccs, _ := filepath.Glob(filepath.Join(root, bin, "*-gcc-*"))
		for _, g := range gccs {
			found = append(found, strings.TrimPrefix(g, root))
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("the root %s has a compiler (%s): servers have none, so neither may the root", root, strings.Join(found, ", "))
	}
	return nil
}

// lockFile is the lock under which suite's root is built: one per suite, so
// that roots of different suites are built at once. Bookworm's is .lock,
// the lock of the harness that made only that root, so that a checkout with
// that harness and one with this never build it together.
func lockFile(cache, suite string) string {
	if suite == "bookworm" {
		return filepath.Join(cache, ".lock")
	}
	return filepath.Join(cache, ".lock-"+suite)
}

// buildPrefix starts the names of the temporary directories suite's root is
// built in. (Not .build-: the harness that made only Debian 12's root
// removes every .build-* under its lock, which is bookworm's alone now.)
func buildPrefix(suite string) string { return ".debootstrap-" + suite + "-" }

// ensureRoot returns suite's cached root, building it under suite's lock
// when it is missing. built tells whether this call built it.
func ensureRoot(suite string) (dir string, built bool, err error) {
	key, err := cacheKey(suite)
	if err != nil {
		return "", false, err
	}
	cache := CacheDir()
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", false, err
	}
	dir = filepath.Join(cache, key)
	if _, err := os.Stat(filepath.Join(dir, stampFile)); err == nil {
		return dir, false, nil
	}
	lock, err := os.OpenFile(lockFile(cache, suite), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", false, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", false, err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	// Another process may have built it while this one waited.
	if _, err := os.Stat(filepath.Join(dir, stampFile)); err == nil {
		return dir, false, nil
	}
	if err := removeStale(cache, suite); err != nil {
		return "", false, err
	}
	if err := buildRoot(cache, dir, suite); err != nil {
		return "", false, err
	}
	return dir, true, nil
}

// stampFile is written last into a root before it is renamed into place.
const stampFile = "etc/wsgipack-e2e-root"

// removeStale removes what interrupted builds of suite's root left in the
// cache: their temporary roots, with anything still mounted inside them.
// It runs under suite's lock, so no build of suite is under way; the
// builds of other suites and the roots of other keys are left alone. Under
// bookworm's lock it also removes what the harness of one root left
// (.build-NNNN, built under the same lock).
func removeStale(cache, suite string) error {
	stale, _ := filepath.Glob(filepath.Join(cache, buildPrefix(suite)+"*"))
	if suite == "bookworm" {
		old, _ := filepath.Glob(filepath.Join(cache, ".build-*"))
		stale = append(stale, old...)
	}
	for _, d := range stale {
		if err := unmountBelow(d); err != nil {
			return fmt.Errorf("removing the interrupted build %s: %w", d, err)
		}
		if out, err := exec.Command("rm", "-rf", "--one-file-system", d).CombinedOutput(); err != nil {
			return fmt.Errorf("removing the interrupted build %s: %v\n%s", d, err, out)
		}
	}
	return nil
}

// debootstrapScripts is where debootstrap keeps a script per suite.
const debootstrapScripts = "/usr/share/debootstrap/scripts"

// debootstrapScript returns the script to pass to debootstrap for suite, ""
// when debootstrap knows the suite. A debootstrap older than the release
// has no script of that name; every Debian release since squeeze is made
// by sid's script (the others are links to it), so that is the one given.
func debootstrapScript(scripts, suite string) string {
	if _, err := os.Stat(filepath.Join(scripts, suite)); err == nil {
		return ""
	}
	return filepath.Join(scripts, "sid")
}

// keyringHint explains a debootstrap failure that a missing archive key
// causes.
func keyringHint(suite, out string) string {
	if !strings.Contains(out, "NO_PUBKEY") && !strings.Contains(out, "unknown key") && !strings.Contains(out, "not signed") {
		return ""
	}
	return fmt.Sprintf("\nthe Debian archive keyring of this machine lacks %s's key: make e2e-deps upgrades debian-archive-keyring (Debian 12's 2023.3+deb12u2 or later has trixie's)", suite)
}

// buildRoot runs debootstrap for suite into a temporary directory of cache,
// trims the result and renames it to dir, so that an interrupted build never
// leaves a root that looks complete.
func buildRoot(cache, dir, suite string) error {
	for _, tool := range []string{"debootstrap", "chroot"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is missing: run make e2e-deps", tool)
		}
	}
	mirror, err := MirrorFor(suite)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(cache, buildPrefix(suite))
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			_ = unmountBelow(tmp)
			_ = exec.Command("rm", "-rf", "--one-file-system", tmp).Run()
		}
	}()
	root := filepath.Join(tmp, "root")
	start := time.Now()
	args := []string{"--variant=minbase", "--include=" + strings.Join(Packages, ","), suite, root, mirror}
	if script := debootstrapScript(debootstrapScripts, suite); script != "" {
		args = append(args, script)
	}
	cmd := exec.Command("debootstrap", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		log := string(out)
		if data, err := os.ReadFile(filepath.Join(root, "debootstrap/debootstrap.log")); err == nil {
			log += "\ndebootstrap.log:\n" + tail(string(data), 20)
		}
		return fmt.Errorf("debootstrap %s from %s: %v\n%s%s", suite, mirror, err, tail(log, 40), keyringHint(suite, log))
	}
	took := time.Since(start)
	// debootstrap unmounts what it mounted; make sure before trimming.
	if err := unmountBelow(tmp); err != nil {
		return err
	}
	if out, err := exec.Command("chroot", root, "apt-get", "clean").CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get clean in the root: %v\n%s", err, out)
	}
	// Keep the root lean: every test copies it. The package lists are not
	// needed (installs are of local files, with no network); docs of the
	// base system, man pages and translations are never read.
	for _, glob := range []string{"var/lib/apt/lists/*", "var/cache/apt/*.bin", "usr/share/man/*",
		"usr/share/info/*", "usr/share/locale/*", "var/log/*.log", "var/log/apt/*"} {
		matches, _ := filepath.Glob(filepath.Join(root, glob))
		for _, m := range matches {
			if filepath.Base(m) == "lock" || filepath.Base(m) == "partial" {
				continue
			}
			if err := os.RemoveAll(m); err != nil {
				return err
			}
		}
	}
	// debootstrap leaves no /etc/hosts; Apache and Python resolve localhost.
	if err := os.WriteFile(filepath.Join(root, "etc/hosts"),
		[]byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"), 0o644); err != nil {
		return err
	}
	if err := checkNoCompiler(root); err != nil {
		return err
	}
	stamp := fmt.Sprintf("wsgipack e2e root %s\nharness %s\nsuite %s\npackages %s\nmirror %s\ndebootstrap %s\nbuilt %s\n",
		filepath.Base(dir), harnessVersion, suite, strings.Join(Packages, " "), mirror, took.Round(time.Second),
		time.Now().UTC().Format(time.RFC3339))
	if err := os.WriteFile(filepath.Join(root, stampFile), []byte(stamp), 0o644); err != nil {
		return err
	}
	// An older incomplete root of this key (no stamp) goes first.
	if _, err := os.Lstat(dir); err == nil {
		if out, err := exec.Command("rm", "-rf", "--one-file-system", dir).CombinedOutput(); err != nil {
			return fmt.Errorf("%v\n%s", err, out)
		}
	}
	if err := os.Rename(root, dir); err != nil {
		return err
	}
	ok = true
	return os.Remove(tmp)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// mountsBelow returns the mount points at or below dir, deepest first.
func mountsBelow(dir string) ([]string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMount(f[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	// Deepest first: later mounts and longer paths go before their parents.
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	return out, nil
}

// unescapeMount undoes the octal escapes of /proc/self/mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountBelow unmounts everything mounted at or below dir; a busy mount is
// detached. It fails when something is still mounted afterwards.
func unmountBelow(dir string) error {
	for range 3 {
		mps, err := mountsBelow(dir)
		if err != nil {
			return err
		}
		if len(mps) == 0 {
			return nil
		}
		for _, mp := range mps {
			if err := syscall.Unmount(mp, 0); err != nil && !errors.Is(err, syscall.EINVAL) {
				_ = syscall.Unmount(mp, syscall.MNT_DETACH)
			}
		}
	}
	mps, err := mountsBelow(dir)
	if err == nil && len(mps) > 0 {
		err = fmt.Errorf("still mounted: %s", strings.Join(mps, ", "))
	}
	return err
}
