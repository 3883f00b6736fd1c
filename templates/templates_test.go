package templates

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wsgipack/wsgipack/internal/golden"
)

func TestGolden(t *testing.T) {
	env := []struct{ Key, Value string }{{"INVENTORY_STATE", "/var/lib/inventory"}, {"QUOTED", `a "b" c`}}
	data := map[string]any{
		"Name": "inventory", "Version": "1.4.2", "Root": "/opt/inventory", "EnvFile": "/etc/inventory/environment",
		"Module": "inventory.web", "Callable": "create_app", "Factory": true, "WSGI": "inventory.web:create_app()",
		"Environment": env, "Maintainer": "Ops Team <ops@example.com>", "License": "MIT",
		"Homepage": "https://example.com/inventory", "Year": 2023,
	}
	for _, tt := range []struct{ tmpl, golden string }{
		{"wsgi.tmpl", "inventory.wsgi"},
		{"environment.tmpl", "environment"},
		{"copyright.tmpl", "copyright"},
	} {
		t.Run(tt.tmpl, func(t *testing.T) {
			got, err := Render(tt.tmpl, data)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("..", "testdata", "golden", tt.golden+".golden"), got)
		})
	}
}

// TestEntryScriptLoadsEnvironment runs the rendered entry script with a
// real Python: it loads the environment file into os.environ and calls the
// app factory.
func TestEntryScriptLoadsEnvironment(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 missing")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "app", "demo"), 0o755)
	os.WriteFile(filepath.Join(dir, "app", "demo", "__init__.py"), []byte(
		"import os\ndef make():\n    return lambda environ, start: [os.environ['GREETING'].encode()]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "environment"), []byte("# comment\nGREETING=\"hello there\"\nexport OTHER=1\n"), 0o644)
	script, err := Render("wsgi.tmpl", map[string]any{"Name": "demo", "Root": dir, "EnvFile": filepath.Join(dir, "environment"),
		"Module": "demo", "Callable": "make", "Factory": true, "WSGI": "demo:make()"})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "demo.wsgi"), script, 0o644)
	out, err := exec.Command(py, "-c", `import os, runpy, sys
sys.path.insert(0, sys.argv[1] + "/app")
ns = runpy.run_path(sys.argv[1] + "/demo.wsgi")
print(b"".join(ns["application"]({}, None)).decode(), os.environ["OTHER"])`, dir).CombinedOutput()
	if err != nil || string(out) != "hello there 1\n" {
		t.Errorf("entry script: %v\n%s", err, out)
	}
}
