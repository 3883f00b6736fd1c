package entrycheck

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

var repo, _ = filepath.Abs(filepath.Join("..", ".."))

var (
	bareOnce sync.Once
	bareDir  string
	bareErr  error
)

// bareVenv is a real venv of the host's python3 without any package,
// shared by the tests (they never write into it: the checks prove it).
func bareVenv(t *testing.T) (dir, site string) {
	t.Helper()
	testtool.Need(t, "python3")
	bareOnce.Do(func() {
		bareDir, bareErr = os.MkdirTemp("", "wsgipack-entrycheck-venv-")
		if bareErr != nil {
			return
		}
		out, err := exec.Command("python3", "-m", "venv", "--without-pip", filepath.Join(bareDir, "venv")).CombinedOutput()
		if err != nil {
			bareErr = errors.New(string(out))
		}
	})
	if bareErr != nil {
		t.Fatal(bareErr)
	}
	v := filepath.Join(bareDir, "venv")
	m, _ := filepath.Glob(filepath.Join(v, "lib", "python3*", "site-packages"))
	if len(m) != 1 {
		t.Fatalf("no site-packages in %s", v)
	}
	site, _ = filepath.Rel(v, m[0])
	return v, site
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bareDir != "" {
		os.RemoveAll(bareDir)
	}
	os.Exit(code)
}

