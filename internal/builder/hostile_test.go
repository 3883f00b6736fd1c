package builder

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

// TestHostileInputs is the build side of hostile input: special files
// (FIFOs, devices, dangling links) anywhere the build reads, names that
// would split a line of a package's file lists, .pth lines leaving the
// venv, config sources that are no files, and CI's own Python prefix in
// native code. Each is refused by Check, promptly (nothing blocks), with
// an error naming the path and, where there is one, the spec field. One
// real venv serves every case: each case breaks it and undoes that.
func TestHostileInputs(t *testing.T) {
	need(t, "python3", "gcc")
	dir, specFile := newProject(t, "venv")
	sp := filepath.Join(dir, "venv/lib/python3.11/site-packages")
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// undo registers the removal of what a case creates.
	undo := func(t *testing.T, p string) { t.Cleanup(func() { os.RemoveAll(p) }) }
	mkfifo := func(t *testing.T, p string) {
		t.Helper()
		must(t, syscall.Mkfifo(p, 0o644))
		undo(t, p)
	}
	write := func(t *testing.T, p, data string) {
		t.Helper()
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(data), 0o644))
		undo(t, p)
	}
	// replace puts p aside for the case and restores it after.
	replace := func(t *testing.T, p string) {
		t.Helper()
		must(t, os.Rename(p, p+".aside"))
		t.Cleanup(func() { os.RemoveAll(p); os.Rename(p+".aside", p) })
	}
	distInfo := func(t *testing.T, prefix string) string {
		t.Helper()
		m, _ := filepath.Glob(filepath.Join(sp, prefix+"-*.dist-info"))
		if len(m) != 1 {
			t.Fatalf("no %s dist-info: %v", prefix, m)
		}
		return m[0]
	}
	baseInclude := strings.TrimSpace(testtool.Run(t, filepath.Join(dir, "venv/bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()['include'])"))

	tests := []struct {
		name   string
		break_ func(t *testing.T)
		want   []string
	}{
		{"pyvenv.cfg a symlink to /dev/zero", func(t *testing.T) {
			cfg := filepath.Join(dir, "venv/pyvenv.cfg")
			replace(t, cfg)
			must(t, os.Symlink("/dev/zero", cfg))
		}, []string{"venv/pyvenv.cfg is a character device, not a regular file", "recreate the venv"}},
		{"pyvenv.cfg a FIFO", func(t *testing.T) {
			cfg := filepath.Join(dir, "venv/pyvenv.cfg")
			replace(t, cfg)
			mkfifo(t, cfg)
		}, []string{"venv/pyvenv.cfg is a named pipe (FIFO), not a regular file"}},
		{"FIFO in the app", func(t *testing.T) { mkfifo(t, filepath.Join(dir, "src/inventory/pipe")) },
			[]string{"src/inventory/pipe is a named pipe (FIFO), not a file, directory or symlink; remove or exclude it"}},
		{"FIFO in app.files", func(t *testing.T) { mkfifo(t, filepath.Join(dir, "migrations/pipe.sql")) },
			[]string{"migrations/pipe.sql is a named pipe (FIFO)"}},
		{"FIFO in site-packages", func(t *testing.T) { mkfifo(t, filepath.Join(sp, "fastsum/pipe.py")) },
			[]string{"venv/lib/python3.11/site-packages/fastsum/pipe.py is a named pipe (FIFO)"}},
		{"FIFO as a .pth file", func(t *testing.T) { mkfifo(t, filepath.Join(sp, "pipe.pth")) },
			[]string{"cannot read the path file pipe.pth", "pipe.pth is a named pipe (FIFO)"}},
		{"FIFO as an installer's RECORD", func(t *testing.T) {
			rec := filepath.Join(distInfo(t, "pip"), "RECORD")
			replace(t, rec)
			mkfifo(t, rec)
		}, []string{"cannot read the RECORD of pip-", "RECORD is a named pipe (FIFO)"}},
		{"FIFO as a shipped RECORD", func(t *testing.T) {
			rec := filepath.Join(distInfo(t, "invutil"), "RECORD")
			replace(t, rec)
			mkfifo(t, rec)
		}, []string{"invutil-0.3.0.dist-info/RECORD is a named pipe (FIFO)"}},
		{"FIFO as direct_url.json", func(t *testing.T) { mkfifo(t, filepath.Join(distInfo(t, "fastsum"), "direct_url.json")) },
			[]string{"fastsum-1.0.0.dist-info/direct_url.json is a named pipe (FIFO)"}},
		{"FIFO as a console script", func(t *testing.T) {
			script := filepath.Join(dir, "venv/bin/invutil")
			replace(t, script)
			mkfifo(t, script)
		}, []string{"venv/bin/invutil is a named pipe (FIFO)"}},
		{"dangling symlink in the app", func(t *testing.T) {
			p := filepath.Join(dir, "src/inventory/gone.py")
			must(t, os.Symlink("nowhere.py", p))
			undo(t, p)
		}, []string{"src/inventory/gone.py: symlink to nowhere.py points at nothing (a dangling link)"}},
		{"symlink in the app out of app.source", func(t *testing.T) {
			p := filepath.Join(dir, "src/inventory/settings.ini")
			must(t, os.Symlink("../../config/settings.ini", p))
			undo(t, p)
		}, []string{"src/inventory/settings.ini: symlink to ../../config/settings.ini leads to", "but to /opt/inventory/releases/1.4.2-1/config/settings.ini in the package, where it is not shipped"}},
		{"config source a directory", func(t *testing.T) {
			p := filepath.Join(dir, "config/settings.ini")
			replace(t, p)
			must(t, os.Mkdir(p, 0o755))
		}, []string{"config[0].source: config/settings.ini is a directory, not a regular file; name the file to install as /etc/inventory/settings.ini"}},
		{"config source a directory, placed in the spec", func(t *testing.T) {
			p := filepath.Join(dir, "config/settings.ini")
			replace(t, p)
			must(t, os.Mkdir(p, 0o755))
		}, []string{"wsgipack.yaml:45:13: config[0].source: config/settings.ini is a directory"}},
		{"config source a FIFO", func(t *testing.T) {
			p := filepath.Join(dir, "config/settings.ini")
			replace(t, p)
			mkfifo(t, p)
		}, []string{"config[0].source: config/settings.ini is a named pipe (FIFO), not a regular file"}},
		{"config source a symlink to a device", func(t *testing.T) {
			p := filepath.Join(dir, "config/settings.ini")
			replace(t, p)
			must(t, os.Symlink("/dev/null", p))
		}, []string{"config/settings.ini"}}, // the spec's checks or the payload's: either names it
		{"newline in an app file name", func(t *testing.T) { write(t, filepath.Join(dir, "src/inventory/bad\nname.py"), "") },
			[]string{`"src/inventory/bad\nname.py": the name holds the control character '\n'`, "rename the file or exclude it"}},
		{"escape in a venv directory name", func(t *testing.T) {
			undo(t, filepath.Join(sp, "odd\x1bdir"))
			write(t, filepath.Join(sp, "odd\x1bdir/x.py"), "")
		},
			[]string{`"venv/lib/python3.11/site-packages/odd\x1bdir": the name holds the control character '\x1b'`}},
		{"relative .pth line leaving the venv", func(t *testing.T) { write(t, filepath.Join(sp, "checkout.pth"), "../../../../../checkout/src\n") },
			[]string{`distribution "checkout" is an editable install (checkout.pth adds ../../../../../checkout/src to sys.path)`}},
		{"CI's Python prefix in a data file", func(t *testing.T) {
			write(t, filepath.Join(sp, "fastsum/where.txt"), "python="+filepath.Dir(baseInclude)+"\n")
		}, []string{"fastsum/where.txt", "(the installation of CI's Python, from pyvenv.cfg)"}},
		{"CI's Python include path in a C extension's strings", func(t *testing.T) {
			// An assertion string names a header of CI's Python, as
			// assert() in an inline function of Python.h would.
			src := filepath.Join(t.TempDir(), "probe.c")
			must(t, os.WriteFile(src, []byte("#include <Python.h>\nconst char *probe_where = \""+baseInclude+"/Python.h\";\n"), 0o644))
			so := filepath.Join(sp, "fastsum/_probe.cpython-311-x86_64-linux-gnu.so")
			testtool.Run(t, "gcc", "-shared", "-fPIC", "-g0", "-I"+baseInclude, "-o", so, src)
			undo(t, so)
		}, []string{"fastsum/_probe.cpython-311-x86_64-linux-gnu.so", "native code compiled against CI's Python", "CFLAGS='-g0'"}},
		{"CI's Python include path in a C extension's debug info", func(t *testing.T) {
			so := filepath.Join(sp, "fastsum/_debug.cpython-311-x86_64-linux-gnu.so")
			testtool.Run(t, "gcc", "-shared", "-fPIC", "-g", "-I"+baseInclude, "-o", so, filepath.Join(repo, "testdata/packages/fastsum/src/fastsum/_fastsum.c"))
			undo(t, so)
		}, []string{"fastsum/_debug.cpython-311-x86_64-linux-gnu.so", "native code compiled against CI's Python"}},
	}
	base := filepath.Dir(baseInclude)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.name, "CI's Python") && (base == "/usr/include" || base == "/usr/local/include") {
				t.Skipf("the venv's Python is the system's (%s): no prefix of CI's own to find", baseInclude)
			}
			tt.break_(t)
			o := opts(specFile, t.TempDir())
			done := make(chan error, 1)
			go func() {
				_, err := Check(context.Background(), o)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(2 * time.Minute):
				t.Fatal("check blocked")
			}
			wantError(t, err, dir, tt.want)
		})
	}
	// Undone, the project checks again: each case's error was its own.
	if _, err := Check(context.Background(), opts(specFile, t.TempDir())); err != nil {
		t.Fatalf("the restored project: %v", err)
	}
}

