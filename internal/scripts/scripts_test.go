package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/apache"
	"github.com/wsgipack/wsgipack/internal/golden"
	"github.com/wsgipack/wsgipack/internal/spec"
	"github.com/wsgipack/wsgipack/internal/target"
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
	tg, err := target.Lookup(targetName)
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
	return Input{Spec: s, Version: "1.4.2", Target: tg, Python: py, PythonVersion: "3.11", Conf: conf,
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
			dir := t.TempDir()
			for _, f := range []struct{ name, text string }{
				{"preinst", sc.PreInstall}, {"postinst", sc.PostInstall},
				{"prerm", sc.PreRemove}, {"postrm", sc.PostRemove},
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
