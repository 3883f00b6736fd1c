package spec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/golden"
)

// project makes a minimal valid project and returns its directory.
func project(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"src/app", "venv/lib/python3.11/site-packages", "config", "static"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]string{
		"venv/pyvenv.cfg":     "home = /usr/bin\nversion = 3.11.7\n",
		"config/settings.ini": "[app]\n",
		"src/app/__init__.py": "",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const validSpec = `name: inventory
version: 1.4.2
summary: Inventory web service
maintainer: Ops Team <ops@example.com>
license: MIT
app:
  source: src
  wsgi: app.web:application
venv: venv
targets: [debian-12, el9]
`

func load(t *testing.T, dir, spec string) (*Spec, error) {
	t.Helper()
	file := filepath.Join(dir, "wsgipack.yaml")
	if err := os.WriteFile(file, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(file)
}

func TestLoadValid(t *testing.T) {
	dir := project(t)
	s, err := load(t, dir, validSpec+"apache:\n  static:\n    /static: app/static\n")
	if err != nil {
		t.Fatalf("valid spec rejected:\n%v", err)
	}
	if s.Release != 1 || s.User != "inventory" || s.Apache.Mount != "/" || s.Apache.Processes != 2 ||
		s.Apache.Threads != 15 || s.Description != s.Summary || !s.CompileBytecode() {
		t.Errorf("defaults not applied: %+v", s)
	}
}

// TestOddButValidText: values that are odd but harmless reach the spec
// unchanged: quotes at both ends, leading spaces, a tab, non-ASCII text.
func TestOddButValidText(t *testing.T) {
	dir := project(t)
	s, err := load(t, dir, validSpec+"environment:\n  QUOTED: \"'both ends'\"\n  SPACED: \"  leading\"\n  TAB: \"a\\tb\"\n  UNICODE: \"Grüße – ok\"\n")
	if err != nil {
		t.Fatalf("rejected:\n%v", err)
	}
	for k, want := range map[string]string{"QUOTED": "'both ends'", "SPACED": "  leading", "TAB": "a\tb", "UNICODE": "Grüße – ok"} {
		if s.Environment[k] != want {
			t.Errorf("%s = %q, want %q", k, s.Environment[k], want)
		}
	}
}

// TestDependsInEachFormatsSyntax: each target's depends are written in
// its format's relation syntax.
func TestDependsInEachFormatsSyntax(t *testing.T) {
	dir := project(t)
	s, err := load(t, dir, validSpec+"depends:\n  debian-12: [\"libpq5 (>= 13)\", libssl3]\n  el9: [\"libpq >= 13\", \"perl(DBI)\"]\n")
	if err != nil {
		t.Fatalf("relations in each format's syntax rejected:\n%v", err)
	}
	if len(s.Depends["debian-12"]) != 2 || len(s.Depends["el9"]) != 2 {
		t.Errorf("depends: %v", s.Depends)
	}
}

// TestLoadInvalid is the bad-spec table: each broken spec must be refused
// with a message that names the place and says what to do.
func TestLoadInvalid(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(validSpec, old) {
			panic(old)
		}
		return strings.Replace(validSpec, old, new, 1)
	}
	tests := []struct {
		name string
		spec string
		want []string // substrings of the error, in order of appearance
	}{
		{"unknown top-level key", validSpec + "colour: blue\n", []string{`wsgipack.yaml:11:1: colour: unknown key "colour"; known keys here:`}},
		{"unknown nested key", validSpec + "apache:\n  port: 80\n", []string{`:12:3: apache.port: unknown key "port"`}},
		{"wrong type list", replace("targets: [debian-12, el9]", "targets: debian-12"), []string{`:10:10: targets: must be a list`}},
		{"wrong type int", validSpec + "apache:\n  processes: many\n", []string{`:12:14: apache.processes: must be a whole number, not "many"`}},
		{"wrong type bool", validSpec + "bytecode: sometimes\n", []string{`:11:11: bytecode: must be true or false`}},
		{"mapping for string", replace("venv: venv", "venv: {path: venv}"), []string{`:9:7: venv: must be a single value`}},
		{"yaml syntax", validSpec + "app: [\n", []string{`invalid YAML`}},
		{"empty file", "", []string{`the file is empty`}},
		{"not a mapping", "- a\n- b\n", []string{`the file must be a mapping`}},
		{"missing required", "name: inventory\n", []string{"summary: is required", "maintainer: is required", "license: is required", "app.source: is required", "app.wsgi: is required", "venv: is required", "targets: is required"}},
		{"bad name", replace("name: inventory", "name: Inventory_App"), []string{`:1:7: name: "Inventory_App" is not a valid name`}},
		{"name too long", replace("name: inventory", "name: "+strings.Repeat("a", 33)), []string{`name: "aaaa`, "2 to 32"}},
		{"bad version", replace("version: 1.4.2", "version: 1.4.x"), []string{`:2:10: version: version "1.4.x" is neither SemVer`}},
		{"bad maintainer", replace("maintainer: Ops Team <ops@example.com>", "maintainer: ops"), []string{`maintainer: "ops" is not 'Name <email>'`}},
		{"long summary", replace("summary: Inventory web service", "summary: "+strings.Repeat("x", 81)), []string{"summary: must be one line of at most 80 characters"}},
		{"source missing", replace("source: src", "source: nowhere"), []string{`:7:11: app.source: nowhere does not exist`}},
		{"source escapes", replace("source: src", "source: ../src"), []string{`app.source: "../src" must be a path inside the project`}},
		{"source absolute", replace("source: src", "source: /etc"), []string{`app.source: "/etc" must be a path inside the project`}},
		{"wsgi not module:callable", replace("wsgi: app.web:application", "wsgi: app/web.py"), []string{`:8:9: app.wsgi: "app/web.py" is neither module:callable`}},
		{"wsgi factory with args", replace("wsgi: app.web:application", "wsgi: app.web:create(1)"), []string{`app.wsgi: "app.web:create(1)" is neither`}},
		{"venv not a venv", replace("venv: venv", "venv: src"), []string{`venv: src has no pyvenv.cfg`}},
		{"secret not a name", validSpec + "secrets: [SECRET-KEY]\n", []string{`secrets[0]: "SECRET-KEY" is not a variable name`}},
		{"secret twice", validSpec + "secrets: [KEY, KEY]\n", []string{`secrets[1]: KEY is listed twice`}},
		{"secret with a value", validSpec + "environment:\n  KEY: in the package\nsecrets: [KEY]\n", []string{`secrets[0]: KEY also has a value under environment`}},
		{"directive acting as root", validSpec + "apache:\n  directives:\n    - LoadModule evil_module /tmp/evil.so\n", []string{`apache.directives[0]: LoadModule is not allowed in an app's config (it acts as root or on the whole server); allowed: Header,`}},
		{"directive: piped log", validSpec + "apache:\n  directives:\n    - CustomLog \"|/bin/sh -c id\" common\n", []string{`apache.directives[0]: CustomLog is not allowed`}},
		{"directive: include", validSpec + "apache:\n  directives:\n    - Include /etc/shadow\n", []string{`apache.directives[0]: Include is not allowed`}},
		{"directive: section not closed", validSpec + "apache:\n  directives:\n    - <Location /admin>\n    - Require ip 10.0.0.0/8\n", []string{`apache.directives: <Location> is not closed: add </Location>`}},
		{"directive: section not open", validSpec + "apache:\n  directives:\n    - </Location>\n", []string{`apache.directives[0]: </Location> closes a section that is not open`}},
		{"directive: two lines", validSpec + "apache:\n  directives:\n    - \"Header set A b\\nLoadModule x /tmp/x.so\"\n", []string{`apache.directives[0]: holds the control character or line break U+000A`}},
		{"unknown target", replace("[debian-12, el9]", "[debian-12, centos-7]"), []string{`:10:22: targets[1]: unknown target "centos-7"; known targets:`}},
		{"duplicate target", replace("[debian-12, el9]", "[el9, el9]"), []string{`targets[1]: el9 is listed twice`}},
		{"depends for other target", validSpec + "depends:\n  el8: [libpq]\n", []string{`depends.el8: "el8" is not in targets`}},
		{"rpm syntax for a deb target", validSpec + "depends:\n  debian-12: [\"libpq5 >= 13\"]\n", []string{`depends.debian-12[0]: "libpq5 >= 13" is not a Debian package name, optionally with a version as 'libpq5 (>= 13)' (debian-12 is a deb target)`}},
		{"Debian syntax for an rpm target", validSpec + "depends:\n  el9: [\"libpq (>= 13)\"]\n", []string{`depends.el9[0]: "libpq (>= 13)" is Debian's syntax; rpm's is 'name >= version'`}},
		{"bad rpm relation", validSpec + "depends:\n  el9: [\"libpq >= \"]\n", []string{`depends.el9[0]: "libpq >= " is not an rpm dependency`}},
		{"bad mount", validSpec + "apache:\n  mount: inventory/\n", []string{`apache.mount: "inventory/" must be a URL path`}},
		{"too many processes", validSpec + "apache:\n  processes: 500\n", []string{"apache.processes: must be between 1 and 64"}},
		{"static outside", validSpec + "apache:\n  static:\n    /static: ../etc\n", []string{`apache.static./static: "../etc" must be a clean path relative to /opt/inventory`}},
		{"reserved user", validSpec + "user: www-data\n", []string{`user: "www-data" is a system account`}},
		{"newline in maintainer", replace("maintainer: Ops Team <ops@example.com>", `maintainer: "Ops <ops@example.com>\nEssential: yes"`), []string{"maintainer: holds the control character or line break U+000A: it must be one line"}},
		{"newline in license", replace("license: MIT", `license: "MIT\n\nFiles: *"`), []string{"license: holds the control character or line break U+000A"}},
		{"carriage return in summary", replace("summary: Inventory web service", `summary: "Inventory\rweb"`), []string{"summary: holds the control character or line break U+000D"}},
		{"carriage return in description", validSpec + "description: \"one\\rtwo\"\n", []string{"description: holds the control character or line break U+000D: it must be text with newlines only"}},
		{"newline in a static directory", validSpec + "apache:\n  static:\n    /static: \"app\\nSetEnv INJECTED 1\"\n", []string{"apache.static./static: holds the control character or line break U+000A"}},
		{"line separator in an environment value", validSpec + "environment:\n  A: \"x\\u2028LD_PRELOAD=/tmp/evil.so\"\n", []string{"environment.A: holds the control character or line break U+2028"}},
		{"config over a system file", validSpec + "config:\n  - source: config/settings.ini\n    dest: /etc/passwd\n", []string{`config[0].dest: "/etc/passwd" must be a clean absolute file path under /etc/inventory/`}},
		{"config as a cron job", validSpec + "config:\n  - source: config/settings.ini\n    dest: /etc/cron.d/x\n", []string{`config[0].dest: "/etc/cron.d/x" must be a clean absolute file path under /etc/inventory/`}},
		{"config with a space", validSpec + "config:\n  - source: config/settings.ini\n    dest: /etc/inventory/a b\n", []string{`config[0].dest: "/etc/inventory/a b" must be a clean absolute file path under /etc/inventory/ without spaces`}},
		{"name of a system directory", replace("name: inventory", "name: ssl"), []string{`name: "ssl" belongs to the system`, "would take over /etc/ssl"}},
		{"name of an Apache package", replace("name: inventory", "name: apache2"), []string{`name: "apache2" belongs to the system`}},
		{"name of an account", replace("name: inventory", "name: backup"), []string{`name: "backup" belongs to the system`}},
		{"bad env key", validSpec + "environment:\n  1BAD: x\n", []string{`environment.1BAD: "1BAD" is not a variable name`}},
		{"config outside etc", validSpec + "config:\n  - source: config/settings.ini\n    dest: /opt/x.ini\n", []string{`config[0].dest: "/opt/x.ini" must be a clean absolute file path under /etc`}},
		{"config missing source", validSpec + "config:\n  - source: config/nope.ini\n    dest: /etc/inventory/x.ini\n", []string{`config[0].source: config/nope.ini does not exist`}},
		{"config on environment file", validSpec + "config:\n  - source: config/settings.ini\n    dest: /etc/inventory/environment\n", []string{`is already used`}},
		{"writable in venv", validSpec + "writable: [venv/cache]\n", []string{`writable[0]: "venv/cache": the venv and the entry script stay read-only`}},
		{"files over app", validSpec + "app:\n  files:\n    app: config\n", []string{`already defined`}},
		{"venv_keep unknown", validSpec + "venv_keep: [requests]\n", []string{`venv_keep[0]: "requests" is not one of pip, setuptools, wheel`}},
		{"empty hook", validSpec + "hooks:\n  post_install: [\"  \"]\n", []string{"hooks.post_install[0]: must be one non-empty command line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := project(t)
			_, err := load(t, dir, tt.spec)
			if err == nil {
				t.Fatal("accepted; want an error")
			}
			if !errors.As(err, new(Problems)) {
				t.Fatalf("error is %T, want Problems (exit code 2): %v", err, err)
			}
			msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error does not contain %q (in order):\n%s", w, msg)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	dir := project(t)
	spec := strings.NewReplacer("name: inventory", "name: X", "version: 1.4.2", "version: nope", "source: src", "source: missing").Replace(validSpec)
	_, err := load(t, dir, spec)
	if ps, ok := err.(Problems); !ok || len(ps) != 3 {
		t.Fatalf("want 3 problems in one report, got %v", err)
	}
}

func TestSchemaUpToDate(t *testing.T) {
	got, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("..", "..", "specs", "wsgipack.schema.json"), got)
}

// TestReferenceSpec keeps specs/wsgipack.yaml complete: it parses strictly
// and sets every field of the Spec type.
func TestReferenceSpec(t *testing.T) {
	file := filepath.Join("..", "..", "specs", "wsgipack.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, r := parse(file, data)
	if len(r.problems) > 0 {
		t.Fatalf("reference spec does not parse:\n%v", r.problems)
	}
	var missing []string
	for _, f := range allFields("", specType) {
		if _, ok := r.positions[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		t.Errorf("reference spec lacks fields: %s", strings.Join(missing, ", "))
	}
}

var specType = reflect.TypeOf(Spec{})

// allFields lists the dotted paths of every struct field below t.
func allFields(prefix string, t reflect.Type) []string {
	var out []string
	for name, f := range yamlFields(t) {
		p := join(prefix, name)
		out = append(out, p)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			out = append(out, allFields(p, ft)...)
		}
	}
	return out
}

func TestSkeletonIsValid(t *testing.T) {
	dir := project(t)
	file := filepath.Join(dir, "wsgipack.yaml")
	if err := WriteSkeleton(file, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteSkeleton(file, false); err == nil {
		t.Error("overwrote an existing spec without --force")
	}
	data, _ := os.ReadFile(file)
	if _, r := parse(file, data); len(r.problems) > 0 {
		err := r.problems
		t.Fatalf("init writes a spec that does not parse:\n%v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(validSpec))
	f.Add([]byte("app: {files: {a: b}}\napache: {static: {/s: x}}\nhooks: {post_install: [x]}\n"))
	f.Add([]byte("targets: &a [x]\ndepends: {x: *a}\n"))
	f.Add([]byte("name: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, r := parse("fuzz.yaml", data)
		if len(r.problems) == 0 && s == nil {
			t.Fatal("nil spec without problems")
		}
		for _, p := range r.problems {
			if p.File != "fuzz.yaml" || p.Msg == "" {
				t.Fatalf("problem without file or message: %+v", p)
			}
		}
	})
}
