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
	if len(entries) != 2 || entries[0].Path != a.Release.EntryScript || entries[1].Path != a.Release.EnvFile ||
		entries[1].Config || entries[1].Mode != 0o644 {
		t.Fatalf("entries: %+v", entries)
	}
	return entries[0].Data, entries[1].Data
}

func TestGolden(t *testing.T) {
	script, env := renderApp(t, App{Layout: layout.For("inventory"), Release: layout.For("inventory").Release("1.4.2-1"), WSGI: "inventory.web:create_app()",
		Environment: map[string]string{"INVENTORY_STATE": "/var/lib/inventory", "QUOTED": `a "b" c`}})
	golden.Check(t, filepath.Join("..", "..", "testdata", "golden", "inventory.wsgi.golden"), script)
	golden.Check(t, filepath.Join("..", "..", "testdata", "golden", "environment.golden"), env)
}

// TestEntryScriptLoadsEnvironment runs the rendered entry script with a
// real Python, as mod_wsgi does with python-path naming the current link:
// it pins the process to the release the link names (a switch after start
// does not change where it imports from), loads the environment file into
// os.environ and calls the app factory.
func TestEntryScriptLoadsEnvironment(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 missing")
	}
	dir := t.TempDir()
	for _, rel := range []string{"1", "2"} {
		pkg := filepath.Join(dir, "releases", rel, "app", "demo")
		os.MkdirAll(pkg, 0o755)
		os.WriteFile(filepath.Join(pkg, "__init__.py"), []byte(
			"import os\ndef make():\n    return lambda environ, start: [os.environ['GREETING'].encode()]\n"), 0o644)
		os.WriteFile(filepath.Join(pkg, "late.py"), []byte("RELEASE = "+rel+"\n"), 0o644)
	}
	os.Symlink("releases/1", filepath.Join(dir, "current"))
	lay := layout.For("demo")
	lay.EnvFile = filepath.Join(dir, "environment")
	lay.SecretsFile = filepath.Join(dir, "secrets")
	lay.Current = filepath.Join(dir, "current")
	lay.Releases = filepath.Join(dir, "releases")
	script, defaults := renderApp(t, App{Layout: lay, Release: lay.Release("1"), WSGI: "demo:make()",
		Environment: map[string]string{"GREETING": "default", "OTHER": "it's 1", "KEPT": "from the release"}})
	os.WriteFile(filepath.Join(dir, "releases", "1", "environment"), defaults, 0o644)
	// The server's settings win over the release's defaults, secrets over both.
	// Values read from the hooks' starting environment mean the same here.
	os.WriteFile(filepath.Join(dir, "environment"), []byte("# comment\nGREETING=\"hello there\"\nexport SECRET=not-this\n"+
		"DATA=\"$HOME/data\"\nTOOLS=\"$VIRTUAL_ENV/bin\"\nLANG=de_DE.UTF-8\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "secrets"), []byte("SECRET='s3'\n"), 0o640)
	os.WriteFile(filepath.Join(dir, "demo.wsgi"), script, 0o644)
	out, err := exec.Command(py, "-c", `import os, runpy, sys
sys.path.insert(0, sys.argv[1] + "/current/app")
ns = runpy.run_path(sys.argv[1] + "/demo.wsgi")
os.rename(sys.argv[1] + "/current", sys.argv[1] + "/old")
os.symlink("releases/2", sys.argv[1] + "/current")
import demo.late
print(b"".join(ns["application"]({}, None)).decode(), os.environ["OTHER"], os.environ["KEPT"], os.environ["SECRET"], demo.late.RELEASE, sep="|")
print(os.environ["DATA"], os.environ["TOOLS"], os.environ["LANG"], os.environ.get("HOME"), os.environ.get("VIRTUAL_ENV"), sep="|")`, dir).CombinedOutput()
	release, _ := filepath.EvalSymlinks(filepath.Join(dir, "releases", "1"))
	want := "hello there|it's 1|from the release|s3|1\n" +
		"/var/lib/demo/data|" + release + "/venv/bin|de_DE.UTF-8|" + os.Getenv("HOME") + "|None\n"
	if err != nil || string(out) != want {
		t.Errorf("entry script: %v\n%s\nwant\n%s", err, out, want)
	}
}
