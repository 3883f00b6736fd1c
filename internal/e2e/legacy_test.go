//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wsgipack/wsgipack/internal/builder"
)

// The legacy-upgrade scenarios: envdemo 1.0.0 as the wsgipack of before
// the config model packaged it (testdata/legacy: /etc/envdemo/environment
// shipped as a KEY=value conffile / %config(noreplace)), upgraded to
// envdemo 2.0.0 built by the current code from the same spec with
// ENVDEMO_COLOR's default changed (red -> blue) and a new default
// ENVDEMO_NEW. No --force-conf*, stdin at EOF.

const (
	legacyDeb = "envdemo_1.0.0-1+deb12_all.deb"
	legacyRPM = "envdemo-1.0.0-1.el9.noarch.rpm"
	envFile   = "/etc/envdemo/environment"
	envBackup = "/etc/envdemo/environment.wsgipack-legacy"
)

// adminEdit is the admin's edit of the legacy file: a changed value with
// quotes inside, and a new variable with characters sh would choke on.
// The older entry script read them as adminValues say.
const adminEdit = "ENVDEMO_GREETING=\"bonjour\" \"tout le monde\"\nENVDEMO_SECRET=p@ss(w0rd)$HOME`id` 'x'; \\n\n"

var adminValues = map[string]string{
	"ENVDEMO_GREETING": `bonjour" "tout le monde`,
	"ENVDEMO_SECRET":   `p@ss(w0rd)$HOME` + "`id`" + ` 'x'; \n`,
}

var (
	envdemoOnce sync.Once
	envdemoPkgs map[string]string
	envdemoErr  error
)

// envdemo2 returns envdemo 2.0.0 for target (debian-12 or el9), built once
// per run by the current code from testdata/legacy/envdemo with the new
// defaults.
func envdemo2(t *testing.T, target string) string {
	t.Helper()
	envdemoOnce.Do(func() {
		dir := filepath.Join(workDir(t), "project-envdemo-2.0.0")
		if out, err := exec.Command("cp", "-R", filepath.Join(repo, "testdata", "legacy", "envdemo"), dir).CombinedOutput(); err != nil {
			envdemoErr = err
			t.Logf("%s", out)
			return
		}
		specFile := filepath.Join(dir, "wsgipack.yaml")
		data, err := os.ReadFile(specFile)
		if err != nil {
			envdemoErr = err
			return
		}
		s := strings.Replace(string(data), "  ENVDEMO_COLOR: red\n", "  ENVDEMO_COLOR: blue\n  ENVDEMO_NEW: new default\n", 1)
		if s == string(data) {
			t.Fatal("the envdemo spec has no ENVDEMO_COLOR: red")
		}
		if err := os.WriteFile(specFile, []byte(s), 0o644); err != nil {
			envdemoErr = err
			return
		}
		if out, err := exec.Command("python3", "-m", "venv", "--without-pip", filepath.Join(dir, "venv")).CombinedOutput(); err != nil {
			envdemoErr = err
			t.Logf("%s", out)
			return
		}
		res, err := builder.Build(context.Background(), buildOptions(t, specFile, filepath.Join(workDir(t), "dist-envdemo-2.0.0"), "2.0.0", "debian-12", "el9"))
		if err != nil {
			envdemoErr = err
			return
		}
		envdemoPkgs = map[string]string{}
		for _, p := range res.Packages {
			envdemoPkgs[p.Target.Name] = p.File
		}
	})
	if envdemoErr != nil {
		t.Fatalf("building envdemo 2.0.0: %v", envdemoErr)
	}
	return envdemoPkgs[target]
}

// legacyFixture returns a package of testdata/legacy.
func legacyFixture(name string) string { return filepath.Join(repo, "testdata", "legacy", name) }

// envdemoAnswer is envdemo's answer: its ENVDEMO_* variables.
func envdemoAnswer(t *testing.T, c *Chroot) map[string]string {
	t.Helper()
	return answer(t, c, "/envdemo/")
}

// ctlEnv is what a hook or envdemo-ctl run sees of the variables.
func ctlEnv(t *testing.T, c *Chroot, keys ...string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, k := range keys {
		out := c.MustRun(t, "envdemo-ctl", "run", "sh", "-c", `printf '%s' "${`+k+`-unset}"`)
		got[k] = out
	}
	return got
}

