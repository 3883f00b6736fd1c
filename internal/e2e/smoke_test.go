//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/archive"
	_ "github.com/wsgipack/wsgipack/internal/deb"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/packager/packagertest"
	_ "github.com/wsgipack/wsgipack/internal/rpm"
	"github.com/wsgipack/wsgipack/internal/version"
)

// The smoke tests prove the harness itself; each logs one line with its
// result, and the run ends with the timings.

func TestMain(m *testing.M) {
	start := time.Now()
	code := m.Run()
	Timings.Lock()
	defer Timings.Unlock()
	var roots []string
	for _, r := range Releases {
		if d, ok := Timings.RootBuild[r.Suite]; ok {
			roots = append(roots, fmt.Sprintf("%s root built in %v (first run on this machine)", r.Suite, d.Round(time.Second)))
		} else if d, ok := Timings.RootLookup[r.Suite]; ok {
			roots = append(roots, fmt.Sprintf("cached %s root found in %v", r.Suite, d.Round(time.Microsecond)))
		}
	}
	if len(roots) == 0 {
		roots = []string{"no root used"}
	}
	fmt.Printf("e2e timings: %s", strings.Join(roots, ", "))
	if n := len(Timings.Copies); n > 0 {
		var sum, worst time.Duration
		for _, d := range Timings.Copies {
			sum += d
			worst = max(worst, d)
		}
		fmt.Printf(", %d fresh copies (mean %v, max %v)", n, (sum / time.Duration(n)).Round(time.Millisecond), worst.Round(time.Millisecond))
	}
	fmt.Printf(", whole run %v\n", time.Since(start).Round(100*time.Millisecond))
	os.Exit(code)
}

// rootPython is the Python X.Y of each release's python3 and mod_wsgi.
var rootPython = map[string]string{"bullseye": "3.9", "bookworm": "3.11", "trixie": "3.13"}

func TestSmokeRoot(t *testing.T) {
	requireRoot(t)
	for _, r := range Releases {
		t.Run(r.Suite, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			dir := BaseRootOf(t, r.Suite)
			stamp, _ := os.ReadFile(filepath.Join(dir, stampFile))
			how := "cached"
			Timings.Lock()
			if _, ok := Timings.RootBuild[r.Suite]; ok {
				how = "built"
			}
			Timings.Unlock()
			for _, want := range []string{"usr/bin/python" + rootPython[r.Suite], "usr/sbin/apache2", "usr/lib/apache2/modules/mod_wsgi.so"} {
				if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
					t.Errorf("the root has no /%s", want)
				}
			}
			t.Logf("Debian %s root: %s %s in %v, no compiler; %s", r.Number, how, dir, time.Since(start).Round(time.Millisecond),
				strings.ReplaceAll(strings.TrimSpace(string(stamp)), "\n", "; "))
		})
	}
}

func TestSmokeStaticFile(t *testing.T) {
	c := New(t)
	c.WriteFile(t, "/var/www/html/smoke.txt", "static ok\n", 0o644)
	start := time.Now()
	c.StartApache(t)
	started := time.Since(start)
	status, body := c.Get(t, "/smoke.txt")
	if status != 200 || body != "static ok\n" {
		t.Fatalf("GET /smoke.txt: %d %q", status, body)
	}
	t.Logf("static: apache2ctl start in %v (pid %d, 127.0.0.1:%d), GET /smoke.txt -> %d %q",
		started.Round(time.Millisecond), c.ApachePID(), c.Port, status, strings.TrimSpace(body))
}

const smokeApp = `import os, sys

def application(environ, start_response):
    body = "prefix=%s group=%s pid=%d\n" % (sys.prefix, environ.get("mod_wsgi.process_group"), os.getpid())
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]
`

const smokeWSGIConf = `WSGIDaemonProcess smoke user=www-data group=www-data python-home=/opt/smoke/venv processes=1 threads=2 display-name=%{GROUP} lang=C.UTF-8 locale=C.UTF-8
WSGIScriptAlias /smoke /opt/smoke/wsgi/smoke.wsgi process-group=smoke application-group=%{GLOBAL}
<Directory /opt/smoke/wsgi>
    Require all granted
</Directory>
`

