//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/builder"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/version"
)

// repo is the repository's top directory.
var repo = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}()

// app is a variant of the example app in testdata/example, built into
// packages once per test run.
type app struct {
	name    string
	version string
	// python is the CPython X.Y (of pyenv) to make a bare venv with, without
	// the example's packages: no setuptools for 3.12 offline, and the app is
	// never served. Default: testdata/mkvenv.sh with python3 (3.11).
	python string
	spec   map[string]string // replacements in wsgipack.yaml
	files  map[string]string // files added to or replaced in the project
	any    bool              // build even when the target has no mod_wsgi for the venv's Python
}

// The apps of the scenarios.
var (
	inventory1 = app{name: "inventory", version: "1.4.2"}
	inventory2 = app{name: "inventory", version: "1.5.0", spec: map[string]string{
		"  INVENTORY_STATE: /var/lib/inventory": "  INVENTORY_STATE: /var/lib/inventory\n  INVENTORY_COLOR: blue",
	}, files: map[string]string{
		"migrations/002_gadget.sql": "CREATE TABLE IF NOT EXISTS colors (name TEXT PRIMARY KEY);\nINSERT OR IGNORE INTO items VALUES ('gadget');\n",
		"src/inventory/__init__.py": "\"\"\"Inventory: the wsgipack example app.\"\"\"\n\n__version__ = \"1.5.0\"\n",
	}}
	// stock is a second app on the same server: own name, user, URL.
	stock = app{name: "stock", version: "2.0.0", spec: map[string]string{
		"name: inventory": "name: stock",
		"mount: /inventory": "mount: /stock\n  directives:\n    - <Location /stock/private>\n    - Require all denied\n    - </Location>\n" +
			"    - <Location /stock/reports>\n    - AuthType Basic\n    - AuthName \"Stock reports\"\n    - AuthUserFile /etc/apache2/stock.htpasswd\n    - Require valid-user\n    - </Location>",
		"/inventory/static:": "/stock/static:",
		"/inventory/media:":  "/stock/media:",
		"/var/lib/inventory": "/var/lib/stock",
		"/etc/inventory/":    "/etc/stock/",
		"hooks:":             "hooks:\n  first_install:\n    - echo stock first install done",
	}}
	// failhook's post_install hook fails.
	failhook = app{name: "failhook", version: "1.0.0", spec: map[string]string{
		"name: inventory":                              "name: failhook",
		"mount: /inventory":                            "mount: /failhook",
		"/inventory/static:":                           "/failhook/static:",
		"/inventory/media:":                            "/failhook/media:",
		"/var/lib/inventory":                           "/var/lib/failhook",
		"/etc/inventory/":                              "/etc/failhook/",
		"    - python -m inventory.migrate migrations": "    - sh -c 'echo migration exploded, no such table >&2; exit 3'",
	}}
	// badconf's Apache config is made invalid after the build (see badConfDeb).
	badconf = app{name: "badconf", version: "1.0.0", spec: map[string]string{
		"name: inventory":    "name: badconf",
		"mount: /inventory":  "mount: /badconf",
		"/inventory/static:": "/badconf/static:",
		"/inventory/media:":  "/badconf/media:",
		"/var/lib/inventory": "/var/lib/badconf",
		"/etc/inventory/":    "/etc/badconf/",
	}}
	// lean ships no bytecode: its install scripts compile it.
	lean = app{name: "lean", version: "1.0.0", spec: map[string]string{
		"name: inventory":    "name: lean",
		"mount: /inventory":  "mount: /lean",
		"/inventory/static:": "/lean/static:",
		"/inventory/media:":  "/lean/media:",
		"/var/lib/inventory": "/var/lib/lean",
		"/etc/inventory/":    "/etc/lean/",
		"venv: venv":         "venv: venv\nbytecode: false",
	}}
	// wrongpy's venv is Python 3.12, which Debian 12's mod_wsgi is not.
	wrongpy = app{name: "wrongpy", version: "1.0.0", python: "3.12", any: true, spec: map[string]string{
		"name: inventory":    "name: wrongpy",
		"mount: /inventory":  "mount: /wrongpy",
		"/inventory/static:": "/wrongpy/static:",
		"/inventory/media:":  "/wrongpy/media:",
		"/var/lib/inventory": "/var/lib/wrongpy",
		"/etc/inventory/":    "/etc/wrongpy/",
	}}
)

var (
	builtMu sync.Mutex
	built   = map[string]map[string]string{} // app key -> target -> package file
)

