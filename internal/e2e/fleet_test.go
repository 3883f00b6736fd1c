//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wsgipack/wsgipack/internal/builder"
)

// fleet is the Debian releases of TestFleet: each root's suite, wsgipack's
// target, the Python X.Y of its python3 and mod_wsgi, and mod_wsgi's
// version (X.Y) there.
var fleet = []struct {
	suite, target, python, modWSGI string
}{
	{"bullseye", "debian-11", "3.9", "4.7"},
	{"bookworm", "debian-12", "3.11", "4.9"},
	{"trixie", "debian-13", "3.13", "5.0"},
}

// fleetVersions are the example app's versions TestFleet installs, the
// second as an upgrade of the first.
var fleetVersions = []string{"1.0.0", "2.0.0"}

// TestFleet: the example app for Debian 11, 12 and 13, each from a venv of
// that release's Python (3.9, 3.11, 3.13), installed with no network into
// that release's root, served by its Apache and mod_wsgi (4.7, 4.9, 5.0),
// upgraded, then purged until nothing of it is left.
func TestFleet(t *testing.T) {
	requireRoot(t)
	// A fresh machine builds the three roots meanwhile.
	var suites []string
	for _, r := range fleet {
		suites = append(suites, r.suite)
	}
	PrepareRoots(suites...)
	dir := filepath.Join(workDir(t), "fleet")
	fleetProject(t, dir)
	debs := map[string]map[string]string{} // version -> target -> deb
	for _, v := range fleetVersions {
		debs[v] = fleetBuild(t, dir, v)
	}
	for _, r := range fleet {
		t.Run(r.target, func(t *testing.T) {
			t.Parallel()
			fleetLifecycle(t, r.suite, r.target, r.python, r.modWSGI, debs[fleetVersions[0]][r.target], debs[fleetVersions[1]][r.target])
		})
	}
}

// fleetProject makes the fleet's project in dir: a copy of testdata/example
// with one venv per Python of the fleet, venv-X.Y, made by
// testdata/mkvenv.sh with pyenv's CPython X.Y (in parallel), and the one
// spec of fleetSpec.
func fleetProject(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ex := filepath.Join(repo, "testdata", "example")
	for _, p := range []string{"src", "config", "migrations"} {
		if out, err := exec.Command("cp", "-R", filepath.Join(ex, p), filepath.Join(dir, p)).CombinedOutput(); err != nil {
			t.Fatalf("copying the example: %v\n%s", err, out)
		}
	}
	example, err := os.ReadFile(filepath.Join(ex, "wsgipack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wsgipack.yaml"), []byte(fleetSpec(t, string(example))), 0o644); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]string, len(fleet))
	for i, r := range fleet {
		python := pyenvPython(t, r.python)
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command("sh", filepath.Join(repo, "testdata", "mkvenv.sh"), filepath.Join(dir, "venv-"+r.python), python)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Sprintf("%s: %v\n%s", cmd, err, out)
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Fatal(e)
		}
	}
}

// fleetSpec is the fleet's one spec, wsgipack.yaml, made from the example's:
// a venv per Python and the three releases as targets.
//
//	venv:
//	  "3.9": venv-3.9
//	  "3.11": venv-3.11
//	  "3.13": venv-3.13
//	targets: [debian-11, debian-12, debian-13]
func fleetSpec(t *testing.T, example string) string {
	t.Helper()
	venvs, targets := "venv:", []string{}
	for _, r := range fleet {
		venvs += fmt.Sprintf("\n  %q: venv-%s", r.python, r.python)
		targets = append(targets, r.target)
	}
	s := example
	for from, to := range map[string]string{
		"venv: venv":                venvs,
		"targets: [debian-12, el9]": "targets: [" + strings.Join(targets, ", ") + "]",
	} {
		if !strings.Contains(s, from) {
			t.Fatalf("the example spec has no %q", from)
		}
		s = strings.Replace(s, from, to, 1)
	}
	return s
}

