package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/spec"
)

// TestCheckAgreesWithBuild runs check and build on hostile and odd specs:
// check must refuse exactly what build refuses, with the same error, so
// that a spec that passes check in review does not fail in the release
// job. The project is a stand-in (a venv without an interpreter) so that
// this runs in a second.
func TestCheckAgreesWithBuild(t *testing.T) {
	base := "name: agree\nversion: 1.0\nsummary: Web app for the agreement test\ndescription: Checks check.\n" +
		"maintainer: Ops <ops@example.com>\nlicense: MIT\napp: {source: src, wsgi: demo:app}\nvenv: venv\n" +
		"targets: [debian-12, el9]\n"
	tests := []struct {
		name, extra string
		ok          bool
	}{
		{"valid", "", true},
		{"odd but valid values", "environment: {A: \"$(id) `id` 'x\", B: \"a=b#c\"}\napache: {mount: \"/a'b(c)\", static: {\"/s\": app}}\n", true},
		{"config nested in config", "config:\n  - {source: src/demo.py, dest: /etc/agree/a}\n  - {source: src/demo.py, dest: /etc/agree/a/b}\n", false},
		{"config is the config directory", "config:\n  - {source: src/demo.py, dest: /etc/agree}\n", false},
		{"config on the environment file", "config:\n  - {source: src/demo.py, dest: /etc/agree/environment}\n", false},
		{"files nested in a file", "app: {source: src, wsgi: demo:app, files: {extra: src/demo.py, extra/x: src/demo.py}}\n", false},
		{"files twice", "app: {source: src, wsgi: demo:app, files: {extra: src/demo.py}}\napp2: x\n", false},
		{"files inside writable", "app: {source: src, wsgi: demo:app, files: {data/x: src/demo.py}}\nwritable: [data]\n", false},
		{"writable over a shipped file", "writable: [app/other.py]\n", true}, // left out with a warning
		{"writable over the entry point's module", "writable: [app/demo.py]\n", false},
		{"writable nested", "writable: [app/a, app/a/b]\n", false},
		{"writable inside a shipped file", "writable: [app/demo.py/cache]\n", false},
		{"static dir that does not exist", "apache: {static: {\"/s\": nowhere}}\n", true},
		{"user named root", "user: root\n", false},
		{"name defaults user to a system account", "", false},
		{"summary starting with the name", "summary: agree-ing web app\n", false},
		{"processes overflow", "apache: {processes: 18446744073709551615}\n", false},
		{"second document", "---\nuser: root\n", false},
		{"secret in the environment", "environment: {API_KEY: abc}\n", true},
		{"huge description", "description: |\n" + strings.Repeat("  "+strings.Repeat("word ", 14)+"word\n", 12000), true},
		{"long hooks and many environment values", "hooks: {post_install: [\"" + strings.Repeat("x", 60000) + "\"]}\nenvironment: {" + manyVars(1000) + "}\n", true},
		{"static alias of the whole tree", "apache: {static: {\"/\": .}}\n", false},
		{"writable is the app", "writable: [app]\n", false},
		{"directive acting as root", "apache: {directives: [\"LoadModule evil_module /tmp/evil.so\"]}\n", false},
		{"allowed directives", "apache: {pass_authorization: false, directives: [\"<Location /admin>\", \"Require ip 192.0.2.0/24\", \"</Location>\"]}\n", true},
		{"secret with a value", "environment: {TOKEN: abc}\nsecrets: [TOKEN]\n", false},
		{"generated secret", "secrets: [SECRET_KEY]\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range []string{"src", "venv/lib/python3.11/site-packages"} {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			text := base + tt.extra
			switch tt.name {
			case "files twice":
				text = strings.Replace(text, "app: {source: src, wsgi: demo:app}\n", "", 1)
			case "name defaults user to a system account":
				text = strings.Replace(text, "name: agree", "name: nobody", 1)
			case "huge description":
				text = strings.Replace(text, "description: Checks check.\n", "", 1)
			case "summary starting with the name":
				text = strings.Replace(text, "summary: Web app for the agreement test\n", "", 1)
			}
			if strings.Contains(tt.extra, "app: {") && tt.name != "files twice" {
				text = strings.Replace(text, "app: {source: src, wsgi: demo:app}\n", "", 1)
			}
			files := map[string]string{
				"venv/pyvenv.cfg": "home = /usr/bin\nversion = 3.11.7\n",
				"src/demo.py":     "def app(environ, start_response):\n    return []\n",
				"src/other.py":    "",
				"wsgipack.yaml":   text,
			}
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			file := filepath.Join(dir, "wsgipack.yaml")
			var checkWarn, buildWarn []string
			o := opts(file, filepath.Join(dir, "dist"))
			o.NoBytecode = true
			o.NoImport = true // the venvs here are files only: no Python to import with
			o.Warn = func(w string) { checkWarn = append(checkWarn, w) }
			_, checkErr := Check(context.Background(), o)
			o.Warn = func(w string) { buildWarn = append(buildWarn, w) }
			_, buildErr := Build(context.Background(), o)
			if (checkErr == nil) != tt.ok || (buildErr == nil) != tt.ok {
				t.Fatalf("want ok=%v; check: %v\nbuild: %v", tt.ok, checkErr, buildErr)
			}
			if checkErr != nil && checkErr.Error() != buildErr.Error() {
				t.Errorf("check and build disagree:\ncheck: %v\nbuild: %v", checkErr, buildErr)
			}
			// A conflict with the project's files is a failed check (exit
			// 1); every other refusal here is the spec's (exit 2).
			if checkErr != nil && !errors.As(checkErr, new(spec.Problems)) && tt.name != "writable inside a shipped file" && tt.name != "writable over the entry point's module" {
				t.Errorf("a spec problem is not reported as one (exit code 2): %v", checkErr)
			}
			if strings.Join(checkWarn, "\n") != strings.Join(buildWarn, "\n") {
				t.Errorf("warnings differ:\ncheck: %v\nbuild: %v", checkWarn, buildWarn)
			}
			if tt.name == "secret in the environment" && !strings.Contains(strings.Join(checkWarn, "\n"), "secrets do not belong in a package") {
				t.Errorf("no warning about the secret: %v", checkWarn)
			}
		})
	}
}

// manyVars returns n environment variables in YAML flow style.
func manyVars(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("V" + strconv.Itoa(i) + ": value" + strconv.Itoa(i))
	}
	return b.String()
}

// TestHookPaths: a hook naming a path under /opt/<name> is warned about
// (hooks run in the new release's directory); relative paths are not.
func TestHookPaths(t *testing.T) {
	s := &spec.Spec{Name: "inventory", Hooks: spec.Hooks{
		PostInstall: []string{"python -m inventory.migrate migrations", "python -m inventory.migrate /opt/inventory/migrations"},
		PreRemove:   []string{"cp /var/lib/inventory/db /tmp"},
	}}
	w := hookPaths(s, layout.For("inventory"))
	if len(w) != 1 || !strings.Contains(w[0], `hooks.post_install[1]: "python -m inventory.migrate /opt/inventory/migrations" names a path under /opt/inventory`) {
		t.Errorf("warnings: %q", w)
	}
}
