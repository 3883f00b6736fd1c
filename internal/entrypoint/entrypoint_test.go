package entrypoint

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wsgipack/wsgipack/internal/golden"
	"github.com/wsgipack/wsgipack/internal/layout"
)

func renderApp(t *testing.T, a App) (script, env []byte) {
	t.Helper()
	entries, err := Render(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Path != a.Layout.EntryScript || entries[1].Path != a.Layout.EnvFile ||
		!entries[1].Config || entries[1].Mode != 0o640 {
		t.Fatalf("entries: %+v", entries)
	}
	return entries[0].Data, entries[1].Data
}

func TestGolden(t *testing.T) {
	script, env := renderApp(t, App{Layout: layout.For("inventory"), Version: "1.4.2", WSGI: "inventory.web:create_app()",
		Environment: map[string]string{"INVENTORY_STATE": "/var/lib/inventory", "QUOTED": `a "b" c`}})
	golden.Check(t, filepath.Join("..", "..", "testdata", "golden", "inventory.wsgi.golden"), script)
	golden.Check(t, filepath.Join("..", "..", "testdata", "golden", "environment.golden"), env)
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
	lay := layout.For("demo")
	lay.EnvFile = filepath.Join(dir, "environment")
	script, _ := renderApp(t, App{Layout: lay, Version: "1.0", WSGI: "demo:make()"})
	os.WriteFile(filepath.Join(dir, "demo.wsgi"), script, 0o644)
	out, err := exec.Command(py, "-c", `import os, runpy, sys
sys.path.insert(0, sys.argv[1] + "/app")
ns = runpy.run_path(sys.argv[1] + "/demo.wsgi")
print(b"".join(ns["application"]({}, None)).decode(), os.environ["OTHER"])`, dir).CombinedOutput()
	if err != nil || string(out) != "hello there 1\n" {
		t.Errorf("entry script: %v\n%s", err, out)
	}
}
