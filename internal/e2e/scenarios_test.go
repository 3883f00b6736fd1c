//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/builder"
	"github.com/wsgipack/wsgipack/internal/spec"
)

// installDeb copies a deb into the root and installs it with dpkg -i with
// the network cut; it returns dpkg's output and exit status.
func installDeb(t *testing.T, c *Chroot, deb string) (string, int) {
	t.Helper()
	in := c.CopyIn(t, deb, "/tmp/"+path.Base(deb))
	return c.RunNoNet(t, "dpkg", "-i", "--force-confold", in)
}

// mustInstallDeb is installDeb that fails the test when dpkg fails.
func mustInstallDeb(t *testing.T, c *Chroot, deb string) string {
	t.Helper()
	m := c.ApacheMark()
	out, code := installDeb(t, c, deb)
	if code != 0 {
		t.Fatalf("dpkg -i %s: exit %d\n%s\n%s", path.Base(deb), code, out, c.ErrorLog())
	}
	waitReloadIfSaid(t, c, m, out)
	return out
}

// mustRPM runs rpm with args (no network) in c, failing the test on a
// non-zero exit, and waits for Apache's reload when the scripts say they
// reloaded it.
func mustRPM(t *testing.T, c *Chroot, args ...string) string {
	t.Helper()
	m := c.ApacheMark()
	out, code := c.RPMNoNet(t, args...)
	if code != 0 {
		version := "(the host's)"
		if c.rpm != nil {
			version = c.rpm.Version
		}
		t.Fatalf("rpm %s %v: exit %d\n%s\n%s", version, args, code, out, c.ErrorLog())
	}
	waitReloadIfSaid(t, c, m, out)
	return out
}

// waitReloadIfSaid waits for Apache's reload when the install scripts'
// output says they reloaded it, and otherwise checks that they did not.
func waitReloadIfSaid(t *testing.T, c *Chroot, m Mark, out string) {
	t.Helper()
	if strings.Contains(out, ": apache: reloaded gracefully") {
		c.WaitReload(t, m)
	} else if c.ApacheGeneration() != m.Generation {
		t.Errorf("Apache was reloaded, but the scripts did not say so:\n%s", out)
	}
}

// answer checks that the app answers GET path with 200 and returns the app's JSON fields.
func answer(t *testing.T, c *Chroot, urlPath string) map[string]string {
	t.Helper()
	code, body := c.Get(t, urlPath)
	if code != 200 {
		t.Fatalf("GET %s: %d\n%s\nerror log:\n%s", urlPath, code, body, c.ErrorLog())
	}
	return fields(t, body)
}

// secretValue returns a generated secret's value from /etc/<app>/secrets.
func secretValue(t *testing.T, c *Chroot, key string) string {
	t.Helper()
	for _, line := range strings.Split(c.ReadFile(t, "/etc/inventory/secrets"), "\n") {
		if v, ok := strings.CutPrefix(line, key+"='"); ok && len(v) == 65 {
			return strings.TrimSuffix(v, "'")
		}
	}
	t.Fatalf("no generated %s in /etc/inventory/secrets", key)
	return ""
}

// expect fails the test for every key whose value is not want.
func expect(t *testing.T, what string, got map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got[k], v)
		}
	}
}