func TestCheck(t *testing.T) {
	venvDir, site := bareVenv(t)
	tests := []struct {
		name  string
		wsgi  string
		files map[string]string
		env   map[string]string
		// excluded are the paths of app.source that app.exclude leaves out.
		excluded []string
		// want is "" for a pass, else strings the error must hold.
		want []string
		// notWant are strings the error must not hold.
		notWant []string
	}{
		{name: "module-level app", wsgi: "hello.web:application", files: map[string]string{
			"src/hello/__init__.py": "",
			"src/hello/web.py":      "def application(environ, start_response):\n    return [b'hi']\n",
		}},
		{name: "module-level app object", wsgi: "hello:app", files: map[string]string{
			"src/hello.py": "class App:\n    def __call__(self, environ, start_response):\n        return []\napp = App()\n",
		}},
		{name: "factory is not called", wsgi: "flaskr:create_app()", files: map[string]string{
			"src/flaskr/__init__.py": "import os, sys\n\ndef create_app(test_config=None):\n    sys.stderr.write('factory called\\n')\n    os._exit(9)\n",
		}},
		{name: "factory that raises is not called", wsgi: "flaskr:create_app()", files: map[string]string{
			"src/flaskr/__init__.py": "def create_app():\n    raise RuntimeError('the factory was called')\n",
		}},
		{name: "namespace parent package", wsgi: "company.site.wsgi:application", files: map[string]string{
			"src/company/site/wsgi.py": "def application(environ, start_response):\n    return []\n",
		}},
		{name: "environment, secrets and path", wsgi: "envapp:application",
			env: map[string]string{"APP_MODE": "production"},
			files: map[string]string{"src/envapp.py": `import os, sys
assert os.environ["APP_MODE"] == "production", os.environ
assert os.environ["APP_SECRET_KEY"] == "wsgipack-check-placeholder", os.environ
assert os.environ["PYTHONDONTWRITEBYTECODE"] == "1"
assert "HOME" not in os.environ and "WSGIPACK_TEST_LEAK" not in os.environ, os.environ
assert sys.path[0].endswith("/src"), sys.path
assert sys.dont_write_bytecode
assert os.path.basename(os.getcwd()) == "cwd", os.getcwd()
assert sys.prefix != sys.base_prefix, "not the venv's Python"
import helper
def application(environ, start_response):
    return []
`, "src/helper.py": "X = 1\n"}},
		{name: "missing module", wsgi: "hello.wbe:application", files: map[string]string{
			"src/hello/__init__.py": "", "src/hello/web.py": "",
		}, want: []string{"wsgipack.yaml: app.wsgi: hello.wbe:application: module hello.wbe not found: expected src/hello/wbe.py or src/hello/wbe/__init__.py"}},
		{name: "missing package", wsgi: "shop.web:app", files: map[string]string{"src/other.py": ""},
			want: []string{"expected src/shop/web.py", "src/shop is not a directory"}},
		{name: "wrong source", wsgi: "hello:app", files: map[string]string{"hello.py": "app = None\n", "src/x.py": ""},
			want: []string{"hello.py exists: should app.source be .?"}},
		{name: "missing dependency", wsgi: "hello:app", files: map[string]string{
			"src/hello.py": "import os\nimport flask_not_installed\napp = flask_not_installed.Flask(__name__)\n",
		}, want: []string{"needs flask_not_installed, which the venv does not have", "ModuleNotFoundError: No module named 'flask_not_installed'", `File "`}},
		{name: "syntax error", wsgi: "hello:app", files: map[string]string{
			"src/hello.py": "def app(environ, start_response)\n    return []\n",
		}, want: []string{"SyntaxError", "hello.py"}},
		{name: "error at import", wsgi: "hello:app", files: map[string]string{
			"src/hello.py": "import os\nSECRET = os.environ['NOT_SET_ANYWHERE']\n",
		}, want: []string{"KeyError: 'NOT_SET_ANYWHERE'", "SECRET = os.environ", "the app reads the environment variable NOT_SET_ANYWHERE", "give it a default under environment"}},
		{name: "KeyError not of the environment", wsgi: "hello:app", files: map[string]string{
			"src/hello.py": "CONFIG = {}\nDB = CONFIG['DATABASE_URL']\n",
		}, want: []string{"failed: KeyError: 'DATABASE_URL'"}, notWant: []string{"environment variable"}},
		{name: "exit at import", wsgi: "hello:app", files: map[string]string{
			"src/hello.py": "import sys\nsys.exit('no config')\n",
		}, want: []string{"importing hello called sys.exit('no config')"}},
		{name: "wrong attribute", wsgi: "hello:aplication", files: map[string]string{
			"src/hello.py": "import os\ndef application(environ, start_response):\n    return []\ndef _private(): pass\n",
		}, want: []string{"hello (src/hello.py) has no attribute aplication; it defines the callables application"}},
		{name: "wrong attribute of an app object", wsgi: "hello:application", files: map[string]string{
			"src/hello.py": "from os.path import join\nclass App:\n    def __call__(self, environ, start_response):\n        return []\napp = App()\n",
		}, want: []string{"has no attribute application; it defines the callables App, app"}},
		{name: "not callable", wsgi: "hello:app", files: map[string]string{"src/hello.py": "app = 'hello'\n"},
			want: []string{"hello.app (src/hello.py) is a str, not callable"}},
		{name: "factory without parentheses", wsgi: "flaskr:create_app", files: map[string]string{
			"src/flaskr/__init__.py": "def create_app():\n    raise RuntimeError('called')\n",
		}, want: []string{"cannot be called as a WSGI application with (environ, start_response)", "write flaskr:create_app()"}},
		{name: "factory needing arguments", wsgi: "flaskr:create_app()", files: map[string]string{
			"src/flaskr/__init__.py": "def create_app(config):\n    raise RuntimeError('called')\n",
		}, want: []string{"create_app (src/flaskr/__init__.py) cannot be called without arguments (create_app(config))"}},
		{name: "module excluded", wsgi: "hello.web:application", excluded: []string{"hello/web.py"}, files: map[string]string{
			"src/hello/__init__.py": "", "src/hello/web.py": "def application(e, s): return []\n",
		}, want: []string{"wsgipack.yaml: app.wsgi: hello.web:application: module hello.web is src/hello/web.py, which the package does not ship (src/hello/web.py is left out by app.exclude or is a writable path)"}},
		{name: "module's package excluded", wsgi: "hello.web:application", excluded: []string{"hello"}, files: map[string]string{
			"src/hello/__init__.py": "", "src/hello/web.py": "def application(e, s): return []\n",
		}, want: []string{"module hello.web is src/hello/web.py, which the package does not ship (src/hello is left out"}},
		{name: "other files excluded", wsgi: "hello.web:application", excluded: []string{"hello/tests", "hello/web.pyc"}, files: map[string]string{
			"src/hello/__init__.py": "", "src/hello/web.py": "def application(e, s): return []\n",
		}},
		{name: "shadowed by the standard library", wsgi: "json.web:app", files: map[string]string{
			"src/json/__init__.py": "", "src/json/web.py": "def app(e, s): return []\n",
		}, want: []string{"the top-level name json is taken by", "json/__init__.py"}},
	}
	t.Setenv("WSGIPACK_TEST_LEAK", "1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testtool.WriteFiles(t, dir, tt.files)
			before := testtool.TreeHash(t, dir)
			err := Check(Options{SpecFile: "wsgipack.yaml", Dir: dir, Source: "src", WSGI: tt.wsgi, Venv: venvDir,
				SitePackages: site, Environment: tt.env, Secrets: []string{"APP_SECRET_KEY"}, Timeout: 20 * time.Second,
				Excluded: func(rel string, isDir bool) bool { return slices.Contains(tt.excluded, rel) }})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("check failed: %v", err)
				}
			} else {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("want an *Error, got %v", err)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("the error lacks %q:\n%v", w, err)
					}
				}
				for _, w := range tt.notWant {
					if strings.Contains(err.Error(), w) {
						t.Errorf("the error holds %q:\n%v", w, err)
					}
				}
			}
			if after := testtool.TreeHash(t, dir); after != before {
				t.Error("the check wrote into the project")
			}
		})
	}
}