// fleetBuild sets the app's own version (which it answers with) to v and
// builds the project as wsgipack build --version v would: one build, a
// package per target, each from its Python's venv. It returns the deb of
// each target.
func fleetBuild(t *testing.T, dir, v string) map[string]string {
	t.Helper()
	initPy := fmt.Sprintf("\"\"\"Inventory: the wsgipack example app.\"\"\"\n\n__version__ = %q\n", v)
	if err := os.WriteFile(filepath.Join(dir, "src/inventory/__init__.py"), []byte(initPy), 0o644); err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, r := range fleet {
		targets = append(targets, r.target)
	}
	o := buildOptions(t, filepath.Join(dir, "wsgipack.yaml"), filepath.Join(dir, "dist-"+v), v, targets...)
	var warnings []string
	o.Warn = func(w string) { warnings = append(warnings, w) }
	res, err := builder.Build(context.Background(), o)
	if err != nil {
		t.Fatalf("building %s for %s: %v", v, strings.Join(targets, ", "), err)
	}
	for _, w := range warnings {
		if strings.Contains(w, "no target is built from") {
			t.Errorf("building %s: a venv unused: %s", v, w)
		} else {
			t.Logf("building %s: warning: %s", v, w)
		}
	}
	debs := map[string]string{}
	for _, p := range res.Packages {
		debs[p.Target.Name] = p.File
	}
	if len(res.Packages) != len(fleet) {
		t.Fatalf("building %s: %d packages, want %d: %v", v, len(res.Packages), len(fleet), debs)
	}
	return debs
}