// editLegacy makes the admin's edit (the file keeps its owner and mode),
// restarts the old daemons and checks that the older app sees it.
func editLegacy(t *testing.T, c *Chroot) string {
	t.Helper()
	text := strings.Replace(c.ReadFile(t, envFile), "ENVDEMO_GREETING=hello world\n", "", 1) + adminEdit
	c.WriteFile(t, envFile, text, 0o640)
	c.Graceful(t)
	expect(t, "the older app after the admin's edit", envdemoAnswer(t, c), adminValues)
	return text
}

func mustHaveMode(t *testing.T, c *Chroot, p, want string) {
	t.Helper()
	if got := strings.TrimSpace(c.MustRun(t, "stat", "-c", "%U:%G %a", p)); got != want {
		t.Errorf("%s: %s, want %s", p, got, want)
	}
}

// noPrompt checks the package manager's output for a conffile question.
func noPrompt(t *testing.T, out string) {
	t.Helper()
	for _, w := range []string{"Configuration file", "*** environment", ".dpkg-dist", ".dpkg-old", ".rpmsave", ".rpmnew"} {
		if strings.Contains(out, w) {
			t.Errorf("the upgrade mentions %q:\n%s", w, out)
		}
	}
}

// TestLegacyDeb: dpkg -i of envdemo 2.0.0 over the legacy 1.0.0.
func TestLegacyDeb(t *testing.T) {
	for _, edited := range []bool{true, false} {
		name := map[bool]string{true: "edited", false: "unedited"}[edited]
		t.Run(name, func(t *testing.T) {
			c := New(t)
			c.StartApache(t)
			old := legacyFixture(legacyDeb)
			out, code := c.RunNoNet(t, "dpkg", "-i", c.CopyIn(t, old, "/tmp/"+path.Base(old)))
			if code != 0 {
				t.Fatalf("dpkg -i %s: exit %d\n%s", legacyDeb, code, out)
			}
			expect(t, "legacy 1.0.0", envdemoAnswer(t, c), map[string]string{"ENVDEMO_COLOR": "red", "ENVDEMO_GREETING": "hello world"})
			conffiles := c.MustRun(t, "dpkg-query", "-W", "-f=${Conffiles}\n", "envdemo")
			mustContain(t, "1.0.0's conffiles", conffiles, " /etc/envdemo/environment ")
			text := c.ReadFile(t, envFile)
			if edited {
				text = editLegacy(t, c)
			}
			report(t, "legacy 1.0.0 installed (dpkg -i): %s is its KEY=value conffile%s", envFile, map[bool]string{true: "; the admin edited it (a value with quotes, a new variable with ( $ ` ' ; \\)", false: ""}[edited])

			m := c.ApacheMark()
			out, code = c.RunNoNet(t, "dpkg", "-i", c.CopyIn(t, envdemo2(t, "debian-12"), "/tmp/envdemo2.deb"))
			if code != 0 {
				t.Fatalf("dpkg -i 2.0.0 without --force-conf*, stdin at EOF: exit %d\n%s\n%s", code, out, c.ErrorLog())
			}
			waitReloadIfSaid(t, c, m, out)
			noPrompt(t, out)
			t.Logf("dpkg -i 2.0.0:\n%s", out)
			want := map[string]string{"ENVDEMO_NEW": "new default", "ENVDEMO_STATE": "/var/lib/envdemo"}
			if edited {
				mustContain(t, "upgrade output", out,
					"envdemo: config: /etc/envdemo/environment was the older package's KEY=value file, edited: rewritten as POSIX sh, values unchanged (the old file: /etc/envdemo/environment.wsgipack-legacy)",
					"envdemo: config: kept: ENVDEMO_COLOR, ENVDEMO_GREETING, ENVDEMO_SECRET\n",
					"envdemo: config: commented out, as this release's defaults: ENVDEMO_STATE\n")
				for k, v := range adminValues {
					want[k] = v
				}
				want["ENVDEMO_COLOR"] = "red" // kept: dpkg cannot tell an old default from an admin's value
			} else {
				mustContain(t, "upgrade output", out,
					"envdemo: config: /etc/envdemo/environment was the older package's KEY=value file, unedited: replaced by an empty settings file, so this release's defaults apply (the old file: /etc/envdemo/environment.wsgipack-legacy)")
				want["ENVDEMO_COLOR"] = "blue"
				want["ENVDEMO_GREETING"] = "hello world"
			}
			mustContain(t, "upgrade output", out, "envdemo: installed 2.0.0")
			if strings.Index(out, "envdemo: config: ") > strings.Index(out, "envdemo: release: /opt/envdemo/releases/2.0.0-1 serves now") {
				t.Errorf("the file was migrated after the switch:\n%s", out)
			}
			expect(t, "the app after the upgrade", envdemoAnswer(t, c), want)
			expect(t, "envdemo-ctl run after the upgrade", ctlEnv(t, c, "ENVDEMO_GREETING", "ENVDEMO_SECRET", "ENVDEMO_COLOR", "ENVDEMO_NEW"),
				map[string]string{"ENVDEMO_GREETING": want["ENVDEMO_GREETING"], "ENVDEMO_COLOR": want["ENVDEMO_COLOR"], "ENVDEMO_NEW": "new default"})
			if edited {
				expect(t, "envdemo-ctl run after the upgrade", ctlEnv(t, c, "ENVDEMO_SECRET"), map[string]string{"ENVDEMO_SECRET": adminValues["ENVDEMO_SECRET"]})
			}
			if got := c.ReadFile(t, envBackup); got != text {
				t.Errorf("%s is not the legacy file:\n%s\nwant:\n%s", envBackup, got, text)
			}
			mustHaveMode(t, c, envFile, "root:envdemo 640")
			mustHaveMode(t, c, envBackup, "root:envdemo 640")
			t.Logf("%s after the upgrade:\n%s", envFile, c.ReadFile(t, envFile))
			conffiles = c.MustRun(t, "dpkg-query", "-W", "-f=${Conffiles}\n", "envdemo")
			mustContain(t, "2.0.0's conffiles", conffiles, " /etc/envdemo/environment ", " obsolete\n")
			// dpkg still checks the obsolete conffile against 1.0.0's MD5:
			// the file is this server's now, as an edited conffile is.
			if out, _ := c.Run(t, "dpkg", "--verify", "envdemo"); strings.TrimSpace(out) != "??5?????? c /etc/envdemo/environment" {
				t.Errorf("dpkg --verify after the upgrade should name the migrated file only:\n%s", out)
			}
			again := c.MustRun(t, "/var/lib/dpkg/info/envdemo.postinst", "configure", "1.0.0-1+deb12")
			if strings.Contains(again, "envdemo: config: ") {
				t.Errorf("postinst run again migrated again:\n%s", again)
			}
			report(t, "dpkg -i 2.0.0 (no --force-conf*, stdin at EOF): no prompt; migrated before the hooks and the switch; the app and envdemo-ctl run see %v; original kept as %s (root:envdemo 0640); dpkg keeps the old conffile as obsolete (dpkg --verify: ??5?????? c %s, as an edited conffile); postinst again changes nothing", want, envBackup, envFile)

			out = c.MustRun(t, "dpkg", "-P", "envdemo")
			mustContain(t, "dpkg -P", out, "envdemo: purged /var/lib/envdemo, /var/log/envdemo and /etc/envdemo")
			for _, p := range []string{"/etc/envdemo", "/opt/envdemo", "/var/lib/envdemo", "/var/log/envdemo", "/etc/apache2/conf-available/envdemo.conf"} {
				if c.Exists(p) {
					t.Errorf("dpkg -P left %s", p)
				}
			}
			if out, code := c.Run(t, "dpkg-query", "-W", "-f=${db:Status-Status} ${Conffiles}", "envdemo"); code == 0 && strings.TrimSpace(out) != "not-installed" {
				t.Errorf("dpkg still records envdemo after the purge: %q", out)
			}
			report(t, "dpkg -P: /etc/envdemo (settings, backup, the obsolete conffile), /opt/envdemo, data and logs gone; dpkg records nothing")
		})
	}
}

