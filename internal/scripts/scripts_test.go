package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/apache"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/entrypoint"
	"github.com/wsgipack/wsgipack/internal/golden"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/spec"
)

func testInput(t *testing.T, targetName string, installBytecode bool) Input {
	t.Helper()
	s := &spec.Spec{
		Name: "inventory", User: "inventory",
		Apache:   spec.Apache{Mount: "/inventory", Processes: 2, Threads: 4, Timeout: 60, Static: map[string]string{"/inventory/media": "media/public"}},
		Secrets:  []string{"INVENTORY_SECRET_KEY"},
		Config:   []spec.ConfigFile{{Source: "config/settings.ini", Dest: "/etc/inventory/settings.ini"}},
		Writable: []string{"app/instance", "media"},
		Hooks: spec.Hooks{
			FirstInstall: []string{"python -m inventory.migrate --init"},
			PostInstall:  []string{"python -m inventory.migrate /opt/inventory/migrations", "echo 'it''s done'"},
			PreRemove:    []string{"python -m inventory.export /var/lib/inventory/export.json"},
		},
	}
	tg, err := distro.Lookup(targetName)
	if err != nil {
		t.Fatal(err)
	}
	py, err := tg.Python("3.11")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := apache.Render(s, tg.Apache)
	if err != nil {
		t.Fatal(err)
	}
	return Input{Spec: s, Version: "1.4.2", ReleaseDir: "1.4.2-1", Target: tg, Python: py, PythonVersion: "3.11", Conf: conf,
		InstallBytecode: installBytecode}
}

// TestRender renders the scripts of a Debian and an EL package, compares
// them with golden files and has shellcheck read them as POSIX sh.
func TestRender(t *testing.T) {
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil && os.Getenv("CI") != "" {
		t.Fatal("shellcheck is missing: run make deps")
	}
	for _, tt := range []struct {
		target   string
		bytecode bool
	}{{"debian-12", false}, {"el9", false}, {"debian-12", true}} {
		name := tt.target
		if tt.bytecode {
			name += "-install-bytecode"
		}
		t.Run(name, func(t *testing.T) {
			sc, err := Render(testInput(t, tt.target, tt.bytecode))
			if err != nil {
				t.Fatal(err)
			}
			ctl, err := Ctl(testInput(t, tt.target, tt.bytecode))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			for _, f := range []struct{ name, text string }{
				{"preinst", sc.PreInstall}, {"postinst", sc.PostInstall},
				{"prerm", sc.PreRemove}, {"postrm", sc.PostRemove}, {"ctl", string(ctl.Data)},
			} {
				golden.Check(t, filepath.Join("..", "..", "testdata", "golden", "scripts", name+"."+f.name), []byte(f.text))
				file := filepath.Join(dir, f.name)
				if err := os.WriteFile(file, []byte(f.text), 0o755); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command("sh", "-n", file).CombinedOutput(); err != nil {
					t.Errorf("%s: sh -n: %v\n%s", f.name, err, out)
				}
				if shellcheck != "" {
					if out, err := exec.Command(shellcheck, "-s", "sh", file).CombinedOutput(); err != nil {
						t.Errorf("%s: shellcheck: %v\n%s", f.name, err, out)
					}
				}
				for _, bad := range globalsAssignedInFunctions(f.text) {
					t.Errorf("%s: a function assigns the script's global %s", f.name, bad)
				}
			}
			if tt.bytecode != strings.Contains(sc.PostInstall, "compile_bytecode\n") {
				t.Errorf("bytecode at install = %v, but the postinst disagrees", tt.bytecode)
			}
		})
	}
}

func TestStateDirs(t *testing.T) {
	got := strings.Join(stateDirs([]string{"app/instance", "media", "app/uploads/big"}), " ")
	if want := "app app/instance app/uploads app/uploads/big media"; got != want {
		t.Errorf("stateDirs = %q, want %q", got, want)
	}
}

