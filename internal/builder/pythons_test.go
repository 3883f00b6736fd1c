package builder

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

// pythonsProject is the example app with one venv per Python X.Y in
// venv-X.Y, each made by testdata/mkvenv.sh with that Python, and a spec
// that lists them under venv.
func pythonsProject(t *testing.T, targets string, pythons ...string) (dir, specFile string) {
	t.Helper()
	dir = t.TempDir()
	run(t, "cp", "-R", filepath.Join(repo, "testdata/example/src"), filepath.Join(repo, "testdata/example/config"),
		filepath.Join(repo, "testdata/example/migrations"), filepath.Join(repo, "testdata/example/wsgipack.yaml"), dir)
	var field []string
	for _, py := range pythons {
		python := "python3"
		if py != "3.11" {
			python = testtool.PyenvPython(t, py)
		}
		cmd := exec.Command("sh", filepath.Join(repo, "testdata/mkvenv.sh"), filepath.Join(dir, "venv-"+py), python)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mkvenv.sh %s: %v\n%s", py, err, out)
		}
		field = append(field, `"`+py+`": venv-`+py)
	}
	specFile = filepath.Join(dir, "wsgipack.yaml")
	data, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "\nvenv: venv\n", "\nvenv: {"+strings.Join(field, ", ")+"}\n", 1)
	text = strings.Replace(text, "\ntargets: [debian-12, el9]\n", "\ntargets: "+targets+"\n", 1)
	if !strings.Contains(text, "venv: {") || !strings.Contains(text, "targets: "+targets) {
		t.Fatal("the example spec no longer has 'venv: venv' and 'targets: [debian-12, el9]'")
	}
	if err := os.WriteFile(specFile, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, specFile
}

// TestVenvPerPython builds one spec with a venv per Python for targets
// whose mod_wsgi Pythons differ: each package holds the venv of its
// target's Python, depends on that Python and its mod_wsgi, and has its
// bytecode; a target with no venv of its Pythons, a venv of another Python
// than its key and an unused venv are reported.
func TestVenvPerPython(t *testing.T) {
	need(t, "dpkg-deb", "rpm", "python3.11")
	dir, specFile := pythonsProject(t, "[debian-11, debian-12, el8, el9]", "3.9", "3.11")
	out := t.TempDir()
	var warnings []string
	o := opts(specFile, out)
	o.Warn = func(w string) { warnings = append(warnings, w) }
	res, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Python != "3.9, 3.11" || len(res.Packages) != 4 {
		t.Fatalf("result: Python %q, %d packages", res.Python, len(res.Packages))
	}
	for _, w := range warnings {
		if strings.Contains(w, "venv.") {
			t.Errorf("warning: %s", w)
		}
	}
	for _, tt := range []struct {
		file, python, depends string
	}{
		{"inventory_1.4.2-1+deb11_amd64.deb", "3.9", "Depends: python3.9, libapache2-mod-wsgi-py3, apache2"},
		{"inventory_1.4.2-1+deb12_amd64.deb", "3.11", "Depends: python3.11, libapache2-mod-wsgi-py3, apache2"},
		// el8's default Python is 3.6: the newest it offers with a venv.
		{"inventory-1.4.2-1.el8.x86_64.rpm", "3.11", "python3.11-mod_wsgi"},
		// el9's default Python 3.9 has a venv.
		{"inventory-1.4.2-1.el9.x86_64.rpm", "3.9", "python3-mod_wsgi"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			pkg := filepath.Join(out, tt.file)
			var list, deps string
			if strings.HasSuffix(pkg, ".deb") {
				list = run(t, "dpkg-deb", "--contents", pkg)
				deps = run(t, "dpkg-deb", "--info", pkg)
			} else {
				list = run(t, "rpm", "-qlvp", pkg)
				deps = run(t, "rpm", "-qRp", pkg)
			}
			for _, want := range []string{
				"/opt/inventory/package/venv/bin/python" + tt.python + " -> /usr/bin/python" + tt.python,
				"/opt/inventory/package/venv/lib/python" + tt.python + "/site-packages/fastsum/",
				"/opt/inventory/package/app/inventory/__pycache__/web.cpython-" + strings.ReplaceAll(tt.python, ".", "") + ".pyc",
			} {
				if !strings.Contains(list, want) {
					t.Errorf("%s lacks %s", tt.file, want)
				}
			}
			other := map[string]string{"3.9": "3.11", "3.11": "3.9"}[tt.python]
			if strings.Contains(list, "python"+other) {
				t.Errorf("%s holds files of Python %s", tt.file, other)
			}
			if !strings.Contains(deps, tt.depends) {
				t.Errorf("%s does not depend on %q:\n%s", tt.file, tt.depends, deps)
			}
		})
	}

	t.Run("problems", func(t *testing.T) {
		for _, tt := range []struct {
			name    string
			targets []string
			edit    func(string) string
			want    []string
		}{
			{"no venv for the target's Python", []string{"debian-13", "el10"}, nil, []string{
				`venv: debian-13 needs a venv for Python 3.13 (it has mod_wsgi only for Python 3.13), and the spec has none: add "3.13": <a venv made with python3.13> under venv, or drop the target`,
				`venv: el10 needs a venv for Python 3.12`}},
			{"venv of another Python", []string{"debian-12"}, func(s string) string {
				return strings.Replace(s, `"3.9": venv-3.9`, `"3.9": venv-3.11`, 1)
			}, []string{`venv.3.9: venv-3.11 is a Python 3.11 venv, not 3.9: create it with python3.9`}},
			{"entry point missing in one venv", []string{"debian-11", "debian-12"}, func(s string) string {
				if err := os.RemoveAll(filepath.Join(dir, "venv-3.9/lib/python3.9/site-packages/invutil")); err != nil {
					t.Fatal(err)
				}
				return s
			}, []string{"venv.3.9: ", "invutil"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if tt.edit != nil {
					data, err := os.ReadFile(specFile)
					if err != nil {
						t.Fatal(err)
					}
					edited := filepath.Join(dir, "edited.yaml")
					if err := os.WriteFile(edited, []byte(tt.edit(string(data))), 0o644); err != nil {
						t.Fatal(err)
					}
					o := opts(edited, t.TempDir())
					o.Targets = releases(t, tt.targets...)
					_, err = Check(context.Background(), o)
					wantError(t, err, dir, tt.want)
					return
				}
				o := opts(specFile, t.TempDir())
				o.Targets = releases(t, tt.targets...)
				_, err := Check(context.Background(), o)
				wantError(t, err, dir, tt.want)
			})
		}
	})

	t.Run("unused venv", func(t *testing.T) {
		var warnings []string
		data, err := os.ReadFile(specFile)
		if err != nil {
			t.Fatal(err)
		}
		only12 := filepath.Join(dir, "only12.yaml")
		if err := os.WriteFile(only12, []byte(strings.Replace(string(data), "targets: [debian-11, debian-12, el8, el9]", "targets: [debian-12]", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		o := opts(only12, t.TempDir())
		o.Warn = func(w string) { warnings = append(warnings, w) }
		if _, err := Check(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(warnings, func(w string) bool {
			// Placed where the spec writes it: only12.yaml:LINE:COL: venv.3.9: ...
			place, msg, _ := strings.Cut(w, ": ")
			return strings.HasPrefix(place, only12+":") && strings.HasPrefix(msg, "venv.3.9: no target is built from this Python 3.9 venv")
		}) {
			t.Errorf("no warning about the unused venv: %q", warnings)
		}
	})
}
