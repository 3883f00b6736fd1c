package payload

import (
	"context"
	"crypto/md5"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/spec"
	"github.com/wsgipack/wsgipack/internal/testtool"
	"github.com/wsgipack/wsgipack/internal/venv"
)

// project makes a project with a small app, a config file and a venv that
// needs no interpreter (no bytecode is compiled here: internal/builder's
// tests do that with real venvs).
func project(t *testing.T) (Options, string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"src/demo/__init__.py":                     "",
		"src/demo/web.py":                          "app = None\n",
		"src/demo/instance/cache.txt":              "x\n",
		"config/settings.ini":                      "[demo]\n",
		"venv/pyvenv.cfg":                          "home = /usr/local/bin\nversion = 3.11.7\n",
		"venv/lib/python3.11/site-packages/lib.py": "",
		"venv/bin/activate":                        "VIRTUAL_ENV=" + filepath.Join(dir, "venv") + "\n",
	}
	testtool.WriteFiles(t, dir, files)
	// Left out: site-packages loses its directories without files.
	if err := os.MkdirAll(filepath.Join(dir, "venv/lib/python3.11/site-packages/empty/sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	v, err := venv.Open(filepath.Join(dir, "venv"))
	if err != nil {
		t.Fatal(err)
	}
	s := &spec.Spec{Name: "demo", Version: "1.0", App: spec.App{Source: "src", WSGI: "demo.web:app"}, Venv: spec.OneVenv("venv"),
		Config:   []spec.ConfigFile{{Source: "config/settings.ini", Dest: "/etc/demo/settings.ini"}},
		Writable: []string{"app/demo/instance"}}
	l := layout.For(s.Name)
	r := l.Release("1.0-1")
	return Options{Spec: s, Layout: l, Release: r, Dir: dir, Venv: v, VenvOrigin: "venv", Interpreter: "/usr/bin/python3.11", Stage: t.TempDir(), MD5: true,
		Generated: []archive.Entry{
			data(r.EntryScript, "import demo.web\n", "generated wsgi.tmpl"),
			data(l.Doc+"/copyright", "MIT\n", "generated copyright.tmpl"),
		}}, dir
}

func data(p, content, origin string) archive.Entry {
	return archive.Entry{Path: p, Kind: archive.File, Mode: 0o644, Data: []byte(content), Size: int64(len(content)), Origin: origin}
}

func TestCollect(t *testing.T) {
	o, _ := project(t)
	p, err := Collect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]archive.Entry{}
	for i, e := range p.Entries {
		if i > 0 && p.Entries[i-1].Path >= e.Path {
			t.Errorf("not sorted at %s", e.Path)
		}
		byPath[e.Path] = e
		if e.Kind == archive.File {
			if len(e.MD5) != md5.Size {
				t.Errorf("%s has no MD5", e.Path)
			}
		}
	}
	// Built for the release's paths, shipped in /opt/demo/package.
	for _, dir := range []string{"/opt/demo", "/opt/demo/package", "/opt/demo/package/wsgi", "/opt/demo/package/venv/bin", "/etc/demo", "/usr/share/doc/demo"} {
		if e, ok := byPath[dir]; !ok || e.Kind != archive.Dir {
			t.Errorf("%s is not a directory of the payload", dir)
		}
	}
	for _, p := range []string{"/opt", "/etc", "/usr/share/doc", "/usr/share", "/opt/demo/package/app/demo/instance/cache.txt", "/opt/demo/package/venv/lib/python3.11/site-packages/empty", "/opt/demo/releases"} {
		if _, ok := byPath[p]; ok {
			t.Errorf("%s is in the payload", p)
		}
	}
	if e := byPath["/etc/demo/settings.ini"]; e.Mode != 0o640 || !e.Config || e.Source == "" {
		t.Errorf("config file: %+v", e)
	}
	if e := byPath["/opt/demo/package/app/demo/instance"]; e.Kind != archive.Symlink || e.Link != "/var/lib/demo/app/demo/instance" {
		t.Errorf("writable: %+v", e)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "writable app/demo/instance: 1 shipped file(s)") {
		t.Errorf("warnings %q", p.Warnings)
	}
	if e := byPath["/opt/demo/package/venv/bin/activate"]; string(e.Data) != "VIRTUAL_ENV=/opt/demo/releases/1.0-1/venv\n" || e.Source != "" {
		t.Errorf("activate: %+v", e)
	}
	if md5.Sum([]byte("import demo.web\n")) != [16]byte(byPath["/opt/demo/package/wsgi/demo.wsgi"].MD5) {
		t.Error("the MD5 of a generated file is wrong")
	}

	// With adds per-target files to a copy.
	n := len(p.Entries)
	all := p.With(data("/etc/apache2/conf-available/demo.conf", "Alias\n", "generated apache.conf.tmpl"))
	if len(p.Entries) != n || len(all) != n+1 || all[0].Path != "/etc/apache2/conf-available/demo.conf" {
		t.Errorf("With: %d entries (was %d), copy has %d, first %s", len(p.Entries), n, len(all), all[0].Path)
	}
	if p.Files() != 8 || p.Size() == 0 {
		t.Errorf("Files() = %d, Size() = %d", p.Files(), p.Size())
	}
}

func TestCollectProblems(t *testing.T) {
	o, dir := project(t)
	o.Generated = append(o.Generated,
		data("/opt/demo/releases/1.0-1/app/demo/web.py", "clash\n", "generated other.tmpl"),
		data("/etc/demo/leak", "path "+dir+"\n", "generated leak.tmpl"))
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "src", "demo", "passwd")); err != nil {
		t.Fatal(err)
	}
	_, err := Collect(context.Background(), o)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"src/demo/web.py and generated other.tmpl both want to be /opt/demo/releases/1.0-1/app/demo/web.py",
		"src/demo/passwd: symlink to /etc/passwd leaves /opt/demo/releases/1.0-1",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	// A leak in generated content.
	o, dir = project(t)
	o.Generated = append(o.Generated, data("/etc/demo/leak", "path "+dir+"\n", "generated leak.tmpl"))
	if _, err := Collect(context.Background(), o); err == nil || !strings.Contains(err.Error(), "generated leak.tmpl (/etc/demo/leak) contains "+dir) {
		t.Errorf("leak: %v", err)
	}
}
