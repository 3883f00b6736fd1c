package spec

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gobwas/glob"
)

// initProject copies testdata/init/<name> into a new directory and, when
// venvDir is set, adds a stand-in venv there.
func initProject(t *testing.T, name, venvDir string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "testdata", "init", name))); err != nil {
		t.Fatal(err)
	}
	if venvDir != "" {
		if err := os.MkdirAll(filepath.Join(dir, venvDir, "lib/python3.11/site-packages"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, venvDir, "pyvenv.cfg"), []byte("home = /usr/bin\nversion = 3.11.2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestInit runs init on the fixture projects and checks the spec it
// writes, loaded (and so validated) as check loads it.
func TestInit(t *testing.T) {
	tests := []struct {
		fixture, venv string
		want          Spec
		framework     string
		todos         []string // substrings, one per TODO, in order
		// tests and notTests are files (relative to the project) that
		// app.exclude must and must not leave out.
		tests, notTests []string
	}{
		{fixture: "flaskr", venv: ".venv", framework: "Flask",
			want: Spec{Name: "flaskr", Version: "1.0.0", Summary: "Basic blog app built in the Flask tutorial",
				Maintainer: "Pallets <contact@palletsprojects.com>", License: "BSD-3-Clause", Homepage: "https://flask.palletsprojects.com/tutorial/",
				App: App{Source: ".", WSGI: "flaskr:create_app()"}, Venv: OneVenv(".venv"),
				Apache:      Apache{Static: map[string]string{"/static": "app/flaskr/static"}},
				Environment: map[string]string{"FLASKR_STATE": "/var/lib/flaskr"}, Writable: []string{"app/instance"}},
			tests: []string{"tests/conftest.py", "tests/test_factory.py", "dist/flaskr_1.0.0-1+deb12_all.deb", "wsgipack.yaml", "instance/flaskr.sqlite"}, notTests: []string{"flaskr/__init__.py", "flaskr/db.py", "flaskr/static/style.css"}},
		{fixture: "flask-module", venv: "venv", framework: "Flask",
			want: Spec{Name: "stock-ticker", Version: "2.3.1", Summary: "Shows the stock prices of the day",
				Maintainer: "Jane Doe <jane@example.com>", License: "MIT", Homepage: "https://example.com/ticker",
				App: App{Source: ".", WSGI: "app:app"}, Venv: OneVenv("venv"),
				Apache:      Apache{Static: map[string]string{"/static": "app/static"}},
				Environment: map[string]string{"STOCK_TICKER_STATE": "/var/lib/stock-ticker"}, Secrets: []string{"FLASK_SECRET_KEY"}},
			todos: []string{".env is left out of the package: put its variables under environment"},
			tests: []string{"test_app.py", ".env"}, notTests: []string{"app.py", "ticker.py"}},
		{fixture: "django", venv: "env", framework: "Django",
			want: Spec{Name: "mysite", Version: "0.4.0", Summary: "Polls app for the office",
				Maintainer: "Web Team <web@example.com>", License: "Apache-2.0", Homepage: "https://polls.example.com",
				App: App{Source: ".", WSGI: "mysite.wsgi:application"}, Venv: OneVenv("env"),
				Apache:      Apache{Static: map[string]string{"/static": "app/staticfiles"}},
				Environment: map[string]string{"MYSITE_STATE": "/var/lib/mysite", "DJANGO_SETTINGS_MODULE": "mysite.settings"},
				Secrets:     []string{"DJANGO_SECRET_KEY"}, Writable: []string{"app/staticfiles"},
				Hooks: Hooks{PostInstall: []string{"python app/manage.py migrate --noinput", "python app/manage.py collectstatic --noinput"}}},
			todos: []string{`make mysite.settings read the generated key: SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]`, "ALLOWED_HOSTS is empty in mysite.settings",
				`the SQLite database of mysite.settings is BASE_DIR / 'db.sqlite3' (app/db.sqlite3), inside the release`},
			tests: []string{"polls/tests.py", "db.sqlite3", "staticfiles/admin/base.css"}, notTests: []string{"manage.py", "mysite/wsgi.py", "mysite/settings.py", "polls/views.py"}},
		{fixture: "plain", venv: "venv",
			want: Spec{Name: "hello", Version: "0.1.0", Summary: FallbackSummary, Maintainer: "Ops Team <ops@example.com>", License: "Proprietary",
				App: App{Source: "src", WSGI: "hello.wsgi:application"}, Venv: OneVenv("venv"),
				Environment: map[string]string{"HELLO_STATE": "/var/lib/hello"}},
			todos: []string{"pyproject.toml's version is dynamic", "describe the app in one line", "who answers for the package", "pyproject.toml names the license file LICENSE"},
			tests: []string{"src/hello/tests/test_wsgi.py"}, notTests: []string{"src/hello/wsgi.py"}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			dir := initProject(t, tt.fixture, tt.venv)
			file := filepath.Join(dir, "wsgipack.yaml")
			sk, err := Init(file, false)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(file)
			s, err := Load(file)
			if err != nil {
				t.Fatalf("init wrote a spec that does not load: %v\n%s", err, data)
			}
			if sk.Framework != tt.framework {
				t.Errorf("framework %q, want %q", sk.Framework, tt.framework)
			}
			got := Spec{Name: s.Name, Version: s.Version, Summary: s.Summary, Maintainer: s.Maintainer, License: s.License,
				Homepage: s.Homepage, App: App{Source: s.App.Source, WSGI: s.App.WSGI}, Venv: s.Venv,
				Apache: Apache{Static: s.Apache.Static}, Environment: s.Environment, Secrets: s.Secrets, Writable: s.Writable, Hooks: s.Hooks}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("init wrote\n%+v\nwant\n%+v\n%s", got, tt.want, data)
			}
			if len(sk.TODOs) != len(tt.todos) {
				t.Errorf("TODOs %q, want %d", sk.TODOs, len(tt.todos))
			}
			for i, w := range tt.todos {
				if i < len(sk.TODOs) && !strings.Contains(sk.TODOs[i], w) {
					t.Errorf("TODO %d is %q, want %q", i, sk.TODOs[i], w)
				}
				if !strings.Contains(string(data), "# TODO: ") || !strings.Contains(string(data), w) {
					t.Errorf("the file lacks the TODO %q", w)
				}
			}
			if !strings.HasSuffix(s.Description, "Python web application served by Apache mod_wsgi, packaged with wsgipack.\n") || s.Description == s.Summary {
				t.Errorf("description %q: lintian wants more than the summary", s.Description)
			}
			// The summary passes lintian's checks on the synopsis.
			if strings.HasPrefix(strings.ToLower(s.Summary), s.Name) || strings.HasSuffix(s.Summary, ".") || len(s.Summary) > 80 {
				t.Errorf("summary %q: lintian refuses it", s.Summary)
			}
			excluded := excluder(t, s.App.Exclude)
			for _, f := range tt.tests {
				if !excluded(relTo(t, dir, s.App.Source, f)) {
					t.Errorf("%s is shipped; app.exclude is %q", f, s.App.Exclude)
				}
			}
			for _, f := range tt.notTests {
				if excluded(relTo(t, dir, s.App.Source, f)) {
					t.Errorf("%s is excluded; app.exclude is %q", f, s.App.Exclude)
				}
			}
		})
	}
}

// initParsed runs Init and parses what it wrote (without validating it:
// the project may lack the venv).
func initParsed(t *testing.T, file string) (*Spec, *Skeleton) {
	t.Helper()
	sk, err := Init(file, false)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	s, r := parse(file, data)
	if len(r.problems) > 0 {
		t.Fatalf("init wrote a spec that does not parse: %v\n%s", r.problems, data)
	}
	return s, sk
}

// TestInitNoVenv: without a venv, init still writes a spec that parses,
// naming the venv to create in a TODO.
func TestInitNoVenv(t *testing.T) {
	dir := initProject(t, "flaskr", "")
	file := filepath.Join(dir, "wsgipack.yaml")
	s, sk := initParsed(t, file)
	if p, _ := s.Venv.One(); p != "venv" || len(sk.TODOs) != 1 || !strings.Contains(sk.TODOs[0], "no venv found") {
		t.Errorf("venv %q, TODOs %q", s.Venv, sk.TODOs)
	}
	if _, err := Init(file, false); err == nil {
		t.Error("overwrote an existing spec without --force")
	}
	if _, err := Init(file, true); err != nil {
		t.Errorf("--force: %v", err)
	}
}

func TestSummary(t *testing.T) {
	for _, c := range []struct {
		desc  string
		names []string
		want  string
		check bool // a TODO asks to check it
	}{
		{"", []string{"app"}, FallbackSummary, true},
		{"hello", []string{"hello"}, FallbackSummary, true},
		{"Tracks stock levels for the warehouse team.", []string{"inventory"}, "Tracks stock levels for the warehouse team", false},
		{"Flaskr is the basic blog app. It has posts.", []string{"flaskr"}, "Basic blog app", false},
		{"flaskr: a blog", []string{"flaskr"}, "Blog", true},
		{"The inventory service", []string{"inventory"}, "Service", true},
		{"Stock_Ticker - shows prices of the day", []string{"stock-ticker", "Stock_Ticker"}, "Shows prices of the day", false},
		{"inventoryctl manages stock", []string{"inventory"}, "Inventoryctl manages stock", false},
		{"An app\nover two lines.", []string{"x"}, "App over two lines", false},
		{strings.Repeat("word ", 30), []string{"x"}, "Word" + strings.TrimRight(strings.Repeat(" word", 15), " "), true},
	} {
		got, why := Summary(c.desc, c.names...)
		if got != c.want || (why != "") != c.check {
			t.Errorf("Summary(%q, %q) = %q, %q; want %q (check: %v)", c.desc, c.names, got, why, c.want, c.check)
		}
		if len(got) > 80 || strings.HasSuffix(got, ".") {
			t.Errorf("Summary(%q) = %q: too long or ends with a period", c.desc, got)
		}
	}
}

// excluder matches paths relative to app.source as the payload does.
func excluder(t *testing.T, patterns []string) func(string) bool {
	t.Helper()
	var gs []glob.Glob
	for _, p := range patterns {
		g, err := glob.Compile(p, '/')
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		gs = append(gs, g)
	}
	return func(rel string) bool {
		// A directory on the way that is excluded leaves out all below it.
		parts := strings.Split(rel, "/")
		for i := 1; i <= len(parts); i++ {
			p := strings.Join(parts[:i], "/")
			if slices.ContainsFunc(gs, func(g glob.Glob) bool { return g.Match(p) || (i < len(parts) && g.Match(p+"/")) }) {
				return true
			}
		}
		return false
	}
}

func relTo(t *testing.T, dir, source, f string) string {
	t.Helper()
	rel, err := filepath.Rel(filepath.Join(dir, source), filepath.Join(dir, f))
	if err != nil || !fs.ValidPath(rel) {
		t.Fatalf("%s is not under %s", f, source)
	}
	return filepath.ToSlash(rel)
}

// TestInitName: the project's name when it is a package name of its own,
// else the directory's, else a placeholder; each but the first with a TODO.
func TestInitName(t *testing.T) {
	for _, c := range []struct{ dir, pyproject, want, todo string }{
		{"checkout", `name = "Shop.Front_End"`, "shop-front-end", ""},
		{"My_Shop", `name = "apache"`, "my-shop", `the project's name "apache" is not a package name of its own`},
		{"My_Shop", `description = "no name"`, "my-shop", ""},
		{"001", `name = "9lives"`, "webapp", "name the package"},
		{"cafe", `name = "café-app"`, "caf-app", `made from the project's name "café-app", which has characters a package name cannot`},
		{"cafe", `name = "My App"`, "my-app", ""},
	} {
		dir := filepath.Join(t.TempDir(), c.dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte("[project]\n"+c.pyproject+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		s, sk := initParsed(t, filepath.Join(dir, "wsgipack.yaml"))
		hasTODO := len(sk.TODOs) > 0 && strings.Contains(sk.TODOs[0], c.todo)
		if s.Name != c.want || (c.todo != "" && !hasTODO) || (c.todo == "" && strings.Contains(strings.Join(sk.TODOs, "\n"), "package name")) {
			t.Errorf("%s, %s: name %q, TODOs %q; want %q, %q", c.dir, c.pyproject, s.Name, sk.TODOs, c.want, c.todo)
		}
	}
}

// TestInitLongDescription: a project's description longer than a line is
// written as lines that rpmlint (79 characters) and lintian accept, and the
// spec init writes loads with no problem or warning about it.
func TestInitLongDescription(t *testing.T) {
	dir := initProject(t, "flaskr", ".venv")
	desc := "myapp is a small Flask service that tracks things for the operations team and reports them nightly. " +
		"It keeps its settings in the environment and reads them from .env files when developers run it on their own machines."
	if err := os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte("[project]\nname = \"myapp\"\nversion = \"1.0\"\nlicense = \"MIT\"\n"+
		"authors = [{name = \"A\", email = \"a@example.com\"}]\ndescription = \""+desc+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "wsgipack.yaml")
	if _, err := Init(file, false); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	s, warnings, err := LoadWarn(file)
	if err != nil {
		t.Fatalf("init wrote a spec that does not load: %v\n%s", err, data)
	}
	for _, w := range warnings {
		if w.Field == "description" {
			t.Errorf("warning: %v", w)
		}
	}
	lines := strings.Split(strings.TrimSuffix(s.Description, "\n"), "\n")
	if strings.Join(strings.Fields(s.Description), " ") != strings.Join(strings.Fields(desc+" Python web application served by Apache mod_wsgi, packaged with wsgipack."), " ") {
		t.Errorf("description %q lost words of %q", s.Description, desc)
	}
	for _, l := range lines {
		if len(l) > 79 || strings.HasPrefix(l, ".") {
			t.Errorf("description line %q: over 79 characters or starting with '.'", l)
		}
	}
}

// TestInitTargets: the targets init writes have mod_wsgi for the venv's
// Python (pyvenv.cfg's version, or virtualenv's and uv's version_info).
func TestInitTargets(t *testing.T) {
	for _, c := range []struct{ cfg, want, todo string }{
		{"home = /usr/bin\nversion = 3.11.2\n", "debian-12 el9", ""},
		{"home = /opt/py\nimplementation = CPython\nversion_info = 3.12.1.final.0\n", "ubuntu-24.04 el9", ""},
		{"home = /usr/bin\nversion = 3.13.0\n", "debian-13", ""},
		{"home = /usr/bin\nversion_info = 3.9.18\n", "debian-11 el9", ""},
		{"home = /usr/bin\nversion = 3.7.16\n", "debian-12 el9", "no target has mod_wsgi for the venv's Python 3.7 (they have 3.6, 3.8, 3.9, 3.10, 3.11, 3.12, 3.13)"},
		{"home = /usr/bin\n", "debian-12 el9", ""},
	} {
		dir := initProject(t, "flaskr", ".venv")
		if err := os.WriteFile(filepath.Join(dir, ".venv", "pyvenv.cfg"), []byte(c.cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		s, sk := initParsed(t, filepath.Join(dir, "wsgipack.yaml"))
		if got := strings.Join(s.Targets, " "); got != c.want || (c.todo == "") != (len(sk.TODOs) == 0) || (c.todo != "" && !strings.Contains(sk.TODOs[0], c.todo)) {
			t.Errorf("%q: targets %q, TODOs %q; want %q, %q", c.cfg, got, sk.TODOs, c.want, c.todo)
		}
	}
}

// TestInitSeveralVenvs: with .venv and venv both there, init takes .venv,
// leaves venv out of the package and asks to check the choice.
func TestInitSeveralVenvs(t *testing.T) {
	dir := initProject(t, "flaskr", ".venv")
	if err := os.MkdirAll(filepath.Join(dir, "venv"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "venv", "pyvenv.cfg"), []byte("version = 3.11.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, sk := initParsed(t, filepath.Join(dir, "wsgipack.yaml"))
	if p, _ := s.Venv.One(); p != ".venv" || !slices.Contains(s.App.Exclude, "venv/**") || len(sk.TODOs) != 1 || !strings.Contains(sk.TODOs[0], "there are several venvs (.venv, venv): check that .venv is the one CI builds") {
		t.Errorf("venv %q, exclude %q, TODOs %q", p, s.App.Exclude, sk.TODOs)
	}
}