// fleetLifecycle installs the deb of first into a fresh root of suite with
// no network, proves that it is served by that release's Python and
// mod_wsgi, upgrades it to second, and purges it.
func fleetLifecycle(t *testing.T, suite, target, python, modWSGI, first, second string) {
	c := NewRelease(t, suite)
	interpreter := "/usr/bin/python" + python

	// The root: the release's Python and mod_wsgi, and every dependency of
	// the package already installed (the install has no network).
	if v := c.MustRun(t, "dpkg-query", "-W", "-f", "${Version}", "libapache2-mod-wsgi-py3"); !strings.HasPrefix(v, modWSGI+".") {
		t.Errorf("%s's mod_wsgi is %s, want %s", suite, v, modWSGI)
	}
	depends, err := exec.Command("dpkg-deb", "-f", first, "Depends").Output()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range strings.Split(strings.TrimSpace(string(depends)), ",") {
		names = append(names, strings.Fields(d)[0])
	}
	if !slices.Contains(names, "python"+python) {
		t.Errorf("the %s package depends on %s, not on python%s", target, depends, python)
	}
	for _, n := range names {
		if out, code := c.Run(t, "dpkg-query", "-W", "-f", "${Status}", n); code != 0 || out != "install ok installed" {
			t.Errorf("%s: the package's dependency %s is not installed: %s", suite, n, out)
		}
	}
	configTest(t, c, "before the install")
	c.StartApache(t)

	// Install, with no network.
	out := mustInstallDeb(t, c, first)
	mustContain(t, "dpkg -i output", out,
		"inventory: python: venv, "+interpreter+" and mod_wsgi are all Python "+python,
		"inventory: release: /opt/inventory/releases/1.0.0-1 serves now",
		"inventory: installed 1.0.0")
	got := answer(t, c, "/inventory/")
	expect(t, "after install", got, map[string]string{
		"version": "1.0.0", "python": python, "native": "10", "prefix": "/opt/inventory/current/venv",
		"user": "inventory", "util": "hello-world", "greeting": "hello from settings.ini",
	})
	if want := "/opt/inventory/releases/1.0.0-1/venv/lib/python" + python + "/site-packages/fastsum/"; !strings.HasPrefix(got["native_file"], want) {
		t.Errorf("the C extension loaded from %s, want %s...", got["native_file"], want)
	}
	// The venv runs the release's own interpreter.
	if py := strings.TrimSpace(c.MustRun(t, "readlink", "-f", "/opt/inventory/current/venv/bin/python")); py != interpreter {
		t.Errorf("the venv's python is %s, want %s", py, interpreter)
	}
	if cfg := c.ReadFile(t, "/opt/inventory/current/venv/pyvenv.cfg"); !regexp.MustCompile(`(?m)^home = /usr/bin$`).MatchString(cfg) {
		t.Errorf("pyvenv.cfg:\n%s", cfg)
	}
	if v := c.MustRun(t, "runuser", "-u", "inventory", "--", "/opt/inventory/current/venv/bin/python", "-c",
		"import sys, fastsum; print('%d.%d' % sys.version_info[:2], fastsum.total([5, 6]))"); strings.TrimSpace(v) != python+" 11" {
		t.Errorf("the venv's python as the app user: %q", v)
	}
	served := regexp.MustCompile(`mod_wsgi/(\S+) Python/(\S+) configured`).FindStringSubmatch(c.ErrorLog())
	if served == nil || !strings.HasPrefix(served[1], modWSGI+".") || served[2] != python {
		t.Errorf("Apache's error log names no mod_wsgi/%s Python/%s:\n%s", modWSGI, python, c.ErrorLog())
	}
	configTest(t, c, "after the install")
	report(t, "%s: 1.0.0 installed with no network; served (200) by mod_wsgi %s on Python %s (%s), C extension loaded", suite, served[1], python, interpreter)

	// Upgrade.
	out = mustInstallDeb(t, c, second)
	mustContain(t, "upgrade output", out,
		"inventory: release: /opt/inventory/releases/2.0.0-1 serves now (previous: /opt/inventory/releases/1.0.0-1)",
		"inventory: installed 2.0.0")
	expect(t, "after the upgrade", answer(t, c, "/inventory/"), map[string]string{
		"version": "2.0.0", "python": python, "native": "10", "prefix": "/opt/inventory/current/venv",
	})
	configTest(t, c, "after the upgrade")
	report(t, "%s: upgraded to 2.0.0: the app answers with the new version", suite)

	// Purge: nothing of the app is left but its system user (kept on
	// purge by design: a uid reused by another user would own leftover
	// files). Any file or directory named after the app, anywhere but /tmp
	// (where the test put the packages), is a leftover: before the purge
	// there are many.
	named := func() []string {
		return strings.Fields(c.MustRun(t, "find", "/", "-xdev", "(", "-path", "/tmp", "-o", "-path", "/proc", ")", "-prune",
			"-o", "-name", "*inventory*", "-print"))
	}
	before := named()
	for _, p := range []string{"/opt/inventory", "/etc/inventory", "/var/lib/inventory", "/var/log/inventory",
		"/etc/apache2/conf-available/inventory.conf", "/usr/sbin/inventory-ctl", "/var/lib/dpkg/info/inventory.list"} {
		if !slices.Contains(before, p) {
			t.Errorf("before the purge, find does not list %s: %s", p, strings.Join(before, " "))
		}
	}
	m := c.ApacheMark()
	out, code := c.RunNoNet(t, "dpkg", "--purge", "inventory")
	if code != 0 {
		t.Fatalf("dpkg --purge: exit %d\n%s", code, out)
	}
	waitReloadIfSaid(t, c, m, out)
	mustContain(t, "dpkg --purge output", out,
		"inventory: purged /var/lib/inventory, /var/log/inventory and /etc/inventory; the system user inventory stays")
	if status, _ := c.Get(t, "/inventory/"); status != 404 {
		t.Errorf("after the purge, /inventory/ answers %d", status)
	}
	if out, code := c.Run(t, "dpkg-query", "-W", "-f", "${Status}", "inventory"); code == 0 && !strings.Contains(out, "not-installed") {
		t.Errorf("dpkg still knows inventory: %s", out)
	}
	for _, p := range []string{"/opt/inventory", "/etc/inventory", "/var/lib/inventory", "/var/log/inventory",
		"/etc/apache2/conf-available/inventory.conf", "/etc/apache2/conf-enabled/inventory.conf", "/usr/sbin/inventory-ctl"} {
		if c.Exists(p) {
			t.Errorf("the purge left %s", p)
		}
	}
	if left := named(); len(left) > 0 {
		t.Errorf("after the purge, paths named after the app remain (of %d before):\n%s", len(before), strings.Join(left, "\n"))
	}
	if _, code := c.Run(t, "getent", "passwd", "inventory"); code != 0 {
		t.Error("the purge removed the system user, which is documented to stay")
	}
	if !c.ApacheRunning() {
		t.Error("Apache stopped with the purge")
	}
	configTest(t, c, "after the purge")
	report(t, "%s: dpkg --purge: the app, its config, data, logs and Apache config are gone (the system user stays, as documented); Apache serves on", suite)
}

// configTest runs apache2ctl -t in the root and fails the test when the
// configuration does not pass.
func configTest(t *testing.T, c *Chroot, when string) {
	t.Helper()
	out, code := c.Run(t, "apache2ctl", "-t")
	if code != 0 || !strings.Contains(out, "Syntax OK") {
		t.Errorf("apache2ctl -t %s: exit %d\n%s", when, code, out)
	}
}