// TestLongSpacedVenvPath: CI checks out into a path with a space and over
// 127 bytes, so pip writes its console scripts in the "#!/bin/sh" +
// "”'exec'" form. The package has plain shebangs for the final path,
// the scripts run, and lintian accepts the package with no error or
// warning.
func TestLongSpacedVenvPath(t *testing.T) {
	need(t, "python3", "dpkg-deb", "lintian", "python3.11")
	long := filepath.Join(t.TempDir(), "ci build "+strings.Repeat("x", 100), "job workspace")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(long, 0o755))
	ex := filepath.Join(repo, "testdata/example")
	run(t, "cp", "-R", filepath.Join(ex, "src"), filepath.Join(ex, "config"), filepath.Join(ex, "migrations"), filepath.Join(ex, "wsgipack.yaml"), long)
	cmd := exec.Command("sh", filepath.Join(repo, "testdata/mkvenv.sh"), filepath.Join(long, "venv"), "python3", "venv")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkvenv.sh: %v\n%s", err, out)
	}
	script, err := os.ReadFile(filepath.Join(long, "venv/bin/invutil"))
	must(err)
	if !strings.HasPrefix(string(script), "#!/bin/sh\n'''exec' ") {
		t.Fatalf("pip did not write the exec form for %s (%d bytes):\n%s", long, len(long), script)
	}
	out := t.TempDir()
	o := opts(filepath.Join(long, "wsgipack.yaml"), out)
	o.Targets = releases(t, "debian-12")
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	deb := filepath.Join(out, "inventory_1.4.2-1+deb12_amd64.deb")
	root := t.TempDir()
	run(t, "dpkg-deb", "-x", deb, root)
	// The venv's bin directory, wherever the layout ships it.
	found, _ := filepath.Glob(filepath.Join(root, "opt/inventory/*/venv/bin/invutil"))
	if more, _ := filepath.Glob(filepath.Join(root, "opt/inventory/venv/bin/invutil")); len(more) > 0 {
		found = append(found, more...)
	}
	if len(found) != 1 {
		t.Fatalf("no single venv/bin/invutil in the package: %v", found)
	}
	bin := filepath.Dir(found[0])
	entries, err := os.ReadDir(bin)
	must(err)
	scripts := 0
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(bin, e.Name()))
		must(err)
		if strings.Contains(string(data), "'''exec'") {
			t.Errorf("bin/%s keeps the exec form:\n%.300s", e.Name(), data)
		}
		if first, _, _ := strings.Cut(string(data), "\n"); strings.HasPrefix(first, "#!/opt/inventory/") &&
			strings.Contains(first, "/venv/bin/python") && !strings.Contains(first, " ") {
			scripts++
		}
	}
	if scripts == 0 {
		t.Error("no console script with a plain shebang")
	}
	// The script runs from the unpacked tree through its venv's python,
	// as /opt/inventory/venv/bin/invutil would on a server.
	if got := run(t, filepath.Join(bin, "python"), filepath.Join(bin, "invutil"), "Long Path"); got != "long-path\n" {
		t.Errorf("invutil printed %q", got)
	}
	if out, err := exec.Command("lintian", "--fail-on", "error,warning", deb).CombinedOutput(); err != nil {
		t.Errorf("lintian: %v\n%s", err, out)
	}
}