func TestSmokeWSGIDaemon(t *testing.T) {
	c := New(t)
	c.MustRun(t, "/usr/bin/python3.11", "-m", "venv", "--without-pip", "/opt/smoke/venv")
	c.WriteFile(t, "/opt/smoke/wsgi/smoke.wsgi", smokeApp, 0o644)
	c.WriteFile(t, "/etc/apache2/conf-available/smoke.conf", smokeWSGIConf, 0o644)
	c.MustRun(t, "a2enconf", "-q", "smoke")
	c.StartApache(t)
	status, body := c.Get(t, "/smoke")
	m := regexp.MustCompile(`^prefix=(\S+) group=(\S+) pid=(\d+)\n$`).FindStringSubmatch(body)
	if status != 200 || m == nil || m[1] != "/opt/smoke/venv" || m[2] != "smoke" {
		t.Fatalf("GET /smoke: %d %q\nerror log:\n%s", status, body, c.ErrorLog())
	}
	cmdline, _ := os.ReadFile("/proc/" + m[3] + "/cmdline")
	if !strings.HasPrefix(string(cmdline), "(wsgi:smoke)") {
		t.Errorf("the app ran in pid %s, %q, not the daemon process (wsgi:smoke)", m[3], cmdline)
	}
	t.Logf("mod_wsgi daemon: GET /smoke -> %d, sys.prefix %s, process group %s, pid %s %q",
		status, m[1], m[2], m[3], strings.TrimRight(string(cmdline), "\x00"))
}

func TestSmokeGraceful(t *testing.T) {
	c := New(t)
	for _, v := range []string{"A", "B", "C"} {
		c.WriteFile(t, "/var/www/"+v+".txt", v, 0o644)
	}
	probe := func(v string) {
		c.WriteFile(t, "/etc/apache2/conf-available/probe.conf", "Alias /probe /var/www/"+v+".txt\n", 0o644)
	}
	get := func() string {
		t.Helper()
		status, body := c.Get(t, "/probe")
		if status != 200 {
			t.Fatalf("GET /probe: %d %q", status, body)
		}
		return body
	}
	// settled waits (5 s at most) until /probe gives want: right after a
	// reload a child of the old generation may still answer once.
	settled := func(want string) string {
		t.Helper()
		_, body := c.GetUntil(t, "/probe", 5*time.Second, func(status int, body string) bool { return status == 200 && body == want })
		return body
	}
	probe("A")
	c.MustRun(t, "a2enconf", "-q", "probe")
	c.StartApache(t)
	pid := c.ApachePID()
	seen := []string{get()}

	// apache2ctl graceful, from a process with no network: the install
	// scripts' way when the pid file names a live process.
	probe("B")
	m := c.ApacheMark()
	if out, status := c.RunNoNet(t, "apache2ctl", "graceful"); status != 0 {
		t.Fatalf("apache2ctl graceful: %d\n%s", status, out)
	}
	c.WaitReload(t, m)
	seen = append(seen, settled("B"))

	// invoke-rc.d apache2 reload: apache2-maintscript-helper's way.
	probe("C")
	m = c.ApacheMark()
	out, status := c.RunNoNet(t, "invoke-rc.d", "apache2", "reload")
	if status != 0 {
		t.Fatalf("invoke-rc.d apache2 reload: %d\n%s", status, out)
	}
	c.WaitReload(t, m)
	seen = append(seen, settled("C"))

	// A broken configuration: graceful refuses, Apache keeps the last one.
	m = c.ApacheMark()
	c.WriteFile(t, "/etc/apache2/conf-available/probe.conf", "Alias /probe /var/www/A.txt\nNoSuchDirective on\n", 0o644)
	broken, brokenStatus := c.RunNoNet(t, "apache2ctl", "graceful")
	if brokenStatus == 0 {
		t.Errorf("apache2ctl graceful with a broken configuration exited 0:\n%s", broken)
	}
	time.Sleep(500 * time.Millisecond)
	if c.Reloaded(m) {
		t.Errorf("Apache reloaded a broken configuration")
	}
	seen = append(seen, get())

	if strings.Join(seen, "") != "ABCC" {
		t.Fatalf("GET /probe gave %v, want A B C C\nerror log:\n%s", seen, c.ErrorLog())
	}
	if c.ApachePID() != pid {
		t.Errorf("the main process changed: %d, then %d", pid, c.ApachePID())
	}
	t.Logf("graceful: /probe A -> B (apache2ctl graceful under unshare -n) -> C (invoke-rc.d apache2 reload, said %q)"+
		" -> broken config refused (exit %d, still C); main pid %d kept",
		strings.TrimSpace(out), brokenStatus, pid)
}

