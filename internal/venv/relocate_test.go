package venv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/fstree"
	"github.com/wsgipack/wsgipack/internal/testtool"
)

var repo, _ = filepath.Abs(filepath.Join("..", ".."))

// realVenv makes the example app's venv as CI would (testdata/mkvenv.sh),
// in a directory with a space, so that pip writes the exec form of the
// console scripts. kind is venv, copies or virtualenv.
func realVenv(t *testing.T, kind string) *Venv {
	t.Helper()
	testtool.Need(t, "python3")
	dir := filepath.Join(t.TempDir(), "ci build", "venv")
	cmd := exec.Command("sh", filepath.Join(repo, "testdata/mkvenv.sh"), dir, "python3", kind)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkvenv.sh: %v\n%s", err, out)
	}
	v, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// content returns what a file entry ships.
func content(t *testing.T, e archive.Entry) []byte {
	t.Helper()
	if e.Source == "" {
		return e.Data
	}
	data, err := os.ReadFile(e.Source)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRelocateRealVenv(t *testing.T) {
	const dest, root = "/opt/demo/venv", "/opt/demo"
	for _, kind := range []string{"venv", "copies", "virtualenv"} {
		t.Run(kind, func(t *testing.T) {
			v := realVenv(t, kind)
			interpreter := "/usr/bin/python" + v.Python
			// Not even the bytecode of the modules a virtualenv's .pth files
			// import when the interpreter starts may be written into it.
			before := testtool.TreeHash(t, v.Dir)
			stage := t.TempDir()
			r, err := v.Relocate(context.Background(), RelocateOptions{Dest: dest, Root: root, Interpreter: interpreter, Origin: "venv",
				Bytecode: true, Stage: stage})
			if err != nil {
				t.Fatal(err)
			}
			if after := testtool.TreeHash(t, v.Dir); after != before {
				t.Error("Relocate modified the venv on disk")
			}

			byPath := map[string]archive.Entry{}
			for i, e := range r.Entries {
				if i > 0 && r.Entries[i-1].Path >= e.Path {
					t.Errorf("entries not sorted or repeated at %s", e.Path)
				}
				byPath[e.Path] = e
			}
			if e, ok := byPath[dest]; !ok || e.Kind != archive.Dir {
				t.Fatalf("no directory entry for %s", dest)
			}
			for _, e := range r.Entries {
				if e.Path != dest {
					if p, ok := byPath[path.Dir(e.Path)]; !ok || p.Kind != archive.Dir {
						t.Errorf("%s: its directory is not an entry", e.Path)
					}
				}
				if _, ok := fstree.Within(e.Path, dest); !ok {
					t.Errorf("%s is not under %s", e.Path, dest)
				}
				if e.Origin == "" {
					t.Errorf("%s has no origin", e.Path)
				}
				// No build path anywhere: paths, link targets, contents.
				var data []byte
				if e.Kind == archive.File {
					data = content(t, e)
					if int64(len(data)) != e.Size {
						t.Errorf("%s: size %d, content %d bytes", e.Path, e.Size, len(data))
					}
					if e.Source != "" && !strings.HasPrefix(e.Source, v.Dir+"/") && !strings.HasPrefix(e.Source, stage+"/") {
						t.Errorf("%s is read from %s, neither the venv nor the stage", e.Path, e.Source)
					}
				}
				for _, bp := range []string{v.Dir, v.RealDir, "ci build"} {
					if strings.Contains(e.Path, bp) || strings.Contains(e.Link, bp) || bytes.Contains(data, []byte(bp)) {
						t.Errorf("%s names the build path %s", e.Path, bp)
					}
				}
			}

			// pyvenv.cfg and the interpreter links are the target's.
			cfg := string(content(t, byPath[dest+"/pyvenv.cfg"]))
			if !strings.Contains(cfg, "home = /usr/bin\n") || strings.Contains(cfg, "command") {
				t.Errorf("pyvenv.cfg:\n%s", cfg)
			}
			x := "python" + v.Python
			for name, want := range map[string]string{x: interpreter, "python3": x, "python": x} {
				if e := byPath[dest+"/bin/"+name]; e.Kind != archive.Symlink || e.Link != want {
					t.Errorf("bin/%s: %+v, want a link to %s", name, e, want)
				}
			}
			script := string(content(t, byPath[dest+"/bin/invutil"]))
			if !strings.Contains(script, dest+"/bin/python") {
				t.Errorf("bin/invutil is not relocated:\n%s", script)
			}

			// The installers are left out, with their files and scripts.
			for p := range byPath {
				for _, unwanted := range []string{"/site-packages/pip", "/site-packages/setuptools", "/site-packages/wheel", "/bin/pip", "/bin/wheel", "/site-packages/_distutils_hack", "/site-packages/distutils-precedence.pth"} {
					if strings.Contains(p, unwanted) {
						t.Errorf("%s is shipped: the installers are dropped", p)
					}
				}
			}

			// Bytecode for the final paths, none for bin/.
			pyc := dest + "/" + v.SitePackages + "/invutil/__pycache__/__init__." + v.CacheTag() + ".pyc"
			if e, ok := byPath[pyc]; !ok || r.Compiled == 0 || len(r.NotCompiled) != 0 {
				t.Errorf("no %s (compiled %d, not compiled %v)", pyc, r.Compiled, r.NotCompiled)
			} else if !bytes.Contains(content(t, e), []byte(dest+"/"+v.SitePackages+"/invutil/__init__.py")) {
				t.Errorf("%s does not name its final source path", pyc)
			}

			checkRecords(t, byPath, dest, v.SitePackages)
		})
	}
}

// checkRecords checks that every RECORD names shipped files only, with
// right hashes and sizes where it gives them, and that each names itself.
func checkRecords(t *testing.T, byPath map[string]archive.Entry, dest, sitePackages string) {
	t.Helper()
	records := 0
	for p, e := range byPath {
		if !strings.HasSuffix(p, ".dist-info/RECORD") {
			continue
		}
		records++
		self := false
		for _, line := range strings.Split(strings.TrimSpace(string(content(t, e))), "\n") {
			rel := recordPath(line)
			file := path.Clean(path.Join(dest, sitePackages, rel))
			shipped, ok := byPath[file]
			if !ok {
				t.Errorf("%s names %s, which is not shipped", p, rel)
				continue
			}
			self = self || file == p
			fields := strings.Split(strings.TrimSpace(line), ",")
			hash, size := fields[len(fields)-2], fields[len(fields)-1]
			if hash == "" {
				continue
			}
			data := content(t, shipped)
			sum := sha256.Sum256(data)
			if want := "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]); hash != want || size != strconv.Itoa(len(data)) {
				t.Errorf("%s: %s has %s,%s; the shipped file has %s,%d", p, rel, hash, size, want, len(data))
			}
		}
		if !self {
			t.Errorf("%s does not name itself", p)
		}
	}
	if records < 2 {
		t.Errorf("%d RECORD files shipped, want those of invutil and fastsum", records)
	}
}