// TestHookEnvironment checks that the hooks and the operator's command
// (the rendered scripts' loadenv) read the environment files as the WSGI
// entry script does: the same three files give the same variables in sh
// and in Python's os.environ, the later files winning.
func TestHookEnvironment(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is missing")
	}
	dir := t.TempDir()
	release := filepath.Join(dir, "releases", "1.0-1")
	if err := os.MkdirAll(release, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		filepath.Join(release, "environment"): "# defaults\nSPACED='value with spaces'\nQUOTED='a '\\''b'\\'' c'\nOVERRIDDEN=default\n" +
			"URL='postgres://u:p@h/db?x=1&y=2#frag'\nDOLLAR='$HOME/`id`/$(id)'\nBACKSLASH='a\\b\\\\c'\nUNICODE='caf\u00e9 \u2603'\n",
		filepath.Join(dir, "environment"): "# this server\nexport EXPORTED=1\nOVERRIDDEN=server\nDERIVED=\"$URL/more\"\nKEY='x(y)'\n",
		filepath.Join(dir, "secrets"):     "KEY='0123abcd'\n",
	}
	for f, text := range files {
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	keys := "SPACED QUOTED OVERRIDDEN URL DOLLAR BACKSLASH UNICODE EXPORTED DERIVED KEY"

	sc, err := Render(testInput(t, "debian-12", false))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "postinst")
	if err := os.WriteFile(script, []byte(sc.PostInstall), 0o755); err != nil {
		t.Fatal(err)
	}
	// Sourced with no arguments, the script only defines its functions and
	// variables; loadenv then runs as the hooks run it.
	shOut, err := exec.Command("sh", "-c", `. "$1"; shift; env -i sh -c "$loadenv"'
for k in $4; do eval "v=\${$k-unset}"; printf "%s=[%s]\n" "$k" "$v"; done' sh "$@"`,
		"sh", script, release, filepath.Join(dir, "environment"), filepath.Join(dir, "secrets"), keys).CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, shOut)
	}

	lay := layout.For("demo")
	lay.EnvFile = filepath.Join(dir, "environment")
	lay.SecretsFile = filepath.Join(dir, "secrets")
	lay.Current = filepath.Join(dir, "current")
	if err := os.Symlink("releases/1.0-1", lay.Current); err != nil {
		t.Fatal(err)
	}
	entries, err := entrypoint.Render(entrypoint.App{Layout: lay, Release: lay.Release("1.0-1"), WSGI: "os:getcwd"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo.wsgi"), entries[0].Data, 0o644); err != nil {
		t.Fatal(err)
	}
	pyOut, err := exec.Command(py, "-c", `import os, runpy, sys
for k in sys.argv[2].split():
    os.environ.pop(k, None)
runpy.run_path(sys.argv[1])
for k in sys.argv[2].split():
    print("%s=[%s]" % (k, os.environ.get(k, "unset")))`, filepath.Join(dir, "demo.wsgi"), keys).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, pyOut)
	}
	if string(shOut) != string(pyOut) {
		t.Errorf("the hooks and the entry script read the environment differently:\nsh:\n%s\npython:\n%s", shOut, pyOut)
	}
	for _, want := range []string{"SPACED=[value with spaces]", "QUOTED=[a 'b' c]", "OVERRIDDEN=[server]", "DOLLAR=[$HOME/`id`/$(id)]",
		"DERIVED=[postgres://u:p@h/db?x=1&y=2#frag/more]", "KEY=[0123abcd]", "EXPORTED=[1]"} {
		if !strings.Contains(string(shOut), want) {
			t.Errorf("want %s in:\n%s", want, shOut)
		}
	}
}

// TestEnsureUser: an existing user is taken as the app's only if it is a
// system account; root or a login account (uid from login.defs' UID_MIN,
// default 1000) fails the install before anything runs as it.
func TestEnsureUser(t *testing.T) {
	sc, err := Render(testInput(t, "debian-12", false))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "preinst")
	if err := os.WriteFile(script, []byte(sc.PreInstall), 0o755); err != nil {
		t.Fatal(err)
	}
	// No user of the name, but a group: another program's.
	out, err := exec.Command("sh", "-c", `. "$1"; getent() { [ "$1" = group ] && echo "inventory:x:999:"; }; groupadd() { echo groupadd; }; ensure_user`,
		"sh", script).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "error: user: a group inventory exists without a user inventory") || strings.Contains(string(out), "groupadd") {
		t.Errorf("a group of another program taken: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		uid, home string
		want      string // "" for taken
	}{
		{"998", "/var/lib/inventory", ""},
		{"0", "/var/lib/inventory", "error: user: inventory exists and is not a system account (uid 0)"},
		{"1000", "/var/lib/inventory", "error: user: inventory exists and is not a system account (uid 1000)"},
		{"65534", "/nonexistent", "is not a system account (uid 65534)"},
		{"x", "/var/lib/inventory", "is not a system account (uid 0)"}, // unreadable: not taken
		{"105", "/var/spool/postfix", "error: user: inventory exists with the home /var/spool/postfix, not /var/lib/inventory: it is another program's account"},
	} {
		// Sourced with no arguments, the script only defines its functions;
		// getent is a stub of the account database.
		out, err := exec.Command("sh", "-c", `. "$1"; uid_stub=$2 home_stub=$3; getent() { echo "inventory:x:$uid_stub:$uid_stub::$home_stub:/usr/sbin/nologin"; }; ensure_user`,
			"sh", script, tt.uid, tt.home).CombinedOutput()
		switch {
		case tt.want == "" && (err != nil || !strings.Contains(string(out), "system user inventory exists")):
			t.Errorf("uid %s: %v\n%s", tt.uid, err, out)
		case tt.want != "" && (err == nil || !strings.Contains(string(out), tt.want)):
			t.Errorf("uid %s: want a failure with %q, got %v\n%s", tt.uid, tt.want, err, out)
		}
	}
}