func TestSmokeNoNet(t *testing.T) {
	c := New(t)
	c.StartApache(t)
	connect := fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d && echo connected", c.Port)
	withNet, withStatus := c.Run(t, "bash", "-c", connect)
	if withStatus != 0 {
		t.Fatalf("connecting to 127.0.0.1:%d from the root: %d %s", c.Port, withStatus, withNet)
	}
	noNet, noStatus := c.RunNoNet(t, "bash", "-c", connect)
	if noStatus == 0 {
		t.Fatalf("RunNoNet connected to 127.0.0.1:%d: %s", c.Port, noNet)
	}
	devs, _ := c.RunNoNet(t, "cat", "/proc/net/dev")
	var ifaces []string
	for _, line := range strings.Split(devs, "\n") {
		if name, _, ok := strings.Cut(line, ":"); ok {
			ifaces = append(ifaces, strings.TrimSpace(name))
		}
	}
	if strings.Join(ifaces, ",") != "lo" {
		t.Fatalf("RunNoNet sees interfaces %v, want lo only", ifaces)
	}
	t.Logf("no network: Run connects to 127.0.0.1:%d (%s); RunNoNet does not (exit %d: %s), its interfaces: %v",
		c.Port, strings.TrimSpace(withNet), noStatus, strings.TrimSpace(noNet), ifaces)
}

// smokeRPM writes a small noarch el9 rpm of version v: a file, an Apache
// snippet in /etc/httpd/conf.d and four scriptlets that log their $1 into
// log inside the root; %post reloads a running httpd as EL packages do.
func smokeRPM(t *testing.T, v, log string) string {
	t.Helper()
	script := func(name string) string {
		return fmt.Sprintf("#!/bin/sh\necho \"%s $1 $(test -f /etc/wsgipack-e2e-root && echo in-root)\" >> %s\n", name, log)
	}
	return smokePackage(t, "el9", v, "/etc/httpd/conf.d/e2esmoke.conf", "", packager.Scripts{
		PreInstall: script("pre"),
		PostInstall: script("post") + "if [ -f /run/httpd/httpd.pid ] && kill -0 \"$(cat /run/httpd/httpd.pid)\" 2>/dev/null; then\n" +
			"    httpd -t && apachectl graceful\nfi\n",
		PreRemove:  script("preun"),
		PostRemove: script("postun"),
	})
}

// smokePackage writes a small package e2esmoke of version v for a target:
// /opt/e2esmoke/hello.txt ("hello V") served at /e2esmoke by an Apache
// snippet at confPath (with extra lines), and the given scripts.
func smokePackage(t *testing.T, tgtName, v, confPath, extra string, scripts packager.Scripts) string {
	t.Helper()
	hello := []byte("hello " + v + "\n")
	snippet := []byte("Alias /e2esmoke /opt/e2esmoke/hello.txt\n<Directory /opt/e2esmoke>\n    Require all granted\n</Directory>\n" + extra)
	entries := []archive.Entry{
		{Path: confPath, Kind: archive.File, Mode: 0o644, Data: snippet, Size: int64(len(snippet)), Config: true},
		{Path: "/opt/e2esmoke", Kind: archive.Dir, Mode: 0o755},
		{Path: "/opt/e2esmoke/hello.txt", Kind: archive.File, Mode: 0o644, Data: hello, Size: int64(len(hello))},
	}
	tgt, err := distro.Lookup(tgtName)
	if err != nil {
		t.Fatal(err)
	}
	ver, err := version.Parse(v)
	if err != nil {
		t.Fatal(err)
	}
	m := &packager.Package{
		Name: "e2esmoke", Summary: "e2e harness smoke package", Description: "Proves install scripts run in the root.",
		Maintainer: "E2E <e2e@example.com>", License: "MIT", Version: ver, Release: 1, Distro: tgt, Machine: "all",
		MTime: time.Unix(1700000000, 0), Scripts: scripts, Entries: entries,
	}
	return packagertest.Write(t, m)
}

// workerUIDs returns the real uids of the children of Apache's main process.
func workerUIDs(c *Chroot) []string {
	var uids []string
	ppid := fmt.Sprint(c.ApachePID())
	for _, pid := range processesInside(c.Dir) {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		var parent, uid string
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "PPid:" {
				parent = f[1]
			} else if len(f) >= 2 && f[0] == "Uid:" {
				uid = f[1]
			}
		}
		if parent == ppid {
			uids = append(uids, uid)
		}
	}
	return uids
}

