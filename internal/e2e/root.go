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

// Suite is the Debian release of the root.
const Suite = "bookworm"

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
	RootBuild  time.Duration // building the cached root; 0 when it was cached
	RootLookup time.Duration // finding the cached root
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
// architecture and the harness version.
func cacheKey() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\nminbase\n%s\n%s\n%s\n", harnessVersion, Suite, runtime.GOARCH, strings.Join(Packages, ","))
	return "debian-12-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// Mirror returns the Debian mirror this machine's apt uses for bookworm:
// $WSGIPACK_E2E_MIRROR, else the first URI of a deb source whose suite is
// bookworm, from /etc/apt/sources.list.d/*.sources (deb822) or
// /etc/apt/sources.list and /etc/apt/sources.list.d/*.list (one-line).
func Mirror() (string, error) {
	if m := os.Getenv("WSGIPACK_E2E_MIRROR"); m != "" {
		return m, nil
	}
	var files []string
	deb822, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	files = append(files, deb822...)
	files = append(files, "/etc/apt/sources.list")
	oneLine, _ := filepath.Glob("/etc/apt/sources.list.d/*.list")
	files = append(files, oneLine...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var uri string
		if strings.HasSuffix(f, ".sources") {
			uri = mirrorDeb822(string(data), Suite)
		} else {
			uri = mirrorOneLine(string(data), Suite)
		}
		if uri != "" {
			return uri, nil
		}
	}
	return "", fmt.Errorf("no apt source for %s in /etc/apt/sources.list or /etc/apt/sources.list.d: add one, or set WSGIPACK_E2E_MIRROR", Suite)
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

var base struct {
	once sync.Once
	dir  string
	err  error
}

// BaseRoot returns the cached Debian 12 root, building it when this machine
// has none yet (about a minute). The root is read-only by convention: tests
// work on copies (New). It fails the test when the root cannot be had or
// contains a compiler.
func BaseRoot(t testing.TB) string {
	t.Helper()
	base.once.Do(func() {
		start := time.Now()
		var built bool
		base.dir, built, base.err = ensureRoot()
		Timings.Lock()
		if built {
			Timings.RootBuild = time.Since(start)
		} else {
			Timings.RootLookup = time.Since(start)
		}
		Timings.Unlock()
		if base.err == nil {
			base.err = checkNoCompiler(base.dir)
		}
	})
	if base.err != nil {
		t.Fatalf("Debian 12 root: %v", base.err)
	}
	return base.dir
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

// ensureRoot returns the cached root, building it under a lock when it is
// missing. built tells whether this call built it.
func ensureRoot() (dir string, built bool, err error) {
	cache := CacheDir()
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", false, err
	}
	dir = filepath.Join(cache, cacheKey())
	if _, err := os.Stat(filepath.Join(dir, stampFile)); err == nil {
		return dir, false, nil
	}
	lock, err := os.OpenFile(filepath.Join(cache, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
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
	if err := removeStale(cache); err != nil {
		return "", false, err
	}
	if err := buildRoot(cache, dir); err != nil {
		return "", false, err
	}
	return dir, true, nil
}

// stampFile is written last into a root before it is renamed into place.
const stampFile = "etc/wsgipack-e2e-root"

// removeStale removes what interrupted builds left in the cache: their
// temporary roots, with anything still mounted inside them, and roots of
// other keys are left alone.
func removeStale(cache string) error {
	stale, _ := filepath.Glob(filepath.Join(cache, ".build-*"))
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

// buildRoot runs debootstrap into a temporary directory of cache, trims the
// result and renames it to dir, so that an interrupted build never leaves a
// root that looks complete.
func buildRoot(cache, dir string) error {
	for _, tool := range []string{"debootstrap", "chroot"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is missing: run make e2e-deps", tool)
		}
	}
	mirror, err := Mirror()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(cache, ".build-")
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
	cmd := exec.Command("debootstrap", "--variant=minbase", "--include="+strings.Join(Packages, ","), Suite, root, mirror)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("debootstrap from %s: %v\n%s", mirror, err, tail(string(out), 40))
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
		filepath.Base(dir), harnessVersion, Suite, strings.Join(Packages, " "), mirror, took.Round(time.Second),
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