// pkg returns the package of a for target (debian-12 or el9), building it
// on first use.
func (a app) pkg(t *testing.T, targetName string) string {
	t.Helper()
	builtMu.Lock()
	defer builtMu.Unlock()
	key := a.name + "-" + a.version
	if files, ok := built[key]; ok {
		return files[targetName]
	}
	specFile := a.project(t)
	out := filepath.Join(workDir(t), "dist-"+key)
	o := buildOptions(t, specFile, out, a.version, "debian-12", "el9")
	o.AnyPython = a.any
	// A bare venv (another Python, without the example's packages) cannot
	// import the app: the build skips that check.
	o.NoImport = a.python != ""
	res, err := builder.Build(context.Background(), o)
	if err != nil {
		t.Fatalf("building %s: %v", key, err)
	}
	files := map[string]string{}
	for _, p := range res.Packages {
		files[p.Target.Name] = p.File
	}
	built[key] = files
	return files[targetName]
}

// buildOptions are the options the command line would give builder for
// wsgipack build -f specFile --out out --version v --target ..., with
// SOURCE_DATE_EPOCH=1700000000.
func buildOptions(t *testing.T, specFile, out, v string, targets ...string) builder.Options {
	t.Helper()
	mtime := time.Unix(1700000000, 0).UTC()
	o := builder.Options{SpecFile: specFile, OutDir: out, Time: &mtime}
	if v != "" {
		pv, err := version.Parse(v)
		if err != nil {
			t.Fatal(err)
		}
		o.Version = &pv
	}
	for _, name := range targets {
		rel, err := distro.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		o.Targets = append(o.Targets, rel)
	}
	return o
}

// project makes the app's project: a copy of testdata/example with the
// spec edits and files, and a venv made by testdata/mkvenv.sh.
func (a app) project(t *testing.T) (specFile string) {
	t.Helper()
	dir := filepath.Join(workDir(t), "project-"+a.name+"-"+a.version)
	if a.python != "" {
		dir += "-py" + a.python
	}
	specFile = filepath.Join(dir, "wsgipack.yaml")
	if _, err := os.Stat(filepath.Join(dir, "venv", "pyvenv.cfg")); err == nil {
		return specFile // made earlier in this run
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ex := filepath.Join(repo, "testdata", "example")
	for _, p := range []string{"src", "config", "migrations", "wsgipack.yaml"} {
		if out, err := exec.Command("cp", "-R", filepath.Join(ex, p), filepath.Join(dir, p)).CombinedOutput(); err != nil {
			t.Fatalf("copying the example: %v\n%s", err, out)
		}
	}
	data, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for from, to := range a.spec {
		if !strings.Contains(s, from) {
			t.Fatalf("%s: the example spec has no %q", a.name, from)
		}
		s = strings.ReplaceAll(s, from, to)
	}
	if err := os.WriteFile(specFile, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, content := range a.files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sh", filepath.Join(repo, "testdata", "mkvenv.sh"), filepath.Join(dir, "venv"), "python3")
	if a.python != "" {
		cmd = exec.Command(pyenvPython(t, a.python), "-m", "venv", filepath.Join(dir, "venv"))
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	return specFile
}

// pyenvPython finds a CPython X.Y of pyenv (the machine's other Pythons).
func pyenvPython(t *testing.T, xy string) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", "ls -d \"$(pyenv root 2>/dev/null || echo $HOME/.pyenv)\"/versions/"+xy+".*/bin/python"+xy+" | tail -n 1").Output()
	p := strings.TrimSpace(string(out))
	if err != nil || p == "" {
		t.Fatalf("no pyenv CPython %s on this machine (pyenv versions): %v", xy, err)
	}
	return p
}

var (
	workOnce sync.Once
	work     string
)

// workDir is a directory for projects and packages shared by the tests of
// one run (under the first test's temporary directory would vanish with that
// test; the OS's temp cleaning removes it).
func workDir(t *testing.T) string {
	workOnce.Do(func() {
		var err error
		work, err = os.MkdirTemp("", "wsgipack-e2e-work-")
		if err != nil {
			panic(err)
		}
	})
	return work
}

// badConfDeb returns badconf's deb with a directive Apache rejects added to
// its config: what a hand-edited or buggy config does to a server.
func badConfDeb(t *testing.T) string {
	t.Helper()
	deb := badconf.pkg(t, "debian-12")
	dir := filepath.Join(workDir(t), "badconf-raw")
	out := filepath.Join(workDir(t), "badconf_broken.deb")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	for _, args := range [][]string{
		{"dpkg-deb", "-R", deb, dir},
		{"sh", "-c", "echo 'WSGIThisIsNotADirective on' >> " + dir + "/etc/apache2/conf-available/badconf.conf"},
		{"dpkg-deb", "-Zgzip", "-b", dir, out},
	} {
		if o, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, o)
		}
	}
	return out
}

// report prints one line per scenario step, in the run's output.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log(line)
	fmt.Printf("e2e %-28s %s\n", t.Name(), line)
}

// mustContain fails the test when out lacks any of wants.
func mustContain(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

// fields reads the JSON object the example app answers with, each value
// as fmt prints it (lists as [a b]).
func fields(t *testing.T, body string) map[string]string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("the app's answer is not JSON: %v\n%s", err, body)
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}