func TestSmokeEL(t *testing.T) {
	c := NewEL(t)
	out, status := c.Run(t, "httpd", "-t")
	if status != 0 || !strings.Contains(out, "Syntax OK") {
		t.Fatalf("httpd -t: %d\n%s", status, out)
	}
	ver, status := c.Run(t, "httpd", "-v")
	if status != 0 || !strings.Contains(ver, "Server version: Apache/2.4") {
		t.Fatalf("httpd -v: %d\n%s", status, ver)
	}
	ver = strings.SplitN(strings.TrimSpace(ver), "\n", 2)[0]
	// An EL-style mod_wsgi snippet: the module loaded from EL's path, the
	// socket prefix relative to the server root, a daemon as the apache user.
	c.MustRun(t, "/usr/bin/python3.11", "-m", "venv", "--without-pip", "/opt/smoke/venv")
	c.WriteFile(t, "/opt/smoke/wsgi/smoke.wsgi", smokeApp, 0o644)
	c.WriteFile(t, "/etc/httpd/conf.d/smoke.conf", "WSGISocketPrefix run/wsgi\n"+
		strings.ReplaceAll(smokeWSGIConf, "user=www-data group=www-data", "user=apache group=apache"), 0o644)
	c.StartApache(t)
	if status, body := c.Get(t, "/smoke"); status != 200 || !strings.HasPrefix(body, "prefix=/opt/smoke/venv group=smoke ") {
		t.Fatalf("GET /smoke on the EL shim: %d %q\nerror log:\n%s", status, body, c.ErrorLog())
	}
	if c.Exists("/etc/apache2/mods-enabled/wsgi.load") {
		t.Fatal("Debian's wsgi module is still enabled: mod_wsgi did not come from EL's path")
	}
	sockets, _ := filepath.Glob(c.Path("/run/httpd/wsgi.*.sock"))
	if len(sockets) == 0 {
		t.Fatalf("no mod_wsgi socket in /run/httpd (WSGISocketPrefix run/wsgi)")
	}
	if !c.Exists(elPIDFile) {
		t.Fatalf("no %s", elPIDFile)
	}
	var users []string
	for range 100 { // the children come up, then drop root, just after the listener
		if users = workerUIDs(c); slices.Contains(users, "48") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !slices.Contains(users, "48") {
		t.Fatalf("no Apache child runs as apache (uid 48): uids %v", users)
	}
	if status, _ := c.Get(t, "/e2esmoke"); status != 404 {
		t.Fatalf("GET /e2esmoke before the install: %d", status)
	}

	log := fmt.Sprintf("/var/tmp/wsgipack-e2e-scriptlets-%d", time.Now().UnixNano())
	v1, v2 := smokeRPM(t, "1.0.0", log), smokeRPM(t, "1.1.0", log)
	steps := []struct {
		name    string
		args    []string
		want    string // the scriptlets' log after the step
		content string // GET /e2esmoke after the step
	}{
		{"install", []string{"-i", v1}, "pre 1|post 1|", "hello 1.0.0\n"},
		{"upgrade", []string{"-U", v2}, "pre 2|post 2|preun 1|postun 1|", "hello 1.1.0\n"},
		{"erase", []string{"-e", "e2esmoke"}, "preun 0|postun 0|", ""},
	}
	var done []string
	for _, s := range steps {
		before := c.ReadFile(t, log)
		m := c.ApacheMark()
		out, status := c.RPMNoNet(t, s.args...)
		if status != 0 {
			t.Fatalf("rpm %s: %d\n%s", strings.Join(s.args, " "), status, out)
		}
		got := strings.TrimPrefix(c.ReadFile(t, log), before)
		if want := strings.ReplaceAll(s.want, "|", " in-root\n"); got != want {
			t.Fatalf("rpm %s: the scriptlets logged %q, want %q\nrpm said:\n%s", s.name, got, want, out)
		}
		if s.content != "" {
			c.WaitReload(t, m)
			if status, body := c.Get(t, "/e2esmoke"); status != 200 || body != s.content {
				t.Fatalf("GET /e2esmoke after the %s: %d %q", s.name, status, body)
			}
		}
		done = append(done, s.name+": "+strings.ReplaceAll(strings.TrimSuffix(s.want, "|"), "|", ", "))
	}
	if _, err := os.Stat(log); err == nil {
		t.Errorf("the scriptlets wrote %s on the host, not in the root", log)
	}
	if q, status := c.RPM(t, "-q", "e2esmoke"); status == 0 {
		t.Errorf("e2esmoke still installed after rpm -e: %s", q)
	}
	if c.Exists("/opt/e2esmoke/hello.txt") {
		t.Error("rpm -e left /opt/e2esmoke/hello.txt")
	}
	t.Logf("EL shim: httpd -t Syntax OK, %s, Apache as user apache with pid file %s, mod_wsgi daemon via EL's module path and socket %s; rpm with scriptlets in the root (%s), %%post graceful picked up /etc/httpd/conf.d",
		ver, elPIDFile, strings.TrimPrefix(sockets[0], c.Dir), strings.Join(done, "; "))
}

// The deb's scripts use apache2-maintscript-helper, as Debian's own
// packages of Apache snippets do.
const (
	debPostinst = `#!/bin/sh
set -e
if [ "$1" = configure ] && [ -e /usr/share/apache2/apache2-maintscript-helper ]; then
    . /usr/share/apache2/apache2-maintscript-helper
    apache2_invoke enconf e2esmoke
fi
`
	debPostrm = `#!/bin/sh
set -e
if [ "$1" = remove ] || [ "$1" = purge ]; then
    if [ -e /usr/share/apache2/apache2-maintscript-helper ]; then
        . /usr/share/apache2/apache2-maintscript-helper
        apache2_invoke disconf e2esmoke
    fi
fi
`
)

func TestSmokeDeb(t *testing.T) {
	c := New(t)
	c.StartApache(t)
	scripts := packager.Scripts{PostInstall: debPostinst, PostRemove: debPostrm}
	v1 := c.CopyIn(t, smokePackage(t, "debian-12", "1.0.0", "/etc/apache2/conf-available/e2esmoke.conf", "", scripts), "/tmp/e2esmoke_1.deb")
	v2 := c.CopyIn(t, smokePackage(t, "debian-12", "1.1.0", "/etc/apache2/conf-available/e2esmoke.conf", "NoSuchDirective on\n", scripts), "/tmp/e2esmoke_2.deb")

	// Install: the helper enables the snippet, runs the config test and
	// reloads through invoke-rc.d, all with no network.
	m := c.ApacheMark()
	out, status := c.RunNoNet(t, "dpkg", "-i", v1)
	if status != 0 {
		t.Fatalf("dpkg -i: %d\n%s", status, out)
	}
	c.WaitReload(t, m)
	if status, body := c.Get(t, "/e2esmoke"); status != 200 || body != "hello 1.0.0\n" {
		t.Fatalf("GET /e2esmoke after the install: %d %q\ndpkg said:\n%s", status, body, out)
	}

	// Upgrade to a broken snippet: the helper's config test fails, it says
	// so and does not reload, and dpkg still succeeds.
	m = c.ApacheMark()
	broken, brokenStatus := c.RunNoNet(t, "dpkg", "-i", v2)
	if brokenStatus != 0 || !strings.Contains(broken, "Your configuration is broken. Not reloading Apache 2") {
		t.Fatalf("dpkg -i of the broken upgrade: %d\n%s", brokenStatus, broken)
	}
	time.Sleep(time.Second)
	if c.Reloaded(m) || !c.ApacheRunning() {
		t.Fatalf("Apache reloaded (generation %d -> %d) or died (running %v) on a broken configuration",
			m.Generation, c.ApacheGeneration(), c.ApacheRunning())
	}

	// Purge: the helper disables the snippet, the configuration is whole
	// again and the reload goes through.
	out, status = c.RunNoNet(t, "dpkg", "--purge", "e2esmoke")
	if status != 0 {
		t.Fatalf("dpkg --purge: %d\n%s", status, out)
	}
	c.WaitReload(t, m)
	if status, _ := c.Get(t, "/e2esmoke"); status != 404 {
		t.Fatalf("GET /e2esmoke after the purge: %d", status)
	}
	t.Logf("deb: dpkg -i under unshare -n enabled the snippet via apache2_invoke and reloaded (GET 200 %q); "+
		"a broken upgrade: dpkg exit %d, helper said %q, no reload; purge disabled it and reloaded (GET 404)",
		"hello 1.0.0", brokenStatus, "Your configuration is broken. Not reloading Apache 2")
}
