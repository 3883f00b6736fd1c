package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
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
		Apache:   spec.Apache{Mount: "/inventory", Processes: 2, Threads: 4, Timeout: 60},
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

// TestHookEnvironment checks that the hooks read /etc/<name>/environment as
// the WSGI entry script does: the same file gives the same variables in
// sh (the rendered postinst's app_environment) and in Python (the rendered
// entry script's loader).
func TestHookEnvironment(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is missing")
	}
	dir := t.TempDir()
	env := "# comment\n" +
		"  SPACED = value with spaces  \n" +
		"export EXPORTED=1\n" +
		"QUOTED=\"a 'b' c\"\n" +
		"SINGLE='x \"y\" z'\n" +
		"EMPTY=\n" +
		"NOEQUALS\n" +
		"URL=postgres://u:p@h/db?x=1&y=2#frag\n" +
		"DOLLAR=$HOME/`id`/$(id)\n" +
		"BACKSLASH=a\\b\\\\c\n" +
		"HALF=\"open\n" +
		"LAST=no newline at the end"
	if err := os.WriteFile(filepath.Join(dir, "environment"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	keys := "SPACED EXPORTED QUOTED SINGLE EMPTY URL DOLLAR BACKSLASH HALF LAST"

	sc, err := Render(testInput(t, "debian-12", false))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "postinst")
	if err := os.WriteFile(script, []byte(sc.PostInstall), 0o755); err != nil {
		t.Fatal(err)
	}
	// Sourced with no arguments, the script only defines its functions.
	shOut, err := exec.Command("sh", "-c", `. "$1"; etc=$2; eval "$(app_environment)"; for k in $3; do eval "printf '%s=[%s]\n' $k \"\${$k-unset}\""; done`,
		"sh", script, dir, keys).CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, shOut)
	}

	lay := layout.For("demo")
	lay.EnvFile = filepath.Join(dir, "environment")
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
		t.Errorf("the hooks and the entry script read the environment file differently:\nsh:\n%s\npython:\n%s", shOut, pyOut)
	}
	if !strings.Contains(string(shOut), "SPACED=[value with spaces]") || !strings.Contains(string(shOut), "DOLLAR=[$HOME/`id`/$(id)]") {
		t.Errorf("unexpected values:\n%s", shOut)
	}
}