// TestEnsureDirsRefusesSymlinks: a writable directory the app replaced by
// a symlink (to /etc, say) fails the install before root chowns or chmods
// its target.
func TestEnsureDirsRefusesSymlinks(t *testing.T) {
	in := testInput(t, "debian-12", false)
	in.Spec.Writable = []string{"app/instance"}
	sc, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "postinst")
	if err := os.WriteFile(script, []byte(sc.PostInstall), 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "etc")
	state := filepath.Join(dir, "state")
	for _, d := range []string{target, state} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(target, filepath.Join(state, "app")); err != nil {
		t.Fatal(err)
	}
	// chown and chmod are stubs that record what they would change.
	out, err := exec.Command("sh", "-c", `. "$1"; state=$2 logs=$2/log
chown() { echo "chown $*"; }; chmod() { echo "chmod $*"; }
ensure_dirs`, "sh", script, state).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "error: directories: "+filepath.Join(state, "app")+" is a symlink, not a directory") {
		t.Errorf("want a refusal of the symlink: %v\n%s", err, out)
	}
	if strings.Contains(string(out), filepath.Join(state, "app")+"\n") || strings.Contains(string(out), "instance") {
		t.Errorf("changed the symlink's target:\n%s", out)
	}
}

// globalsAssignedInFunctions returns the lines of a script's functions
// (indented lines) that assign one of the names the script sets at its top
// level: sh has no local variables, so such a line changes the value every
// later step reads (entry, state, ...).
func globalsAssignedInFunctions(script string) []string {
	var globals []string
	for _, line := range strings.Split(script, "\n") {
		if m := topLevelAssignment.FindStringSubmatch(line); m != nil {
			globals = append(globals, regexp.QuoteMeta(m[1]))
		}
	}
	if len(globals) == 0 {
		return nil
	}
	names := strings.Join(globals, "|")
	assign := regexp.MustCompile(`(?:^|[\s;&|(!])(` + names + `)=|\b(?:for|read(?: -r)?)\s+(` + names + `)\b`)
	var bad []string
	for _, line := range strings.Split(script, "\n") {
		if !strings.HasPrefix(line, "\t") || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if m := assign.FindStringSubmatch(line); m != nil {
			bad = append(bad, strings.TrimSpace(line))
		}
	}
	return bad
}

var topLevelAssignment = regexp.MustCompile(`^([a-z_][a-z0-9_]*)=`)

// TestEnsureDirsAsAppUser: root changes $state and $logs only; everything
// inside $state (the app's, which it may swap for a symlink at any moment)
// is made and set by the app user, so that no root chmod, chown or setfacl
// can be led outside it.
func TestEnsureDirsAsAppUser(t *testing.T) {
	in := testInput(t, "debian-12", false)
	in.Spec.Writable = []string{"app/instance", "media"}
	sc, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sc.PostInstall, `set -- 'media'`) {
		t.Fatal("the test input no longer serves media: the served-path steps would go untested")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "postinst")
	if err := os.WriteFile(script, []byte(sc.PostInstall), 0o755); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	// The commands that change files are stubs that say who runs them.
	out, err := exec.Command("sh", "-c", `. "$1"; state=$2 logs=$2-log etc=$2-etc
for c in mkdir chown chmod chgrp setfacl; do eval "$c() { echo root $c \"\$*\"; }"; done
runuser() { echo "app $*"; }
ensure_dirs`, "sh", script, state).CombinedOutput()
	if err != nil {
		t.Fatalf("ensure_dirs: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "root ") && strings.Contains(line, state+"/") {
			t.Errorf("root changes a path inside the app's directory: %s", line)
		}
	}
	for _, want := range []string{"app -u inventory -- sh -c", state + "/app/instance", "app -u inventory -g www-data -- sh -c", "app -u inventory -- setfacl -m u:www-data:x " + state} {
		if !strings.Contains(string(out), want) {
			t.Errorf("ensure_dirs does not run %q:\n%s", want, out)
		}
	}
}
