package venv

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func fakeVenv(t *testing.T, cfg string) *Venv {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ci job", "venv")
	if err := os.MkdirAll(filepath.Join(dir, "lib/python3.11/site-packages"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pyvenv.cfg"), []byte(strings.ReplaceAll(cfg, "VENV", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPyvenvCfg(t *testing.T) {
	tests := []struct {
		name, cfg, want, creator string
	}{
		{"venv", "home = /root/.pyenv/versions/3.11.7/bin\ninclude-system-site-packages = false\nversion = 3.11.7\nexecutable = /root/.pyenv/versions/3.11.7/bin/python3.11\ncommand = /root/.pyenv/versions/3.11.7/bin/python3 -m venv VENV\n",
			"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\nexecutable = /usr/bin/python3.11\n", "venv"},
		{"virtualenv", "home = /opt/py/bin\nimplementation = CPython\nversion_info = 3.11.7.final.0\nvirtualenv = 20.17.1\ninclude-system-site-packages = false\nbase-prefix = /opt/py\nbase-exec-prefix = /opt/py\nbase-executable = /opt/py/bin/python3.11\n",
			"home = /usr/bin\nimplementation = CPython\nversion_info = 3.11.7.final.0\nvirtualenv = 20.17.1\ninclude-system-site-packages = false\nbase-prefix = /usr\nbase-exec-prefix = /usr\nbase-executable = /usr/bin/python3.11\n", "virtualenv"},
		{"uv", "home = /x/bin\nimplementation = CPython\nuv = 0.4.0\nversion_info = 3.11.7\ninclude-system-site-packages = false\n",
			"home = /usr/bin\nimplementation = CPython\nuv = 0.4.0\nversion_info = 3.11.7\ninclude-system-site-packages = false\n", "uv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := fakeVenv(t, tt.cfg)
			if v.Python != "3.11" || v.Creator != tt.creator {
				t.Errorf("Python %q creator %q", v.Python, v.Creator)
			}
			if got := string(v.pyvenvCfg("/usr/bin/python3.11")); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestRelocateText(t *testing.T) {
	v := fakeVenv(t, "version = 3.11.7\n")
	tests := []struct{ name, in, want string }{
		{"shebang", "#!VENV/bin/python3\nimport sys\n", "#!/opt/app/venv/bin/python3\nimport sys\n"},
		// pip's form for a venv path with a space or over 127 bytes
		// becomes the plain one when the final path allows it.
		{"exec form for long paths", "#!/bin/sh\n'''exec' \"VENV/bin/python3\" \"$0\" \"$@\"\n' '''\nimport sys\n", "#!/opt/app/venv/bin/python3\nimport sys\n"},
		{"exec form, uv's quotes", "#!/bin/sh\n'''exec' 'VENV/bin/python' \"$0\" \"$@\"\n' '''\nimport sys\n", "#!/opt/app/venv/bin/python\nimport sys\n"},
		{"exec form of another interpreter", "#!/bin/sh\n'''exec' \"/other py/python3\" \"$0\" \"$@\"\n' '''\nVENV\n", "#!/bin/sh\n'''exec' \"/other py/python3\" \"$0\" \"$@\"\n' '''\n/opt/app/venv\n"},
		{"exec form without its closing line", "#!/bin/sh\n'''exec' \"VENV/bin/python3\" \"$0\" \"$@\"\nimport sys\n", "#!/bin/sh\n'''exec' \"/opt/app/venv/bin/python3\" \"$0\" \"$@\"\nimport sys\n"},
		{"activate", "VIRTUAL_ENV=\"VENV\"\nif [ \"$OSTYPE\" = cygwin ]; then\n    VIRTUAL_ENV=$(cygpath \"VENV\")\nfi\n", "VIRTUAL_ENV=\"/opt/app/venv\"\nif [ \"$OSTYPE\" = cygwin ]; then\n    VIRTUAL_ENV=$(cygpath \"/opt/app/venv\")\nfi\n"},
		{"activate.csh", "setenv VIRTUAL_ENV \"VENV\"\n", "setenv VIRTUAL_ENV \"/opt/app/venv\"\n"},
		{"activate.fish", "set -gx VIRTUAL_ENV \"VENV\"\n", "set -gx VIRTUAL_ENV \"/opt/app/venv\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := v.relocateText([]byte(strings.ReplaceAll(tt.in, "VENV", v.Dir)), "/opt/app/venv")
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// A final path too long for a shebang keeps the exec form.
	long := "/opt/" + strings.Repeat("x", 120) + "/venv"
	in := "#!/bin/sh\n'''exec' \"" + v.Dir + "/bin/python3\" \"$0\" \"$@\"\n' '''\nimport sys\n"
	if got := string(v.relocateText([]byte(in), long)); got != strings.ReplaceAll(in, v.Dir, long) {
		t.Errorf("long final path: got %q", got)
	}
	if v.relocateText([]byte("# Activate.ps1 is path-free\n"), "/opt/app/venv") != nil {
		t.Error("unchanged file reported as changed")
	}
}

func TestUpdateRecord(t *testing.T) {
	record := "../../../bin/tool,sha256=old,10\nmylib/__init__.py,sha256=abc,3\nmylib-1.0.dist-info/direct_url.json,sha256=x,9\n\"odd,name.py\",,\n/abs/path,,\nmylib-1.0.dist-info/RECORD,,\n"
	shipped := func(rel string) bool { return !strings.HasSuffix(rel, "direct_url.json") }
	got := string(updateRecord([]byte(record), "lib/python3.11/site-packages/mylib-1.0.dist-info/RECORD", shipped,
		map[string][]byte{"bin/tool": []byte("#!/opt/x\n")}))
	// The hash is pip's: urlsafe base64 of SHA-256, unpadded (checked with Python's hashlib).
	want := "../../../bin/tool,sha256=-JIlJDKMdZ0WSE9bN_Wo0p9sMzwuQQi67HWVAfbO_JU,9\nmylib/__init__.py,sha256=abc,3\n\"odd,name.py\",,\nmylib-1.0.dist-info/RECORD,,\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func FuzzUpdateRecord(f *testing.F) {
	f.Add([]byte("../../../bin/tool,sha256=old,10\n\"a,b\",,\n"), "lib/python3.11/site-packages/x.dist-info/RECORD")
	f.Fuzz(func(t *testing.T, record []byte, rel string) {
		out := updateRecord(record, rel, func(string) bool { return true }, map[string][]byte{"bin/tool": []byte("x")})
		if len(out) > len(record)+200*strings.Count(string(record), "\n")+200 {
			t.Fatalf("output grew unreasonably: %d -> %d", len(record), len(out))
		}
	})
}

func TestEditablesAndDropped(t *testing.T) {
	v := fakeVenv(t, "version = 3.11.7\n")
	sp := filepath.Join(v.Dir, v.SitePackages)
	files := map[string]string{
		"pip-23.2.1.dist-info/RECORD":    "pip/__init__.py,,\n../../../bin/pip,,\n",
		"pip-23.2.1.dist-info/METADATA":  "Name: pip\n",
		"app_lib-1.0.dist-info/METADATA": "Name: app-lib\nRequires-Dist: setuptools>=40\nRequires-Dist: wheel ; extra == \"build\"\n",
		"__editable__.devlib-0.1.pth":    "import x\n",
	}
	for name, data := range files {
		p := filepath.Join(sp, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	errs := v.editables()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `"devlib" is an editable install`) {
		t.Errorf("editables() = %v", errs)
	}
	dropped, dirs, err := v.dropped([]string{"pip", "setuptools", "wheel"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !dropped["bin/pip"] || !dropped["lib/python3.11/site-packages/pip/__init__.py"] || len(dirs) != 1 {
		t.Errorf("dropped() = %v %v", dropped, dirs)
	}
	warns := v.requiresDropped([]string{"pip", "setuptools", "wheel"})
	if len(warns) != 1 || !strings.Contains(warns[0], "app-lib requires setuptools") {
		t.Errorf("requiresDropped() = %v", warns)
	}
}

// TestPathFiles: .pth lines that add a directory outside the venv are
// refused, relative ones (resolved against site-packages) as well as
// absolute ones; a .pth that is not a regular file is refused, not read.
func TestPathFiles(t *testing.T) {
	tests := []struct {
		name, data string
		want       string // "" when accepted
	}{
		{"relative inside", "mylib\n# a comment\n\nimport os\n", ""},
		{"relative to the venv's lib", "../../../lib64\n", ""},
		{"relative leaving the venv", "../../../../../checkout/src\n", `"escape" is an editable install (escape.pth adds ../../../../../checkout/src to sys.path)`},
		{"absolute outside", "/home/ci/checkout\n", `escape.pth adds /home/ci/checkout to sys.path`},
		{"crlf line", "../../../../../up\r\n", `escape.pth adds ../../../../../up to sys.path`},
		{"import line", "import sys; sys.path.append('/x')\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := fakeVenv(t, "version = 3.11.7\n")
			must(t, os.WriteFile(filepath.Join(v.Dir, v.SitePackages, "escape.pth"), []byte(tt.data), 0o644))
			errs := v.editables()
			if tt.want == "" {
				if len(errs) > 0 {
					t.Fatalf("refused: %v", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Fatalf("editables() = %v, want %q", errs, tt.want)
			}
		})
	}
	t.Run("relative through a symlink out of the venv", func(t *testing.T) {
		v := fakeVenv(t, "version = 3.11.7\n")
		sp := filepath.Join(v.Dir, v.SitePackages)
		must(t, os.Symlink(t.TempDir(), filepath.Join(sp, "elsewhere")))
		must(t, os.WriteFile(filepath.Join(sp, "escape.pth"), []byte("elsewhere\n"), 0o644))
		if errs := v.editables(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "escape.pth adds elsewhere") {
			t.Fatalf("editables() = %v", errs)
		}
	})
	t.Run("fifo", func(t *testing.T) {
		v := fakeVenv(t, "version = 3.11.7\n")
		must(t, syscall.Mkfifo(filepath.Join(v.Dir, v.SitePackages, "pipe.pth"), 0o644))
		errs := v.editables()
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "cannot read the path file pipe.pth") || !strings.Contains(errs[0].Error(), "named pipe (FIFO)") {
			t.Fatalf("editables() = %v", errs)
		}
	})
}

// TestOpenRefuses: a pyvenv.cfg that is not a small regular file.
func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name  string
		make  func(t *testing.T, cfg string)
		wants string
	}{
		{"symlink to /dev/zero", func(t *testing.T, cfg string) { must(t, os.Symlink("/dev/zero", cfg)) }, "pyvenv.cfg is a character device, not a regular file"},
		{"fifo", func(t *testing.T, cfg string) { must(t, syscall.Mkfifo(cfg, 0o644)) }, "pyvenv.cfg is a named pipe (FIFO), not a regular file"},
		{"directory", func(t *testing.T, cfg string) { must(t, os.Mkdir(cfg, 0o755)) }, "pyvenv.cfg is a directory, not a regular file"},
		{"dangling symlink", func(t *testing.T, cfg string) { must(t, os.Symlink("gone", cfg)) }, "is not a virtualenv"},
		{"huge", func(t *testing.T, cfg string) {
			must(t, os.WriteFile(cfg, []byte("version = 3.11.7\n"+strings.Repeat("#\n", 64<<10)), 0o644))
		}, "pyvenv.cfg is larger than 64 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "venv")
			must(t, os.MkdirAll(filepath.Join(dir, "lib/python3.11/site-packages"), 0o755))
			tt.make(t, filepath.Join(dir, "pyvenv.cfg"))
			_, err := Open(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wants) {
				t.Fatalf("Open: %v; want %q", err, tt.wants)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzPlainShebang: the rewrite either leaves a script alone or replaces
// exactly its first three lines with one plain shebang of an interpreter
// under the final directory, short enough and without shell characters.
func FuzzPlainShebang(f *testing.F) {
	f.Add([]byte("#!/bin/sh\n'''exec' \"/opt/app/venv/bin/python3\" \"$0\" \"$@\"\n' '''\nimport sys\n"))
	f.Add([]byte("#!/bin/sh\n'''exec' '/opt/app/venv/bin/python' \"$0\" \"$@\"\n' '''\n"))
	f.Add([]byte("#!/bin/sh\n'''exec' /opt/app/venv/bin/py thon \"$0\" \"$@\"\n' '''\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out := plainShebang(data, "/opt/app/venv")
		if bytes.Equal(out, data) {
			return
		}
		first, rest, _ := bytes.Cut(out, []byte("\n"))
		exe, ok := bytes.CutPrefix(first, []byte("#!/opt/app/venv/"))
		if !ok || len(first)+1 > maxShebang || bytes.ContainsAny(exe, " \t\"'\\$`") {
			t.Fatalf("bad shebang %q from %q", first, data)
		}
		lines := bytes.SplitAfterN(data, []byte("\n"), 4)
		if len(lines) < 3 || (len(lines) == 4 && !bytes.Equal(lines[3], rest)) || (len(lines) == 3 && len(rest) != 0) {
			t.Fatalf("the script's body changed: %q -> %q", data, out)
		}
	})
}

func TestBasePrefixes(t *testing.T) {
	tests := []struct{ cfg, want string }{
		{"home = /root/.pyenv/versions/3.11.7/bin\nversion = 3.11.7\nexecutable = /root/.pyenv/versions/3.11.7/bin/python3.11\n", "/root/.pyenv/versions/3.11.7"},
		{"home = /opt/hostedtoolcache/Python/3.11.7/x64/bin\nversion = 3.11.7\n", "/opt/hostedtoolcache/Python/3.11.7/x64"},
		{"home = /opt/py/bin\nversion_info = 3.11.7\nvirtualenv = 20\nbase-prefix = /opt/py\nbase-executable = /opt/py/bin/python3.11\n", "/opt/py"},
		{"home = /usr/bin\nversion = 3.11.2\nexecutable = /usr/bin/python3.11\n", ""},
		{"home = /usr/local/bin\nversion = 3.11.7\n", ""},
	}
	for _, tt := range tests {
		v := fakeVenv(t, tt.cfg)
		if got := strings.Join(v.BasePrefixes(), " "); got != tt.want {
			t.Errorf("%q: BasePrefixes() = %q, want %q", tt.cfg, got, tt.want)
		}
	}
}