// rpmInside gives the EL stand-in what a real EL has and its scriptlets
// may use: rpm inside the root, on the root's database (/var/lib/rpm). The
// host's rpm is Debian 12's, as the root: its binary, the libraries the
// root lacks and its configuration are copied in.
func rpmInside(t *testing.T, c *Chroot) {
	t.Helper()
	bin, err := exec.LookPath("rpm")
	if err != nil {
		t.Skip("rpm is missing")
	}
	files := []string{bin}
	ldd, err := exec.Command("ldd", bin).Output()
	if err != nil {
		t.Fatalf("ldd %s: %v", bin, err)
	}
	for _, line := range strings.Split(string(ldd), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/") && !c.Exists(f[2]) {
			files = append(files, f[2])
		}
	}
	for _, f := range files {
		real, err := filepath.EvalSymlinks(f)
		if err != nil {
			t.Fatal(err)
		}
		c.CopyIn(t, real, f)
	}
	if out, err := exec.Command("cp", "-a", "/usr/lib/rpm", c.Path("/usr/lib/")).CombinedOutput(); err != nil {
		t.Fatalf("copying /usr/lib/rpm: %v\n%s", err, out)
	}
	c.WriteFile(t, "/etc/rpm/macros", "# EL's database (wsgipack e2e harness)\n%_dbpath /var/lib/rpm\n", 0o644)
	if out, code := c.Run(t, "rpm", "-qa"); code != 0 {
		t.Fatalf("rpm inside the root: exit %d\n%s", code, out)
	}
}

