package fstree

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/archive"
)

func write(t *testing.T, p string, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	src, venv := filepath.Join(dir, "src"), filepath.Join(dir, "ci", "venv")
	write(t, filepath.Join(src, "private.txt"), 0o600)
	write(t, filepath.Join(src, "pkg", "tool"), 0o710)
	write(t, filepath.Join(src, "pkg", "group-x"), 0o610)
	write(t, filepath.Join(src, "suid"), 0o755|fs.ModeSetuid)
	write(t, filepath.Join(src, "sgid"), 0o755|fs.ModeSetgid)
	write(t, filepath.Join(src, "skipped", "file"), 0o644)
	write(t, filepath.Join(venv, "bin", "tool"), 0o755)
	write(t, filepath.Join(src, "new\nline.py"), 0o644)
	write(t, filepath.Join(src, "tab\tdir", "inside.py"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(src, "private.txt"), old, old.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	symlink(t, "private.txt", filepath.Join(src, "rel"))
	symlink(t, "../../../etc/passwd", filepath.Join(src, "pkg", "up"))
	symlink(t, filepath.Join(src, "private.txt"), filepath.Join(src, "pkg", "abs-in-tree"))
	symlink(t, filepath.Join(venv, "bin", "tool"), filepath.Join(src, "pkg", "abs-in-venv"))
	symlink(t, "/usr/bin/python3.11", filepath.Join(src, "python"))
	symlink(t, "/etc/passwd", filepath.Join(src, "passwd"))
	symlink(t, "missing.txt", filepath.Join(src, "dangling"))
	symlink(t, "private.txt\nx", filepath.Join(src, "nl-target"))
	write(t, filepath.Join(dir, "config", "x.ini"), 0o644)
	symlink(t, "../../config/x.ini", filepath.Join(src, "pkg", "out-of-tree"))
	symlink(t, "skipped/file", filepath.Join(src, "to-skipped"))

	r, err := Read(Tree{
		Src: src, Dest: "/opt/demo/app", Origin: "src",
		Skip: func(rel string, d fs.DirEntry) bool { return rel == "skipped" },
		Links: Links{Root: "/opt/demo", Interpreter: "/usr/bin/python3.11",
			Map: []Mapping{{From: venv, To: "/opt/demo/venv"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]archive.Entry{}
	for _, e := range r.Entries {
		got[e.Path] = e
	}
	want := map[string]archive.Entry{
		"/opt/demo/app":                 {Kind: archive.Dir, Mode: 0o755, Origin: "src"},
		"/opt/demo/app/private.txt":     {Kind: archive.File, Mode: 0o644, Origin: "src/private.txt", Size: 1, Source: filepath.Join(src, "private.txt")},
		"/opt/demo/app/pkg":             {Kind: archive.Dir, Mode: 0o755, Origin: "src/pkg"},
		"/opt/demo/app/pkg/tool":        {Kind: archive.File, Mode: 0o755, Origin: "src/pkg/tool", Size: 1, Source: filepath.Join(src, "pkg", "tool")},
		"/opt/demo/app/pkg/group-x":     {Kind: archive.File, Mode: 0o755, Origin: "src/pkg/group-x", Size: 1, Source: filepath.Join(src, "pkg", "group-x")},
		"/opt/demo/app/rel":             {Kind: archive.Symlink, Mode: 0o777, Origin: "src/rel", Link: "private.txt"},
		"/opt/demo/app/pkg/abs-in-tree": {Kind: archive.Symlink, Mode: 0o777, Origin: "src/pkg/abs-in-tree", Link: "../private.txt"},
		"/opt/demo/app/pkg/abs-in-venv": {Kind: archive.Symlink, Mode: 0o777, Origin: "src/pkg/abs-in-venv", Link: "../../venv/bin/tool"},
		"/opt/demo/app/python":          {Kind: archive.Symlink, Mode: 0o777, Origin: "src/python", Link: "/usr/bin/python3.11"},
	}
	for p, w := range want {
		w.Path = p
		g, ok := got[p]
		if !ok {
			t.Errorf("%s missing", p)
		} else if g.Kind != w.Kind || g.Mode != w.Mode || g.Origin != w.Origin || g.Size != w.Size || g.Source != w.Source || g.Link != w.Link {
			t.Errorf("%s = %+v, want %+v", p, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d entries, want %d: %v", len(got), len(want), got)
	}
	var problems []string
	for _, p := range r.Problems {
		problems = append(problems, p.Error())
	}
	all := strings.Join(problems, "\n")
	for _, w := range []string{
		"src/suid is setuid or setgid",
		"src/sgid is setuid or setgid",
		"src/fifo is a named pipe (FIFO), not a file, directory or symlink",
		"src/dangling: symlink to missing.txt points at nothing",
		`"src/new\nline.py": the name holds the control character '\n'`,
		`"src/tab\tdir": the name holds the control character '\t'`,
		`src/nl-target: the symlink's target "private.txt\nx" holds the control character '\n'`,
		"src/passwd: symlink to /etc/passwd leaves /opt/demo",
		"src/pkg/up: symlink to ../../../etc/passwd resolves to /opt/etc/passwd, outside /opt/demo",
		"src/pkg/out-of-tree: symlink to ../../config/x.ini leads to " + filepath.Join(dir, "config", "x.ini") + " here but to /opt/demo/config/x.ini in the package, where it is not shipped",
		"src/to-skipped: symlink to skipped/file points at src/skipped, which is left out of the package",
	} {
		if !strings.Contains(all, w) {
			t.Errorf("problems lack %q:\n%s", w, all)
		}
	}
	if len(problems) != 11 {
		t.Errorf("%d problems, want 11:\n%s", len(problems), all)
	}
	if r.Newest.Before(time.Now().Add(-time.Hour)) {
		t.Errorf("newest %v: not the newest path", r.Newest)
	}
}

func TestReadFile(t *testing.T) {
	src := filepath.Join(t.TempDir(), "one.txt")
	write(t, src, 0o644)
	r, err := Read(Tree{Src: src, Dest: "/opt/demo/share/one.txt", Origin: "extra/one.txt", Links: Links{Root: "/opt/demo"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Entries) != 1 || r.Entries[0].Path != "/opt/demo/share/one.txt" || r.Entries[0].Origin != "extra/one.txt" {
		t.Errorf("entries %+v", r.Entries)
	}
	if _, err := Read(Tree{Src: src + ".missing", Dest: "/x"}); err == nil {
		t.Error("no error for a missing tree")
	}
}

func TestParents(t *testing.T) {
	entries := []archive.Entry{
		{Path: "/opt/demo/app/a/b/c.py", Kind: archive.File},
		{Path: "/opt/demo/app/a", Kind: archive.Dir},
		{Path: "/etc/demo/environment", Kind: archive.File},
		{Path: "/usr/share/doc/demo/copyright", Kind: archive.File},
		{Path: "/etc/apache2/conf-available/demo.conf", Kind: archive.File},
	}
	var got []string
	for _, e := range Parents(entries, "/opt/demo", "/etc/demo", "/usr/share/doc/demo") {
		if e.Kind != archive.Dir || e.Mode != 0o755 || e.Origin != "directory" {
			t.Errorf("%+v", e)
		}
		got = append(got, e.Path)
	}
	want := "/etc/demo /opt/demo /opt/demo/app /opt/demo/app/a/b /usr/share/doc/demo"
	if strings.Join(got, " ") != want {
		t.Errorf("Parents = %v, want %s", got, want)
	}
}

func TestIsBuildArtifact(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"__pycache__", ".git", "pkg"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"a.pyc", "a.pyo", "a.py"} {
		write(t, filepath.Join(dir, f), 0o644)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, d := range entries {
		if !IsBuildArtifact("x/"+d.Name(), d) {
			kept = append(kept, d.Name())
		}
	}
	if strings.Join(kept, " ") != "a.py pkg" {
		t.Errorf("kept %v", kept)
	}
}