func TestRelocateKeepsInstallers(t *testing.T) {
	v := realVenv(t, "venv")
	r, err := v.Relocate(context.Background(), RelocateOptions{Dest: "/opt/demo/venv", Interpreter: "/usr/bin/python" + v.Python,
		Keep: []string{"pip"}, Origin: "venv"})
	if err != nil {
		t.Fatal(err)
	}
	var pip, wheel bool
	byPath := map[string]archive.Entry{}
	for _, e := range r.Entries {
		byPath[e.Path] = e
		pip = pip || e.Path == "/opt/demo/venv/bin/pip"
		wheel = wheel || strings.Contains(e.Path, "/site-packages/wheel")
		if strings.HasSuffix(e.Path, ".pyc") {
			t.Errorf("%s: bytecode was not asked for", e.Path)
		}
	}
	if !pip || wheel {
		t.Errorf("venv_keep [pip]: bin/pip shipped %v, wheel shipped %v", pip, wheel)
	}
	if r.Compiled != 0 || r.Newest.IsZero() {
		t.Errorf("compiled %d, newest %v", r.Compiled, r.Newest)
	}
	// Without bytecode the RECORDs lose their .pyc lines; pip's own keeps
	// its console scripts with the hashes of the relocated ones.
	checkRecords(t, byPath, "/opt/demo/venv", v.SitePackages)
}

func TestRelocateRefuses(t *testing.T) {
	v := fakeVenv(t, "version = 3.11.7\n")
	sp := filepath.Join(v.Dir, v.SitePackages)
	if err := os.WriteFile(filepath.Join(sp, "suid"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(sp, "suid"), 0o755|fs.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"out": "/etc/passwd", "up": "../../../../../../etc", "in": filepath.Join(v.RealDir, "lib")} {
		if err := os.Symlink(target, filepath.Join(sp, link)); err != nil {
			t.Fatal(err)
		}
	}
	o := RelocateOptions{Dest: "/opt/demo/venv", Root: "/opt/demo", Interpreter: "/usr/bin/python3.11", Origin: "venv"}
	_, err := v.Relocate(context.Background(), o)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"site-packages/suid is setuid or setgid",
		"site-packages/out: symlink to /etc/passwd leaves /opt/demo",
		"site-packages/up: symlink to ../../../../../../etc resolves to /etc, outside /opt/demo",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "site-packages/in") {
		t.Errorf("a link into the venv is refused:\n%v", err)
	}

	// Editable installs are refused first, all at once.
	for _, f := range []string{"__editable__.one-1.0.pth", "two.egg-link"} {
		if err := os.WriteFile(filepath.Join(sp, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err = v.Relocate(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), `"one" is an editable install`) || !strings.Contains(err.Error(), `"two" is an editable install`) || strings.Contains(err.Error(), "setuid") {
		t.Errorf("editables: %v", err)
	}
}