// TestLegacyRPM: rpm -U of envdemo 2.0.0 over the legacy 1.0.0. The new
// package owns the environment file as %ghost %config(noreplace), so that
// erasing 1.0.0 at the end of the upgrade neither removes the migrated file
// nor moves it to .rpmsave.
//
// Without rpm inside the root (no record to compare with), an unedited
// file is taken for an edited one: every value that differs from the new
// defaults is kept, the old default of ENVDEMO_COLOR included.
func TestLegacyRPM(t *testing.T) {
	for _, tt := range []struct {
		name           string
		edited, record bool
	}{{"edited", true, true}, {"unedited", false, true}, {"unedited-no-rpm-inside", false, false}} {
		edited := tt.edited
		t.Run(tt.name, func(t *testing.T) {
			c := NewEL(t)
			if tt.record {
				rpmInside(t, c)
			}
			c.StartApache(t)
			verify := func() string {
				out, _ := c.RPM(t, "-V", "envdemo")
				return strings.TrimSpace(out)
			}
			mustRPM(t, c, "-i", legacyFixture(legacyRPM))
			expect(t, "legacy 1.0.0", envdemoAnswer(t, c), map[string]string{"ENVDEMO_COLOR": "red", "ENVDEMO_GREETING": "hello world"})
			text := c.ReadFile(t, envFile)
			if edited {
				text = editLegacy(t, c)
			}
			report(t, "legacy 1.0.0 installed (rpm -i): %s is its %%config(noreplace)%s%s", envFile, map[bool]string{true: ", edited by the admin", false: ""}[edited],
				map[bool]string{true: "", false: "; no rpm inside the root for %post"}[tt.record])

			out := mustRPM(t, c, "-U", envdemo2(t, "el9"))
			noPrompt(t, out)
			t.Logf("rpm -U 2.0.0:\n%s", out)
			want := map[string]string{"ENVDEMO_NEW": "new default", "ENVDEMO_STATE": "/var/lib/envdemo"}
			switch {
			case edited:
				mustContain(t, "upgrade output", out,
					"envdemo: config: /etc/envdemo/environment was the older package's KEY=value file, edited: rewritten as POSIX sh, values unchanged (the old file: /etc/envdemo/environment.wsgipack-legacy)",
					"envdemo: config: kept: ENVDEMO_COLOR, ENVDEMO_GREETING, ENVDEMO_SECRET\n")
				for k, v := range adminValues {
					want[k] = v
				}
				want["ENVDEMO_COLOR"] = "red"
			case !tt.record:
				mustContain(t, "upgrade output", out,
					"envdemo: config: /etc/envdemo/environment was the older package's KEY=value file, edited or not (no record to compare with): rewritten as POSIX sh",
					"envdemo: config: kept: ENVDEMO_COLOR\n", "envdemo: config: commented out, as this release's defaults: ENVDEMO_GREETING, ENVDEMO_STATE\n")
				want["ENVDEMO_COLOR"] = "red"
				want["ENVDEMO_GREETING"] = "hello world"
			default:
				mustContain(t, "upgrade output", out,
					"envdemo: config: /etc/envdemo/environment was the older package's KEY=value file, unedited: replaced by an empty settings file, so this release's defaults apply")
				want["ENVDEMO_COLOR"] = "blue"
				want["ENVDEMO_GREETING"] = "hello world"
			}
			mustContain(t, "upgrade output", out, "envdemo: installed 2.0.0")
			expect(t, "the app after the upgrade", envdemoAnswer(t, c), want)
			expect(t, "envdemo-ctl run after the upgrade", ctlEnv(t, c, "ENVDEMO_GREETING", "ENVDEMO_COLOR", "ENVDEMO_NEW"),
				map[string]string{"ENVDEMO_GREETING": want["ENVDEMO_GREETING"], "ENVDEMO_COLOR": want["ENVDEMO_COLOR"], "ENVDEMO_NEW": "new default"})
			if edited {
				expect(t, "envdemo-ctl run after the upgrade", ctlEnv(t, c, "ENVDEMO_SECRET"), map[string]string{"ENVDEMO_SECRET": adminValues["ENVDEMO_SECRET"]})
			}
			if got := c.ReadFile(t, envBackup); got != text {
				t.Errorf("%s is not the legacy file:\n%s\nwant:\n%s", envBackup, got, text)
			}
			if c.Exists(envFile+".rpmsave") || c.Exists(envFile+".rpmnew") {
				t.Errorf("the upgrade left an .rpmsave or .rpmnew: %s", c.MustRun(t, "ls", "-la", "/etc/envdemo"))
			}
			mustHaveMode(t, c, envFile, "root:envdemo 640")
			mustHaveMode(t, c, envBackup, "root:envdemo 640")
			t.Logf("%s after the upgrade:\n%s", envFile, c.ReadFile(t, envFile))
			if v := verify(); v != "" {
				t.Errorf("rpm -V after the upgrade:\n%s", v)
			}
			owner, _ := c.RPM(t, "-qf", envFile)
			if strings.TrimSpace(owner) != "envdemo-2.0.0-1.el9.noarch" {
				t.Errorf("rpm -qf %s: %s", envFile, owner)
			}
			report(t, "rpm -U 2.0.0: no .rpmsave, no prompt; the app and envdemo-ctl run see %v; original kept as %s; %s owned by %s (%%ghost %%config(noreplace)); rpm -V clean", want, envBackup, envFile, strings.TrimSpace(owner))

			settings := c.ReadFile(t, envFile)
			out = mustRPM(t, c, "-e", "envdemo")
			mustContain(t, "rpm -e output", out, "envdemo: removed; data in /var/lib/envdemo and /var/log/envdemo kept")
			noPrompt(t, out)
			if c.Exists("/opt/envdemo") || c.Exists("/etc/httpd/conf.d/envdemo.conf") || c.Exists("/usr/share/doc/envdemo") {
				t.Error("rpm -e left a file of the package")
			}
			if got := c.ReadFile(t, envFile); got != settings {
				t.Errorf("rpm -e changed this server's settings: %q", got)
			}
			if out, code := c.RPM(t, "-qf", envFile); code == 0 {
				t.Errorf("rpm -qf after rpm -e: %s", out)
			}
			left := strings.Fields(c.MustRun(t, "ls", "-A", "/etc/envdemo"))
			if strings.Join(left, " ") != "environment environment.wsgipack-legacy" {
				t.Errorf("after rpm -e /etc/envdemo holds %v", left)
			}
			report(t, "rpm -e: the package's files gone; this server's settings kept in place (a %%ghost %%config is neither removed nor saved as .rpmsave), as before the migration, with the backup: /etc/envdemo holds %v", left)
		})
	}
}