func TestNoImport(t *testing.T) {
	venvDir, site := bareVenv(t)
	dir := t.TempDir()
	testtool.WriteFiles(t, dir, map[string]string{"src/hello.py": "import flask_not_installed\n"})
	o := Options{SpecFile: "wsgipack.yaml", Dir: dir, Source: "src", WSGI: "hello:app", Venv: venvDir, SitePackages: site, NoImport: true}
	if err := Check(o); err != nil {
		t.Fatalf("--no-import still imports: %v", err)
	}
	o.WSGI = "nothere:app"
	if err := Check(o); err == nil || !strings.Contains(err.Error(), "expected src/nothere.py") {
		t.Fatalf("--no-import must still look for the module: %v", err)
	}
}

func TestLocateInVenv(t *testing.T) {
	dir := t.TempDir()
	testtool.WriteFiles(t, dir, map[string]string{"src/other.py": "", "venv/lib/python3.11/site-packages/installed/wsgi.py": "",
		"venv/lib/python3.11/site-packages/native.cpython-311-x86_64-linux-gnu.so": ""})
	site := filepath.Join(dir, "venv/lib/python3.11/site-packages")
	for _, m := range []string{"installed.wsgi", "native", "other"} {
		if _, err := Locate(dir, "src", site, m); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	if _, err := Locate(dir, "src", site, "installed.nothere"); err == nil {
		t.Error("found a module that is nowhere")
	}
}

func TestTimeout(t *testing.T) {
	venvDir, site := bareVenv(t)
	dir := t.TempDir()
	testtool.WriteFiles(t, dir, map[string]string{"src/slow.py": "import subprocess, time\nsubprocess.Popen(['sleep', '30'])\ntime.sleep(30)\n"})
	start := time.Now()
	err := Check(Options{SpecFile: "wsgipack.yaml", Dir: dir, Source: "src", WSGI: "slow:app", Venv: venvDir, SitePackages: site, Timeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "did not finish within 1s") {
		t.Fatalf("want a timeout, got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the timeout took %s", d)
	}
}

// TestInterrupted: a build interrupted during the import (its context
// done) stops the import at once and returns the interruption's cause.
func TestInterrupted(t *testing.T) {
	venvDir, site := bareVenv(t)
	dir := t.TempDir()
	testtool.WriteFiles(t, dir, map[string]string{"src/slow.py": "import time\ntime.sleep(30)\n"})
	stop := errors.New("stopped by SIGINT")
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(300*time.Millisecond, func() { cancel(stop) })
	start := time.Now()
	err := Check(Options{SpecFile: "wsgipack.yaml", Dir: dir, Source: "src", WSGI: "slow:app", Venv: venvDir, SitePackages: site, Context: ctx})
	if !errors.Is(err, stop) {
		t.Fatalf("want the interruption, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the interrupted import took %s", d)
	}
}

// TestExample imports the example app with a venv made as CI makes it.
func TestExample(t *testing.T) {
	testtool.Need(t, "python3")
	dir := t.TempDir()
	venvDir := filepath.Join(dir, "venv")
	if out, err := exec.Command("sh", filepath.Join(repo, "testdata/mkvenv.sh"), venvDir).CombinedOutput(); err != nil {
		t.Fatalf("mkvenv.sh: %v\n%s", err, out)
	}
	example := filepath.Join(repo, "testdata/example")
	m, _ := filepath.Glob(filepath.Join(venvDir, "lib", "python3*", "site-packages"))
	site, _ := filepath.Rel(venvDir, m[0])
	beforeApp, beforeVenv := testtool.TreeHash(t, example), testtool.TreeHash(t, venvDir)
	o := Options{SpecFile: "wsgipack.yaml", Dir: example, Source: "src", WSGI: "inventory.web:create_app()", Venv: venvDir,
		SitePackages: site, Environment: map[string]string{"INVENTORY_STATE": "/var/lib/inventory"}, Secrets: []string{"INVENTORY_SECRET_KEY"}}
	if err := Check(o); err != nil {
		t.Fatal(err)
	}
	if testtool.TreeHash(t, example) != beforeApp || testtool.TreeHash(t, venvDir) != beforeVenv {
		t.Error("the check wrote into the project or the venv")
	}
	// The same app in a venv without its dependencies.
	bare, bareSite := bareVenv(t)
	o.Venv, o.SitePackages = bare, bareSite
	err := Check(o)
	if err == nil || !strings.Contains(err.Error(), "the module inventory.web needs fastsum, which the venv does not have") {
		t.Fatalf("want a missing dependency, got %v", err)
	}
}