// TestDebLifecycle: a bare Debian 12 with Apache and mod_wsgi gets the
// example app with dpkg -i and no network, a second app beside it, an
// upgrade with a new migration, a downgrade, removal and purge.
func TestDebLifecycle(t *testing.T) {
	c := New(t)
	c.StartApache(t)

	out := mustInstallDeb(t, c, inventory1.pkg(t, "debian-12"))
	mustContain(t, "dpkg -i output", out,
		"inventory: user: created system user and group inventory",
		"inventory: python: venv, /usr/bin/python3.11 and mod_wsgi are all Python 3.11",
		"inventory: apache: enabled conf inventory",
		"inventory: release: /opt/inventory/releases/1.4.2-1 prepared from /opt/inventory/package",
		"inventory: hooks: post_install: python -m inventory.migrate migrations",
		"inventory: applied migration 001_items.sql",
		"inventory: apache: configuration test passed",
		"inventory: release: /opt/inventory/releases/1.4.2-1 serves now; mod_wsgi restarts the daemon processes",
		"inventory: apache: reloaded gracefully",
		"inventory: installed 1.4.2")
	got := answer(t, c, "/inventory/")
	expect(t, "after install", got, map[string]string{
		"prefix": "/opt/inventory/current/venv", "python": "3.11", "native": "10", "user": "inventory",
		"state": "/var/lib/inventory", "greeting": "hello from settings.ini", "items": "[widget]",
		"code_writable": "false", "version": "1.4.2",
	})
	if !strings.HasPrefix(got["native_file"], "/opt/inventory/releases/1.4.2-1/venv/lib/python3.11/site-packages/") {
		t.Errorf("the C extension loaded from %s", got["native_file"])
	}
	if code, body := c.Get(t, "/inventory/static/style.css"); code != 200 {
		t.Errorf("static file: %d %s", code, body)
	}
	if _, code := c.Run(t, "runuser", "-u", "inventory", "--", "touch", "/opt/inventory/current/app/inventory/web.py"); code == 0 {
		t.Error("the app user can write its code")
	}
	if _, code := c.Run(t, "runuser", "-u", "inventory", "--", "touch", "/var/lib/inventory/app/instance/x"); code != 0 {
		t.Error("the app user cannot write to its writable path app/instance")
	}
	for p, want := range map[string]string{
		"/var/lib/inventory": "inventory:inventory 750", "/var/log/inventory": "inventory:inventory 750",
		"/etc/inventory": "root:inventory 750", "/etc/inventory/settings.ini": "root:inventory 640",
		"/etc/inventory/environment": "root:inventory 640", "/opt/inventory/releases/1.4.2-1/app": "root:root 755",
		"/opt/inventory/package/app": "root:root 755", "/opt/inventory/wsgi/inventory.wsgi": "root:root 644",
		"/var/lib/inventory/inventory.db": "inventory:inventory 644", // written by the hook, as the app user
	} {
		if got := strings.TrimSpace(c.MustRun(t, "stat", "-c", "%U:%G %a", p)); got != want {
			t.Errorf("%s: %s, want %s", p, got, want)
		}
	}
	if shell := c.MustRun(t, "getent", "passwd", "inventory"); !strings.HasSuffix(strings.TrimSpace(shell), ":/var/lib/inventory:/usr/sbin/nologin") {
		t.Errorf("app user: %s", shell)
	}
	if same := c.MustRun(t, "stat", "-c", "%i", "/opt/inventory/package/app/inventory/web.py", "/opt/inventory/releases/1.4.2-1/app/inventory/web.py"); len(strings.Fields(same)) != 2 || strings.Fields(same)[0] != strings.Fields(same)[1] {
		t.Errorf("the release is not a hard-linked copy of the package's files: inodes %s", same)
	}
	report(t, "install (no network): app answers as inventory from /opt/inventory/releases/1.4.2-1 (hard links of /opt/inventory/package), C extension, env, config, migration, read-only code")

	// The config model: a generated secret outside the package, this
	// server's settings file created once, the Authorization header.
	secret := secretValue(t, c, "INVENTORY_SECRET_KEY")
	if got["secret_key_length"] != "64" {
		t.Errorf("the app sees a secret of %s characters, want 64", got["secret_key_length"])
	}
	if pkg, err := exec.Command("dpkg-deb", "--fsys-tarfile", inventory1.pkg(t, "debian-12")).Output(); err != nil || bytes.Contains(pkg, []byte(secret)) {
		t.Errorf("the package holds the secret (%v)", err)
	}
	if list, err := exec.Command("dpkg-deb", "--contents", inventory1.pkg(t, "debian-12")).Output(); err != nil || bytes.Contains(list, []byte(" ./etc/inventory/secrets")) || bytes.Contains(list, []byte(" ./etc/inventory/environment")) {
		t.Errorf("the package ships /etc/inventory/secrets or /etc/inventory/environment (%v)", err)
	}
	for p, want := range map[string]string{"/etc/inventory/secrets": "root:inventory 640", "/etc/inventory/environment": "root:inventory 640"} {
		if got := strings.TrimSpace(c.MustRun(t, "stat", "-c", "%U:%G %a", p)); got != want {
			t.Errorf("%s: %s, want %s", p, got, want)
		}
	}
	if _, body := c.GetWith(t, "/inventory/", "Authorization", "Bearer t0ken"); fields(t, body)["authorization"] != "Bearer t0ken" {
		t.Errorf("the Authorization header did not reach the app: %s", body)
	}
	// A user upload, written by the app, served by Apache; no one else reads it.
	if code, body := c.Post(t, "/inventory/upload/photo.txt", "a photo"); code != 201 {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, body := c.Get(t, "/inventory/media/photo.txt"); code != 200 || body != "a photo" {
		t.Errorf("the upload served by Apache: %d %q\n%s", code, body, c.ErrorLog())
	}
	if out, code := c.Run(t, "runuser", "-u", "nobody", "--", "cat", "/var/lib/inventory/media/photo.txt"); code == 0 {
		t.Errorf("another user reads the upload: %s", out)
	}
	if out, code := c.Run(t, "runuser", "-u", "www-data", "--", "ls", "/var/lib/inventory"); code == 0 {
		t.Errorf("Apache's user lists the app's data directory: %s", out)
	}
	report(t, "secret generated at install into /etc/inventory/secrets (root:inventory 0640), not in the package; the app sees it and the Authorization header; an upload the app wrote (media, a writable path) served by Apache, unreadable by other users")
	if out, code := c.Run(t, "dpkg", "--verify", "inventory"); code != 0 || strings.TrimSpace(out) != "" {
		t.Errorf("dpkg --verify after install: exit %d\n%s", code, out)
	}

	// Idempotent: the configure step again changes nothing. On a terminal
	// (script(1)), as when an admin runs apt: the hooks get one of their own.
	again := c.MustRun(t, "script", "-qec", "/var/lib/dpkg/info/inventory.postinst configure 1.4.2-1+deb12", "/dev/null")
	mustContain(t, "postinst run twice", again, "inventory: user: system user inventory exists", "inventory: apache: conf inventory already enabled",
		"inventory: release: /opt/inventory/releases/1.4.2-1 is this package's already",
		"inventory: release: /opt/inventory/releases/1.4.2-1 is current already; daemons not restarted",
		"inventory: apache: configuration unchanged; not reloaded")
	report(t, "postinst configure twice: no change")

	// An admin who empties a secret (KEY='') gets a new one at the next
	// configure: the app cannot run with an empty secret.
	c.WriteFile(t, "/etc/inventory/secrets", "# emptied by the admin\nINVENTORY_SECRET_KEY=''\n", 0o600)
	regen := c.MustRun(t, "/var/lib/dpkg/info/inventory.postinst", "configure", "1.4.2-1+deb12")
	mustContain(t, "postinst after an emptied secret", regen, "inventory: secrets: INVENTORY_SECRET_KEY was empty in /etc/inventory/secrets; generating a new one",
		"inventory: secrets: generated INVENTORY_SECRET_KEY")
	if renewed := secretValue(t, c, "INVENTORY_SECRET_KEY"); renewed == secret {
		t.Error("the emptied secret came back with its old value")
	} else {
		secret = renewed
	}
	if got := c.ReadFile(t, "/etc/inventory/secrets"); !strings.HasPrefix(got, "# emptied by the admin\n") || strings.Count(got, "INVENTORY_SECRET_KEY=") != 1 {
		t.Errorf("secrets after regeneration:\n%s", got)
	}
	if got := strings.TrimSpace(c.MustRun(t, "stat", "-c", "%U:%G %a", "/etc/inventory/secrets")); got != "root:inventory 640" {
		t.Errorf("/etc/inventory/secrets: %s, want root:inventory 640", got)
	}
	report(t, "an emptied secret (KEY='') generated again by postinst configure, the file's other lines kept")

	// A second app beside the first.
	mustInstallDeb(t, c, stock.pkg(t, "debian-12"))
	expect(t, "second app", answer(t, c, "/stock/"), map[string]string{"user": "stock", "prefix": "/opt/stock/current/venv", "state": "/var/lib/stock"})
	if code, _ := c.Get(t, "/stock/private/x"); code != 403 {
		t.Errorf("apache.directives: /stock/private answers %d, want 403", code)
	}
	if code, _ := c.Get(t, "/stock/reports/x"); code != 401 {
		t.Errorf("apache.directives: /stock/reports (Basic auth) answers %d without credentials, want 401", code)
	}
	expect(t, "first app with the second installed", answer(t, c, "/inventory/"), map[string]string{"user": "inventory"})
	report(t, "second app installed beside the first: both answer")

	// Data through the app, an admin's edit of a config file, then upgrade.
	if code, body := c.Post(t, "/inventory/items", "sprocket"); code != 201 {
		t.Fatalf("POST /inventory/items: %d %s", code, body)
	}
	c.WriteFile(t, "/etc/inventory/settings.ini", "[app]\ngreeting = edited by the admin\n", 0o640)
	c.WriteFile(t, "/etc/inventory/environment", c.ReadFile(t, "/etc/inventory/environment")+"INVENTORY_MODE='server (a)'\n", 0o640)
	// No --force-conf*, stdin at EOF: a conffile prompt would fail dpkg.
	m0 := c.ApacheMark()
	out, code := c.RunNoNet(t, "dpkg", "-i", c.CopyIn(t, inventory2.pkg(t, "debian-12"), "/tmp/inventory2.deb"))
	if code != 0 {
		t.Fatalf("dpkg -i of the upgrade without --force-conf*: exit %d\n%s", code, out)
	}
	waitReloadIfSaid(t, c, m0, out)
	mustContain(t, "upgrade output", out, "inventory: applied migration 002_gadget.sql",
		"inventory: release: /opt/inventory/releases/1.5.0-1 serves now (previous: /opt/inventory/releases/1.4.2-1)",
		"inventory: apache: configuration unchanged; not reloaded", "inventory: installed 1.5.0")
	expect(t, "after upgrade", answer(t, c, "/inventory/"), map[string]string{
		"version": "1.5.0", "items": "[gadget sprocket widget]", "greeting": "edited by the admin",
		"mode": "server (a)", "color": "blue",
	})
	if after := secretValue(t, c, "INVENTORY_SECRET_KEY"); after != secret {
		t.Error("the upgrade changed the secret")
	}
	if !c.Exists("/etc/apache2/conf-enabled/inventory.conf") {
		t.Error("the upgrade disabled the config")
	}
	if out, _ := c.Run(t, "dpkg", "--verify", "inventory"); strings.TrimSpace(out) != "??5?????? c /etc/inventory/settings.ini" {
		t.Errorf("dpkg --verify after upgrade should name the admin's edit only:\n%s", out)
	}
	report(t, "upgrade 1.4.2 -> 1.5.0 (dpkg -i, no --force-conf, stdin at EOF): new code and migration, no Apache reload, no prompt; data, config edit, server setting and secret kept, new default variable present")

	// The operator's command: status, a command as the app user, rollback.
	status := c.MustRun(t, "inventory-ctl", "status")
	mustContain(t, "inventory-ctl status", status, "current:  /opt/inventory/releases/1.5.0-1", "previous: /opt/inventory/releases/1.4.2-1")
	if got := c.MustRun(t, "inventory-ctl", "run", "sh", "-c", `echo "$(id -un) $(pwd) $INVENTORY_STATE"`); strings.TrimSpace(got) != "inventory /opt/inventory/releases/1.5.0-1 /var/lib/inventory" {
		t.Errorf("inventory-ctl run: %q", got)
	}
	if out, code := c.Run(t, "runuser", "-u", "inventory", "--", "/usr/sbin/inventory-ctl", "status"); code == 0 || !strings.Contains(out, "must run as root") {
		t.Errorf("inventory-ctl as the app user: exit %d\n%s", code, out)
	}
	// The app user's command never gets root's terminal: keystrokes it
	// pushes into its terminal (TIOCSTI) must not reach root's shell, which
	// reads its terminal next (script(1) keeps it open for 3 s).
	c.WriteFile(t, "/tmp/push.py", `import fcntl, os, termios
try:
    fd = os.open("/dev/tty", os.O_RDWR)
except OSError as e:
    raise SystemExit("no terminal: %s" % e.strerror)
for c in b"echo PWNED\n":
    fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
print("pushed")
`, 0o644)
	for _, run := range []string{"inventory-ctl run python /tmp/push.py", "inventory-ctl run python /tmp/push.py </dev/null >/tmp/push.out 2>&1"} {
		out := c.MustRun(t, "sh", "-c", `sleep 3 | script -qc 'sh -c "`+run+`"; if IFS= read -r line; then echo "root read: $line"; else echo "root read nothing"; fi' /dev/null`)
		if !strings.Contains(out, "root read nothing") {
			t.Errorf("%s: the app user's keystrokes reached root's terminal:\n%s", run, out)
		}
	}
	m := c.ApacheMark()
	c.MustRun(t, "inventory-ctl", "rollback")
	expect(t, "after inventory-ctl rollback", answer(t, c, "/inventory/"), map[string]string{"version": "1.4.2", "items": "[gadget sprocket widget]"})
	c.MustRun(t, "inventory-ctl", "rollback")
	expect(t, "after a second rollback", answer(t, c, "/inventory/"), map[string]string{"version": "1.5.0"})
	if c.ApacheGeneration() != m.Generation {
		t.Error("inventory-ctl rollback reloaded Apache")
	}
	report(t, "inventory-ctl: status, run as the app user with its environment, rollback and forth without an Apache reload; refused to non-root; the app user's keystrokes (TIOCSTI) never reach root's terminal")

	// Rollback: install the older version.
	mustInstallDeb(t, c, inventory1.pkg(t, "debian-12"))
	expect(t, "after downgrade", answer(t, c, "/inventory/"), map[string]string{
		"version": "1.4.2", "items": "[gadget sprocket widget]", "greeting": "edited by the admin",
	})
	report(t, "downgrade 1.5.0 -> 1.4.2: old code answers, data kept")

	// An admin's a2disconf survives an upgrade.
	c.MustRun(t, "a2disconf", "-q", "stock")
	out = mustInstallDeb(t, c, stock.pkg(t, "debian-12"))
	mustContain(t, "reinstall of a disabled app", out, "stock: apache: conf stock was disabled by the admin (a2disconf); left disabled")
	if code, _ := c.Get(t, "/stock/"); code != 404 {
		t.Errorf("stock answers %d after the admin disabled it and it was reinstalled", code)
	}
	c.MustRun(t, "a2enconf", "-q", "stock")
	c.Graceful(t)
	report(t, "admin's a2disconf kept across a reinstall")

	// Remove: the site goes, the other app stays, data stays.
	m = c.ApacheMark()
	out = c.MustRun(t, "dpkg", "-r", "inventory")
	mustContain(t, "dpkg -r", out, "inventory: apache: disabled conf inventory", "inventory: apache: reloaded gracefully")
	c.WaitReload(t, m)
	if code, _ := c.Get(t, "/inventory/"); code != 404 {
		t.Errorf("after dpkg -r, /inventory/ answers %d", code)
	}
	expect(t, "other app after removal", answer(t, c, "/stock/"), map[string]string{"user": "stock"})
	for _, p := range []string{"/var/lib/inventory/inventory.db", "/etc/inventory/settings.ini"} {
		if !c.Exists(p) {
			t.Errorf("dpkg -r removed %s", p)
		}
	}
	if c.Exists("/opt/inventory") {
		t.Errorf("dpkg -r left /opt/inventory:\n%s", c.MustRun(t, "find", "/opt/inventory"))
	}
	report(t, "dpkg -r: app gone, other app answers, data and config kept")

	// Purge: data, logs and config go.
	out = c.MustRun(t, "dpkg", "-P", "inventory")
	mustContain(t, "dpkg -P", out, "inventory: purged /var/lib/inventory, /var/log/inventory and /etc/inventory")
	for _, p := range []string{"/var/lib/inventory", "/var/log/inventory", "/etc/inventory", "/etc/apache2/conf-available/inventory.conf"} {
		if c.Exists(p) {
			t.Errorf("dpkg -P left %s", p)
		}
	}
	expect(t, "other app after purge", answer(t, c, "/stock/"), map[string]string{"user": "stock"})
	report(t, "dpkg -P: data, logs and config gone, other app answers")
}

// refusedInstall installs the deb of app name on a server where stock
// answers, expects the install to fail without enabling the app or
// reloading Apache while stock keeps answering, and returns dpkg's output.
func refusedInstall(t *testing.T, c *Chroot, name, deb string) string {
	t.Helper()
	mustInstallDeb(t, c, stock.pkg(t, "debian-12"))
	m := c.ApacheMark()
	out, code := installDeb(t, c, deb)
	if code == 0 {
		t.Fatalf("the install of %s succeeded:\n%s", name, out)
	}
	if c.Exists("/etc/apache2/conf-enabled/" + name + ".conf") {
		t.Errorf("%s is enabled after its install failed", name)
	}
	if c.ApacheGeneration() != m.Generation {
		t.Error("Apache was reloaded")
	}
	expect(t, "other app", answer(t, c, "/stock/"), map[string]string{"user": "stock"})
	return out
}

// TestBrokenApacheConfig: an app whose config Apache rejects fails to
// install with Apache's message; the running app keeps answering.
func TestBrokenApacheConfig(t *testing.T) {
	c := New(t)
	c.StartApache(t)
	out := refusedInstall(t, c, "badconf", badConfDeb(t))
	mustContain(t, "dpkg -i output", out, "WSGIThisIsNotADirective", "badconf: apache: disabled conf badconf",
		"badconf: error: Apache rejects badconf's configuration")
	c.MustRun(t, "apache2ctl", "configtest")
	report(t, "config Apache rejects: install fails with Apache's message, disabled again, other app answers")
}

// TestFailingHook: a failing post_install hook fails the install with the
// hook's output, and Apache is not reloaded.
func TestFailingHook(t *testing.T) {
	c := New(t)
	c.StartApache(t)
	out := refusedInstall(t, c, "failhook", failhook.pkg(t, "debian-12"))
	mustContain(t, "dpkg -i output", out, "migration exploded, no such table",
		"failhook: error: a deploy hook failed (its output is above); Apache not reloaded")
	report(t, "failing hook: install fails with its output, Apache not reloaded")
	// The operator's command says why it cannot run anything yet.
	if out, code := c.Run(t, "failhook-ctl", "run", "python", "-V"); code == 0 || !strings.Contains(out, "failhook: error: failhook has no current release") {
		t.Errorf("failhook-ctl run with no current release: exit %d\n%s", code, out)
	}

	// An app that cannot be imported says so in Apache's error log, by name.
	// (The shipped bytecode is unchecked-hash: it is used whatever the source
	// says, so it goes too.)
	c.MustRun(t, "rm", "/opt/stock/current/app/inventory/web.py")
	c.WriteFile(t, "/opt/stock/current/app/inventory/web.py", "import no_such_module\n", 0o644)
	c.MustRun(t, "rm", "-r", "/opt/stock/current/app/inventory/__pycache__")
	c.MustRun(t, "stock-ctl", "restart") // daemon mode: restarts the app
	if code, _ := c.Get(t, "/stock/"); code != 500 {
		t.Errorf("an app that cannot be imported answers %d", code)
	}
	mustContain(t, "Apache's error log", c.ErrorLog(),
		"wsgipack: stock: cannot load the WSGI application inventory.web:create_app() from /opt/stock/releases/2.0.0-1",
		"No module named 'no_such_module'")
	report(t, "import error: logged in Apache's error log with the app's name")
}

// TestInstallTimeBytecode: a package without bytecode gets it compiled at
// install, and removal leaves nothing behind.
func TestInstallTimeBytecode(t *testing.T) {
	c := New(t)
	c.StartApache(t)
	deb := lean.pkg(t, "debian-12")
	if list, _ := exec.Command("dpkg-deb", "--contents", deb).Output(); strings.Contains(string(list), ".pyc") {
		t.Fatal("the package ships bytecode")
	}
	out := mustInstallDeb(t, c, deb)
	mustContain(t, "dpkg -i output", out, "lean: bytecode: compiled /opt/lean/releases/1.0.0-1 with /usr/bin/python3.11")
	for _, p := range []string{"/opt/lean/current/app/inventory/__pycache__/web.cpython-311.pyc",
		"/opt/lean/current/venv/lib/python3.11/site-packages/invutil/__pycache__/__init__.cpython-311.pyc"} {
		if !c.Exists(p) {
			t.Errorf("no bytecode compiled at install: %s", p)
		}
	}
	expect(t, "app", answer(t, c, "/lean/"), map[string]string{"user": "lean", "native": "10"})
	out = c.MustRun(t, "dpkg", "-r", "lean")
	mustContain(t, "dpkg -r output", out, "lean: release: removed /opt/lean/releases, the links and /opt/lean/wsgi/lean.wsgi")
	if c.Exists("/opt/lean") {
		t.Errorf("dpkg -r left /opt/lean:\n%s", c.MustRun(t, "find", "/opt/lean"))
	}
	report(t, "bytecode compiled at install for a package without it; dpkg -r leaves no /opt/lean")
}

// TestApacheNotRunning: an install on a server whose Apache is stopped
// configures everything and does not start Apache.
func TestApacheNotRunning(t *testing.T) {
	c := New(t)
	out := mustInstallDeb(t, c, stock.pkg(t, "debian-12"))
	mustContain(t, "dpkg -i output", out, "stock: apache: configuration test passed", "stock: apache: not running; not reloaded")
	if c.ApacheRunning() {
		t.Error("the install started Apache")
	}
	c.StartApache(t)
	expect(t, "after Apache starts", answer(t, c, "/stock/"), map[string]string{"user": "stock"})
	report(t, "Apache stopped: install configures, does not start it; the app answers once it starts")
}

// TestWrongPython: a venv of Python 3.12 for debian-12 (mod_wsgi for 3.11):
// build refuses it, and a package forced past that refuses to install.
func TestWrongPython(t *testing.T) {
	specFile := wrongpy.project(t)
	_, err := builder.Build(context.Background(), buildOptions(t, specFile, t.TempDir(), "", "debian-12"))
	if err == nil || !strings.Contains(err.Error(), "debian-12 offers mod_wsgi only for Python 3.11, but the venv is Python 3.12") {
		t.Fatalf("build of a 3.12 venv for debian-12: %v", err)
	}
	var problems spec.Problems
	if errors.As(err, &problems) {
		t.Errorf("a venv for the wrong Python is a spec problem (exit 2), want a failed check (exit 1)")
	}
	report(t, "build refuses a Python 3.12 venv for debian-12")

	c := New(t)
	c.StartApache(t)
	out, code := installDeb(t, c, wrongpy.pkg(t, "debian-12"))
	if code == 0 {
		t.Fatalf("a 3.12 venv installed on mod_wsgi for 3.11:\n%s", out)
	}
	mustContain(t, "dpkg -i output", out,
		"wrongpy: error: mod_wsgi (/usr/lib/apache2/modules/mod_wsgi.so) is built for Python 3.11, but wrongpy's venv is Python 3.12")
	if c.Exists("/opt/wrongpy") {
		t.Error("the refused package was unpacked")
	}
	report(t, "a package forced past the check refuses to install: mod_wsgi 3.11 vs venv 3.12")
}

// TestRPMLifecycle: the el9 rpm in the same root dressed up as EL9, with the
// host's rpm: install, upgrade ($1 = 2), rollback and erase.
func TestRPMLifecycle(t *testing.T) {
	c := NewEL(t)
	c.StartApache(t)
	rpmIn := func(a app) string { // rpm reads the package from the host
		t.Helper()
		return a.pkg(t, "el9")
	}

	out := mustRPM(t, c, "-i", rpmIn(inventory1))
	mustContain(t, "rpm -i output", out, "inventory: user: created system user and group inventory",
		"inventory: apache: /etc/httpd/conf.d/inventory.conf in place", "inventory: applied migration 001_items.sql",
		"inventory: apache: configuration test passed", "inventory: apache: reloaded gracefully")
	expect(t, "after rpm -i", answer(t, c, "/inventory/"), map[string]string{
		"prefix": "/opt/inventory/current/venv", "native": "10", "user": "inventory", "items": "[widget]",
		"greeting": "hello from settings.ini", "code_writable": "false",
	})
	report(t, "rpm -i (no network): app answers")
	verify := func() string { // rpm -V: what differs from the package's record
		out, _ := c.RPM(t, "-V", "inventory")
		return strings.TrimSpace(out)
	}
	if v := verify(); v != "" {
		t.Errorf("rpm -V after rpm -i:\n%s", v)
	}
	report(t, "rpm -V after rpm -i: nothing differs (/etc/inventory root:inventory 0750, config files 0640 as the header says)")

	if code, body := c.Post(t, "/inventory/items", "sprocket"); code != 201 {
		t.Fatalf("POST: %d %s", code, body)
	}
	c.WriteFile(t, "/etc/inventory/settings.ini", "[app]\ngreeting = edited by the admin\n", 0o640)
	secret := secretValue(t, c, "INVENTORY_SECRET_KEY")
	c.WriteFile(t, "/etc/inventory/environment", c.ReadFile(t, "/etc/inventory/environment")+"INVENTORY_MODE='server (b)'\n", 0o640)
	out = mustRPM(t, c, "-U", rpmIn(inventory2))
	mustContain(t, "rpm -U output", out, "inventory: applied migration 002_gadget.sql", "inventory: installed 1.5.0",
		"inventory: apache: configuration unchanged; not reloaded")
	if strings.Contains(out, "inventory: removed") {
		t.Errorf("the upgrade ran the erase steps:\n%s", out)
	}
	expect(t, "after rpm -U", answer(t, c, "/inventory/"), map[string]string{
		"version": "1.5.0", "items": "[gadget sprocket widget]", "greeting": "edited by the admin",
		"mode": "server (b)", "color": "blue", "secret_key_length": "64",
	})
	if secretValue(t, c, "INVENTORY_SECRET_KEY") != secret {
		t.Error("rpm -U changed the secret")
	}
	report(t, "rpm -U ($1 = 2): app stays enabled, new migration, data, config edit, server setting and secret kept, new default variable present")
	if v := verify(); !strings.HasSuffix(v, " c /etc/inventory/settings.ini") || strings.Contains(v, "\n") {
		t.Errorf("rpm -V after rpm -U should name the admin's edit only:\n%s", v)
	}

	mustRPM(t, c, "-U", "--oldpackage", rpmIn(inventory1))
	expect(t, "after rollback", answer(t, c, "/inventory/"), map[string]string{"version": "1.4.2", "items": "[gadget sprocket widget]"})
	report(t, "rpm -U --oldpackage: rollback to 1.4.2 answers, data kept")

	out = mustRPM(t, c, "-e", "inventory")
	mustContain(t, "rpm -e output", out, "inventory: apache: reloaded gracefully", "inventory: removed; data in /var/lib/inventory and /var/log/inventory kept")
	if code, _ := c.Get(t, "/inventory/"); code != 404 {
		t.Errorf("after rpm -e, /inventory/ answers %d", code)
	}
	if !c.Exists("/var/lib/inventory/inventory.db") {
		t.Error("rpm -e removed the data")
	}
	if c.Exists("/usr/share/doc/inventory") || c.Exists("/opt/inventory") {
		t.Error("rpm -e left /usr/share/doc/inventory or /opt/inventory")
	}
	report(t, "rpm -e ($1 = 0): app gone, data kept, no file of the package left")
}
