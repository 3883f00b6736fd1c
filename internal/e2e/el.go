//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

// elPIDFile is the pid file of EL's httpd (Debian's: /run/apache2/apache2.pid).
const elPIDFile = "/run/httpd/httpd.pid"

// NewEL returns a fresh root dressed up as EL9 (see ApplyEL).
func NewEL(t *testing.T) *Chroot {
	t.Helper()
	c := New(t)
	c.ApplyEL(t)
	return c
}

// ApplyEL makes the Debian root stand in for EL9's httpd, for the rpm's
// install scripts:
//
//   - /etc/httpd/conf.d/*.conf and /etc/httpd/conf.modules.d/*.conf are
//     included by Apache's configuration;
//   - /usr/sbin/httpd runs apache2ctl (httpd -t, httpd -v, httpd -k graceful),
//     apachectl is Debian's own;
//   - /usr/lib64/httpd/modules/mod_wsgi_python3.so is Debian's mod_wsgi,
//     loaded by /etc/httpd/conf.modules.d/10-wsgi-python3.conf as on EL
//     (Debian's wsgi module is disabled); the server root has EL's modules,
//     run and logs links, so that "modules/mod_wsgi_python3.so" and
//     "WSGISocketPrefix run/wsgi" work;
//   - Apache runs as the system user and group apache (uid and gid 48, as on
//     EL) and writes its pid to /run/httpd/httpd.pid;
//   - an empty rpm database in /var/lib/rpm, made by the host's rpm.
//
// Call it before StartApache. Not imitated: SELinux, systemd, dnf, EL's
// file locations other than these.
func (c *Chroot) ApplyEL(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("rpm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("rpm is missing: the test command must install it (make e2e-deps)")
		}
		t.Skip("rpm is missing (make e2e-deps)")
	}
	for _, d := range []string{"/etc/httpd/conf.d", "/etc/httpd/conf.modules.d", "/usr/lib64/httpd/modules"} {
		if err := os.MkdirAll(c.Path(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := c.ReadFile(t, "/etc/apache2/apache2.conf")
	conf += "\n# wsgipack e2e harness: EL9's httpd layout.\n" +
		"IncludeOptional /etc/httpd/conf.modules.d/*.conf\nIncludeOptional /etc/httpd/conf.d/*.conf\n"
	c.WriteFile(t, "/etc/apache2/apache2.conf", conf, 0o644)
	c.WriteFile(t, "/usr/sbin/httpd",
		"#!/bin/sh\n# EL9's httpd, played by Debian's apache2 (wsgipack e2e harness).\nexec /usr/sbin/apache2ctl \"$@\"\n", 0o755)
	links := [][2]string{
		{"/usr/lib64/httpd/modules/mod_wsgi_python3.so", "/usr/lib/apache2/modules/mod_wsgi.so"},
		{"/etc/httpd/modules", "/usr/lib64/httpd/modules"},
		{"/etc/httpd/run", "/run/httpd"},
		{"/etc/httpd/logs", "/var/log/httpd"},
		{"/etc/apache2/modules", "/usr/lib64/httpd/modules"},
		{"/etc/apache2/run", "/run/httpd"},
		{"/etc/apache2/logs", "/var/log/httpd"},
		{"/var/log/httpd", "apache2"},
	}
	for _, l := range links {
		if err := os.Symlink(l[1], c.Path(l[0])); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(c.Path("/usr/lib/apache2/modules/mod_wsgi.so")); err != nil {
		t.Fatalf("the root has no mod_wsgi: %v", err)
	}
	// mod_wsgi is loaded as EL's python3.11-mod_wsgi package loads it, not
	// by Debian's mods-enabled/wsgi.load.
	c.MustRun(t, "a2dismod", "-q", "-f", "wsgi")
	c.WriteFile(t, "/etc/httpd/conf.modules.d/10-wsgi-python3.conf",
		"# As EL9's python3.11-mod_wsgi has it (wsgipack e2e harness).\nLoadModule wsgi_module modules/mod_wsgi_python3.so\n", 0o644)
	c.MustRun(t, "groupadd", "--system", "--gid", "48", "apache")
	c.MustRun(t, "useradd", "--system", "--uid", "48", "--gid", "apache", "--home-dir", "/usr/share/httpd",
		"--no-create-home", "--shell", "/sbin/nologin", "--comment", "Apache", "apache")
	envvars := c.ReadFile(t, "/etc/apache2/envvars")
	for _, r := range [][2]string{
		{"APACHE_RUN_USER=www-data", "APACHE_RUN_USER=apache"},
		{"APACHE_RUN_GROUP=www-data", "APACHE_RUN_GROUP=apache"},
		{"APACHE_PID_FILE=/var/run/apache2$SUFFIX/apache2.pid", "APACHE_PID_FILE=" + elPIDFile},
	} {
		if !strings.Contains(envvars, r[0]) {
			t.Fatalf("/etc/apache2/envvars has no %s", r[0])
		}
		envvars = strings.Replace(envvars, r[0], r[1], 1)
	}
	c.WriteFile(t, "/etc/apache2/envvars", envvars, 0o644)
	// /run/httpd, as EL's systemd-tmpfiles makes it.
	if err := os.Mkdir(c.Path("/run/httpd"), 0o710); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(c.Path("/run/httpd"), 0, 48); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("rpm", "--root", c.Dir, "--dbpath", "/var/lib/rpm", "--initdb").CombinedOutput(); err != nil {
		t.Fatalf("rpm --initdb: %v\n%s", err, out)
	}
	c.el = true
}

// pidFile is where Apache writes its pid.
func (c *Chroot) pidFile() string {
	if c.el {
		return elPIDFile
	}
	return "/run/apache2/apache2.pid"
}

// UseRPM makes RPM and RPMNoNet run b's rpm (built from source, see
// BuiltRPM) instead of the host's, on a database made anew by b's rpm
// --initdb: each rpm release writes its own database format. Call it after
// ApplyEL and before the first install.
func (c *Chroot) UseRPM(t testing.TB, b *RPMBuild) {
	t.Helper()
	if !c.el {
		t.Fatal("UseRPM before ApplyEL")
	}
	if err := os.RemoveAll(c.Path("/var/lib/rpm")); err != nil {
		t.Fatal(err)
	}
	c.rpm = b
	if out, code := c.RPM(t, "--initdb"); code != 0 {
		t.Fatalf("rpm %s --initdb: exit %d\n%s", b.Version, code, out)
	}
}

// rpmArgs returns the rpm command line for args on the root: rpm --root
// DIR --dbpath /var/lib/rpm [--nodeps] args, with the host's rpm or the one
// UseRPM chose. --nodeps is added for the modes that take it (install,
// upgrade, freshen, erase, verify), since the root's dependencies are
// Debian packages rpm does not know.
func (c *Chroot) rpmArgs(args []string) []string {
	bin := "rpm"
	if c.rpm != nil {
		bin = c.rpm.Bin("rpm")
	}
	argv := []string{bin, "--root", c.Dir, "--dbpath", "/var/lib/rpm"}
	if slices.ContainsFunc(args, installMode) {
		argv = append(argv, "--nodeps")
		if c.rpm == nil && forceDebian() {
			argv = append(argv, "--force-debian")
		}
	}
	return append(argv, args...)
}

// installMode tells whether an rpm argument selects a mode that takes
// --nodeps.
func installMode(a string) bool {
	switch a {
	case "--install", "--upgrade", "--freshen", "--erase", "--verify", "--reinstall":
		return true
	}
	return len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune("iUFeV", rune(a[1]))
}

var forceDebian = sync.OnceValue(func() bool {
	out, _ := exec.Command("rpm", "--help").CombinedOutput()
	return strings.Contains(string(out), "--force-debian")
})

// RPM runs the host's rpm (or UseRPM's) on the root (rpm --root DIR --dbpath /var/lib/rpm,
// and --nodeps to install or erase; on a Debian host --force-debian, which
// only silences its "use Alien instead" warning) and returns its combined
// output and exit status. Package files are named by their HOST path (rpm
// reads them before it enters the root). rpm chroots into the root to run
// the package's scriptlets, with rpm's own arguments ($1).
func (c *Chroot) RPM(t testing.TB, args ...string) (string, int) {
	t.Helper()
	return c.run(t, c.rpmArgs(args))
}

// RPMNoNet is RPM with the network cut, as RunNoNet.
func (c *Chroot) RPMNoNet(t testing.TB, args ...string) (string, int) {
	t.Helper()
	return c.run(t, append([]string{"unshare", "-n", "--"}, c.rpmArgs(args)...))
}
