package builder

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/spec"
	"github.com/wsgipack/wsgipack/internal/testtool"
)

var (
	need = testtool.Need
	run  = testtool.Run
)

// These are integration tests: they create real venvs with
// testdata/mkvenv.sh and check the packages with dpkg-deb, rpm, lintian and
// rpmlint. In CI a missing tool fails the test: the test command installs
// them (make test-deps).

var repo, _ = filepath.Abs(filepath.Join("..", ".."))

// newProject copies the example app into a new directory and creates its
// venv there, as CI would. kind is venv, copies or virtualenv.
func newProject(t *testing.T, kind string) (dir, specFile string) {
	t.Helper()
	need(t, "python3")
	dir = t.TempDir()
	run(t, "cp", "-R", filepath.Join(repo, "testdata/example/src"), filepath.Join(repo, "testdata/example/config"),
		filepath.Join(repo, "testdata/example/migrations"), filepath.Join(repo, "testdata/example/wsgipack.yaml"), dir)
	cmd := exec.Command("sh", filepath.Join(repo, "testdata/mkvenv.sh"), filepath.Join(dir, "venv"), "python3", kind)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkvenv.sh: %v\n%s", err, out)
	}
	return dir, filepath.Join(dir, "wsgipack.yaml")
}

// opts are the options of wsgipack build -f specFile --out out with
// SOURCE_DATE_EPOCH=1700000000.
func opts(specFile, out string) Options {
	mtime := time.Unix(1700000000, 0).UTC()
	return Options{SpecFile: specFile, OutDir: out, Time: &mtime}
}

// releases looks up distribution releases by name.
func releases(t *testing.T, names ...string) []distro.Release {
	t.Helper()
	var out []distro.Release
	for _, n := range names {
		r, err := distro.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestBuildExample(t *testing.T) {
	need(t, "dpkg-deb", "rpm", "lintian", "rpmlint", "python3.11")
	dir, specFile := newProject(t, "venv")
	before := testtool.TreeHash(t, filepath.Join(dir, "venv"))
	out := t.TempDir()
	res, err := Build(context.Background(), opts(specFile, out))
	if err != nil {
		t.Fatal(err)
	}
	if after := testtool.TreeHash(t, filepath.Join(dir, "venv")); after != before {
		t.Error("the build modified the CI venv on disk")
	}
	if len(res.Packages) != 2 || res.Arch != "amd64" || res.Python != "3.11" {
		t.Fatalf("unexpected result: %+v", res)
	}
	deb := filepath.Join(out, "inventory_1.4.2-1+deb12_amd64.deb")
	rpm := filepath.Join(out, "inventory-1.4.2-1.el9.x86_64.rpm")
	sums := run(t, "sh", "-c", "cd "+out+" && sha256sum -c SHA256SUMS")
	if !strings.Contains(sums, filepath.Base(deb)+": OK") || !strings.Contains(sums, filepath.Base(rpm)+": OK") {
		t.Errorf("SHA256SUMS does not cover both packages:\n%s", sums)
	}

	t.Run("deb metadata", func(t *testing.T) {
		info := run(t, "dpkg-deb", "--info", deb)
		for _, want := range []string{"Package: inventory", "Version: 1.4.2-1+deb12", "Architecture: amd64",
			"Depends: python3.11, libapache2-mod-wsgi-py3, apache2", "conffiles"} {
			if !strings.Contains(info, want) {
				t.Errorf("dpkg-deb --info lacks %q:\n%s", want, info)
			}
		}
		conffiles := run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+deb+" | tar -xO ./conffiles")
		if conffiles != "/etc/apache2/conf-available/inventory.conf\n/etc/inventory/settings.ini\n" {
			t.Errorf("conffiles = %q", conffiles)
		}
		for _, script := range []string{"preinst", "postinst", "prerm", "postrm"} {
			text := run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+deb+" | tar -xO ./"+script)
			if !strings.HasPrefix(text, "#!/bin/sh\n# "+script+" of inventory for Debian 12") {
				t.Errorf("%s is not wsgipack's:\n%.200s", script, text)
			}
		}
	})
	t.Run("deb contents", func(t *testing.T) {
		contents := run(t, "dpkg-deb", "--contents", deb)
		for _, line := range strings.Split(strings.TrimSpace(contents), "\n") {
			f := strings.Fields(line)
			mode, owner, name := f[0], f[1], f[len(f)-1]
			if owner != "root/root" {
				t.Errorf("%s is owned by %s", name, owner)
			}
			if mode[0] != 'l' && (mode[5] == 'w' || mode[8] == 'w' || strings.ContainsAny(mode, "sS")) {
				t.Errorf("%s has mode %s: group/other write or setuid", name, mode)
			}
		}
		for _, want := range []string{
			"./opt/inventory/package/app/inventory/web.py",
			"./opt/inventory/package/app/inventory/__pycache__/web.cpython-311.pyc",
			"./opt/inventory/package/migrations/001_items.sql",
			"./opt/inventory/package/wsgi/inventory.wsgi",
			"./opt/inventory/package/environment",
			"./opt/inventory/package/venv/bin/python3.11 -> /usr/bin/python3.11",
			"./opt/inventory/package/venv/bin/python -> python3.11",
			"./opt/inventory/package/app/instance -> /var/lib/inventory/app/instance",
			"./opt/inventory/package/media -> /var/lib/inventory/media",
			"./usr/sbin/inventory-ctl",
			"./usr/share/man/man8/inventory-ctl.8.gz",
			"_fastsum.cpython-311-x86_64-linux-gnu.so",
			"./usr/share/doc/inventory/copyright",
			"./usr/share/doc/inventory/changelog.Debian.gz",
			"./usr/share/lintian/overrides/inventory",
			"./etc/apache2/conf-available/inventory.conf",
		} {
			if !strings.Contains(contents, want) {
				t.Errorf("package lacks %s", want)
			}
		}
		for _, unwanted := range []string{"/tests/", "site-packages/pip", "site-packages/setuptools", "bin/pip", "direct_url.json", ".git/"} {
			if strings.Contains(contents, unwanted) {
				t.Errorf("package contains %s", unwanted)
			}
		}
	})
	t.Run("rpm", func(t *testing.T) {
		q := run(t, "rpm", "-qp", "--info", "--list", "--requires", "--scripts", rpm)
		for _, want := range []string{"Name        : inventory", "Version     : 1.4.2", "Release     : 1.el9",
			"Architecture: x86_64", "python3.11-mod_wsgi", "httpd", "acl", "/opt/inventory/package/venv/pyvenv.cfg",
			"preinstall scriptlet (using /bin/sh):\n#!/bin/sh\n# preinst of inventory for Enterprise Linux 9",
			"postinstall scriptlet", "preuninstall scriptlet", "postuninstall scriptlet"} {
			if !strings.Contains(q, want) {
				t.Errorf("rpm -qp lacks %q", want)
			}
		}
		cfg := run(t, "rpm", "-qp", "--configfiles", rpm)
		if cfg != "/etc/httpd/conf.d/inventory.conf\n/etc/inventory/environment\n/etc/inventory/secrets\n/etc/inventory/settings.ini\n" {
			t.Errorf("config files = %q", cfg)
		}
		flags := run(t, "rpm", "-qp", "--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\n]", rpm)
		if !strings.Contains(flags, "cn /etc/inventory/settings.ini") {
			t.Errorf("settings.ini is not %%config(noreplace):\n%s", flags)
		}
		// Made by the install scripts, owned so that an upgrade from a
		// package that shipped the environment file keeps it.
		for _, f := range []string{"/etc/inventory/environment", "/etc/inventory/secrets"} {
			if !strings.Contains(flags, "cng "+f+"\n") {
				t.Errorf("%s is not %%ghost %%config(noreplace):\n%s", f, flags)
			}
		}
		// The package owns its doc directory, so that rpm -e removes it.
		if list := run(t, "rpm", "-qlvp", rpm); !regexp.MustCompile(`(?m)^drwxr-xr-x .* /usr/share/doc/inventory$`).MatchString(list) {
			t.Errorf("rpm -qlvp does not list /usr/share/doc/inventory as a directory of the package:\n%s", list)
		}
		// root owns everything; the app's group owns /etc/<name> and the
		// config files, as the install scripts set them (rpm -V stays quiet).
		owners := run(t, "rpm", "-qp", "--qf", "[%{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEMODES:perms} %{FILENAMES}\n]", rpm)
		for _, line := range strings.Split(strings.TrimSpace(owners), "\n") {
			f := strings.Fields(line)
			want := "root:root"
			switch f[2] {
			case "/etc/inventory", "/etc/inventory/environment", "/etc/inventory/secrets", "/etc/inventory/settings.ini":
				want = "root:inventory"
			}
			if f[0] != want {
				t.Errorf("%s is owned by %s, want %s", f[2], f[0], want)
			}
			if f[2] == "/etc/inventory" && f[1] != "drwxr-x---" {
				t.Errorf("/etc/inventory has mode %s, want drwxr-x---", f[1])
			}
		}
	})
	t.Run("lintian", func(t *testing.T) {
		out, err := exec.Command("lintian", "--fail-on", "error,warning", deb).CombinedOutput()
		if err != nil {
			t.Errorf("lintian: %v\n%s", err, out)
		}
	})
	t.Run("rpmlint", func(t *testing.T) {
		out, _ := exec.Command("rpmlint", "-c", filepath.Join(repo, "specs/rpmlint.toml"), rpm).CombinedOutput()
		if !regexp.MustCompile(`\b0 errors\b`).Match(out) {
			t.Errorf("rpmlint found errors:\n%s", out)
		}
	})
	t.Run("relocated venv runs with the system python", func(t *testing.T) {
		root := t.TempDir()
		run(t, "dpkg-deb", "-x", deb, root)
		// An independent leak check of the finished payload.
		if out, err := exec.Command("grep", "-rlF", dir, root).CombinedOutput(); err == nil {
			t.Errorf("files still contain the build path %s:\n%s", dir, out)
		}
		// As the install scripts do: the release is served from a copy.
		release := filepath.Join(root, "opt/inventory/releases/1.4.2-1")
		run(t, "mkdir", "-p", filepath.Dir(release))
		run(t, "cp", "-al", filepath.Join(root, "opt/inventory/package"), release)
		venv := filepath.Join(release, "venv")
		cfg, _ := os.ReadFile(filepath.Join(venv, "pyvenv.cfg"))
		if !strings.Contains(string(cfg), "home = /usr/bin\n") || !strings.Contains(string(cfg), "executable = /usr/bin/python3.11\n") || strings.Contains(string(cfg), "command") {
			t.Errorf("pyvenv.cfg not relocated:\n%s", cfg)
		}
		script, _ := os.ReadFile(filepath.Join(venv, "bin/invutil"))
		if !strings.HasPrefix(string(script), "#!/opt/inventory/releases/1.4.2-1/venv/bin/python") {
			t.Errorf("console script shebang not relocated:\n%s", script)
		}
		activate, _ := os.ReadFile(filepath.Join(venv, "bin/activate"))
		if !strings.Contains(string(activate), "/opt/inventory/releases/1.4.2-1/venv") {
			t.Error("activate does not name /opt/inventory/releases/1.4.2-1/venv")
		}
		// The Debian interpreter (not CI's pyenv build) runs the venv: the C
		// extension loads and imports come from the venv.
		py := filepath.Join(venv, "bin/python")
		got := run(t, py, "-c", "import sys, fastsum, invutil; print(sys.prefix == sys.base_prefix, fastsum.total([1, 2]), invutil.slug('A b'), fastsum.__file__.startswith(sys.prefix))")
		if strings.TrimSpace(got) != "False 3 a-b True" {
			t.Errorf("venv under the system python3.11: %q", got)
		}
		co := run(t, "python3.11", "-c", "import marshal,sys; print(marshal.loads(open(sys.argv[1],'rb').read()[16:]).co_filename)",
			filepath.Join(release, "app/inventory/__pycache__/web.cpython-311.pyc"))
		if strings.TrimSpace(co) != "/opt/inventory/releases/1.4.2-1/app/inventory/web.py" {
			t.Errorf("bytecode compiled for %q", co)
		}
		wsgi := run(t, py, "-c", `
import os, runpy, sys
sys.path.insert(0, sys.argv[1] + "/app")
ns = runpy.run_path(sys.argv[1] + "/wsgi/inventory.wsgi")
out = []
body = ns["application"]({"PATH_INFO": "/health"}, lambda status, headers: out.append(status))
print(out[0], b"".join(body).decode().strip())`, release)
		if strings.TrimSpace(wsgi) != "200 OK ok" {
			t.Errorf("entry script: %q", wsgi)
		}
	})
}

func TestVenvKinds(t *testing.T) {
	need(t, "dpkg-deb", "python3.11")
	for _, kind := range []string{"copies", "virtualenv"} {
		t.Run(kind, func(t *testing.T) {
			if kind == "virtualenv" {
				need(t, "/usr/bin/python3")
				if exec.Command("/usr/bin/python3", "-m", "virtualenv", "--version").Run() != nil {
					t.Fatal("virtualenv is missing: make test-deps installs python3-virtualenv")
				}
			}
			_, specFile := newProject(t, kind)
			out := t.TempDir()
			o := opts(specFile, out)
			o.Targets = releases(t, "debian-12")
			if _, err := Build(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			root := t.TempDir()
			run(t, "dpkg-deb", "-x", filepath.Join(out, "inventory_1.4.2-1+deb12_amd64.deb"), root)
			venv := filepath.Join(root, "opt/inventory/package/venv")
			if link, err := os.Readlink(filepath.Join(venv, "bin/python3.11")); err != nil || link != "/usr/bin/python3.11" {
				t.Errorf("bin/python3.11 -> %q, %v", link, err)
			}
			got := run(t, filepath.Join(venv, "bin/python"), "-c", "import fastsum; print(fastsum.total([2, 2]))")
			if strings.TrimSpace(got) != "4" {
				t.Errorf("relocated %s venv: %q", kind, got)
			}
			cfg, _ := os.ReadFile(filepath.Join(venv, "pyvenv.cfg"))
			if kind == "virtualenv" && !strings.Contains(string(cfg), "base-executable = /usr/bin/python3.11") && strings.Contains(string(cfg), "base-executable") {
				t.Errorf("virtualenv pyvenv.cfg not relocated:\n%s", cfg)
			}
		})
	}
}

func TestReproducible(t *testing.T) {
	need(t, "dpkg-deb", "rpm")
	_, spec1 := newProject(t, "venv")
	_, spec2 := newProject(t, "venv") // another directory, another venv, later
	out1, out2 := t.TempDir(), t.TempDir()
	if _, err := Build(context.Background(), opts(spec1, out1)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := Build(context.Background(), opts(spec2, out2)); err != nil {
		t.Fatal(err)
	}
	compare := func(a, b string) {
		t.Helper()
		for _, name := range []string{"inventory_1.4.2-1+deb12_amd64.deb", "inventory-1.4.2-1.el9.x86_64.rpm", "SHA256SUMS"} {
			x, _ := os.ReadFile(filepath.Join(a, name))
			y, _ := os.ReadFile(filepath.Join(b, name))
			if len(x) == 0 || !bytes.Equal(x, y) {
				t.Errorf("%s differs between builds (%d and %d bytes)", name, len(x), len(y))
			}
		}
	}
	compare(out1, out2)

	// Without SOURCE_DATE_EPOCH the time stamp comes from the inputs, never
	// the clock.
	out3, out4 := t.TempDir(), t.TempDir()
	o := opts(spec1, out3)
	o.Time = nil
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	o.OutDir = out4
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	compare(out3, out4)
}

// TestBadVenvs is the bad-venv half of the bad-input table: each broken
// project fails with a message that names the file and says what to do.
func TestBadVenvs(t *testing.T) {
	need(t, "python3")
	sp := "venv/lib/python3.11/site-packages"
	write := func(t *testing.T, dir, name, data string, mode fs.FileMode) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		targets []string
		break_  func(t *testing.T, dir string)
		want    []string
	}{
		{"editable install", nil, func(t *testing.T, dir string) {
			write(t, dir, sp+"/__editable__.mylib-1.0.pth", "import __editable___mylib_1_0_finder; __editable___mylib_1_0_finder.install()\n", 0o644)
			write(t, dir, sp+"/mylib-1.0.dist-info/direct_url.json", `{"url": "file:///ci/src/mylib", "dir_info": {"editable": true}}`, 0o644)
			write(t, dir, sp+"/mylib-1.0.dist-info/RECORD", "", 0o644)
		}, []string{`distribution "mylib" is an editable install`, "file:///ci/src/mylib", "install it without -e"}},
		{"legacy develop install", nil, func(t *testing.T, dir string) {
			write(t, dir, sp+"/oldlib.egg-link", "/ci/src/oldlib\n.", 0o644)
		}, []string{`distribution "oldlib" is an editable install`}},
		{"path file outside the venv", nil, func(t *testing.T, dir string) {
			write(t, dir, sp+"/extra.pth", "/home/ci/checkout/lib\n", 0o644)
		}, []string{`"extra" is an editable install (extra.pth adds /home/ci/checkout/lib to sys.path)`}},
		{"build path in a data file", nil, func(t *testing.T, dir string) {
			write(t, dir, sp+"/fastsum/paths.txt", "cache="+filepath.Join(dir, "venv", "cache")+"\n", 0o644)
		}, []string{"1 file(s) of the package still contain a build path", "venv/lib/python3.11/site-packages/fastsum/paths.txt", "exclude the file or make it path-free"}},
		{"setuid file", nil, func(t *testing.T, dir string) {
			write(t, dir, "src/inventory/tool", "#!/bin/sh\n", fs.ModeSetuid|0o755)
		}, []string{"src/inventory/tool is setuid or setgid"}},
		{"symlink out of the package", nil, func(t *testing.T, dir string) {
			if err := os.Symlink("/etc/passwd", filepath.Join(dir, "src/inventory/passwd")); err != nil {
				t.Fatal(err)
			}
		}, []string{"src/inventory/passwd: symlink to /etc/passwd leaves /opt/inventory"}},
		{"relative symlink out of the package", nil, func(t *testing.T, dir string) {
			if err := os.Symlink("../../../../etc/passwd", filepath.Join(dir, "src/inventory/up")); err != nil {
				t.Fatal(err)
			}
		}, []string{"src/inventory/up: symlink to ../../../../etc/passwd resolves to /opt/inventory/etc/passwd, outside /opt/inventory/releases/1.4.2-1"}},
		{"python not offered by target", []string{"debian-11", "el10"}, func(*testing.T, string) {},
			[]string{"debian-11 offers mod_wsgi only for Python 3.9, but the venv is Python 3.11", "el10 offers mod_wsgi only for Python 3.12"}},
		{"glibc newer than target", []string{"el8"}, func(t *testing.T, dir string) {
			data, err := os.ReadFile("/usr/bin/true") // needs GLIBC_2.34 on Debian 12
			if err != nil {
				t.Fatal(err)
			}
			write(t, dir, "src/inventory/helper", string(data), 0o755)
		}, []string{"src/inventory/helper needs glibc 2.34 but el8 has 2.28"}},
		{"mixed machines", nil, func(t *testing.T, dir string) {
			write(t, dir, sp+"/fastsum/arm.so", string(minimalELF(183 /* EM_AARCH64 */)), 0o755)
		}, []string{"native code for several machines: amd64 (", "arm64 (venv/lib/python3.11/site-packages/fastsum/arm.so)"}},
		{"no python version", nil, func(t *testing.T, dir string) {
			write(t, dir, "venv/pyvenv.cfg", "home = /usr/bin\n", 0o644)
		}, []string{"pyvenv.cfg: no version or version_info line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, specFile := newProject(t, "venv")
			tt.break_(t, dir)
			o := opts(specFile, t.TempDir())
			o.Targets = releases(t, tt.targets...)
			_, err := Check(context.Background(), o)
			wantError(t, err, dir, tt.want)
		})
	}
}

// wantError fails t unless err holds each of want, with the project
// directory dir left out of its paths.
func wantError(t *testing.T, err error, dir string, want []string) {
	t.Helper()
	if err == nil {
		t.Fatal("accepted; want an error")
	}
	msg := strings.ReplaceAll(err.Error(), dir+"/", "")
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
}

// minimalELF returns a 64-bit little-endian ELF header for machine, with no
// sections: enough for debug/elf to read the machine.
func minimalELF(machine uint16) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF")
	h[4], h[5], h[6] = 2, 1, 1 // 64-bit, little endian, version 1
	h[16] = 3                  // ET_DYN
	h[18], h[19] = byte(machine), byte(machine>>8)
	h[20] = 1  // version
	h[52] = 64 // header size
	return h
}

func TestBuildLeavesNothingHalfWritten(t *testing.T) {
	need(t, "python3")
	dir, specFile := newProject(t, "venv")
	if err := os.WriteFile(filepath.Join(dir, "venv/lib/python3.11/site-packages/leak.txt"), []byte(dir), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := Build(context.Background(), opts(specFile, out)); err == nil {
		t.Fatal("build with a leak succeeded")
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 0 {
		t.Errorf("output directory holds %d files after a failed build", len(entries))
	}
}

// TestFailedBuildLeavesOutputAsItWas: the second target's package does not
// fit on the output file system (a tmpfs of 96 KiB) after the first one was
// written. The build fails and the output directory holds exactly what it
// held before: no first package, no temporary file, the old SHA256SUMS.
func TestFailedBuildLeavesOutputAsItWas(t *testing.T) {
	need(t, "python3", "mount", "umount")
	out := t.TempDir()
	if msg, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=96k", "wsgipack-test", out).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("cannot mount a small tmpfs (CI runs the tests as root): %v\n%s", err, msg)
		}
		t.Skipf("cannot mount a small tmpfs here (it needs root): %v\n%s", err, msg)
	}
	t.Cleanup(func() { exec.Command("umount", out).Run() })
	_, specFile := newProject(t, "venv")
	// A private $TMPDIR: the failed build must leave nothing there either.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	old := map[string]string{
		"inventory_1.4.1-1+deb12_amd64.deb": "an older package\n",
		"SHA256SUMS":                        "0000  inventory_1.4.1-1+deb12_amd64.deb\n",
	}
	for name, data := range old {
		if err := os.WriteFile(filepath.Join(out, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	listing := func() string { // names, modes and contents; not the directory's time
		entries, err := os.ReadDir(out)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, e := range entries {
			data, _ := os.ReadFile(filepath.Join(out, e.Name()))
			fmt.Fprintf(&b, "%s %v %q\n", e.Name(), e.Type(), data)
		}
		return b.String()
	}
	before := listing()
	o := opts(specFile, out)
	o.Targets = releases(t, "debian-12", "el9") // the deb (31 KiB) fits, the rpm (67 KiB) does not
	_, err := Build(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "el9") || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("build on a full file system: %v", err)
	}
	if after := listing(); after != before {
		t.Errorf("the output directory changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("$TMPDIR holds %d entries after the failed build, e.g. %s", len(left), left[0].Name())
	}

	// With room for both, the same build succeeds: the failure above was
	// the file system's.
	run(t, "mount", "-o", "remount,size=1m", out)
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	sums := run(t, "sh", "-c", "cd "+out+" && cat SHA256SUMS")
	for _, want := range []string{"inventory_1.4.1-1+deb12_amd64.deb", "inventory_1.4.2-1+deb12_amd64.deb", "inventory-1.4.2-1.el9.x86_64.rpm"} {
		if !strings.Contains(sums, want) {
			t.Errorf("SHA256SUMS lacks %s:\n%s", want, sums)
		}
	}
}

// TestEntryPoint: check and build import app.wsgi with the venv's Python
// (internal/entrycheck tests the cases); NoImport still looks for the
// module.
func TestEntryPoint(t *testing.T) {
	_, specFile := newProject(t, "venv")
	data, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	write := func(wsgi string) {
		t.Helper()
		if err := os.WriteFile(specFile, bytes.Replace(data, []byte("inventory.web:create_app()"), []byte(wsgi), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("inventory.web:create_ap()")
	out := t.TempDir()
	for name, do := range map[string]func(context.Context, Options) (*Result, error){"check": Check, "build": Build} {
		_, err := do(context.Background(), opts(specFile, out))
		if err == nil || !strings.Contains(err.Error(), "app.wsgi: inventory.web:create_ap(): inventory.web (src/inventory/web.py) has no attribute create_ap; it defines the callables create_app") {
			t.Errorf("%s: want the missing attribute, got %v", name, err)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a failed build wrote %d file(s)", len(entries))
	}
	o := opts(specFile, out)
	o.NoImport = true
	if _, err := Check(context.Background(), o); err != nil {
		t.Errorf("NoImport: %v", err)
	}
	write("inventory.webapp:create_app()")
	if _, err := Check(context.Background(), o); err == nil || !strings.Contains(err.Error(), "module inventory.webapp not found: expected src/inventory/webapp.py") {
		t.Errorf("NoImport must still look for the module: %v", err)
	}
}

// TestInitSpecBuilds: the spec 'wsgipack init' writes for the example app
// (TODOs left as they are) builds, its entry point imports, and lintian
// accepts the package: summary and description included, and a
// dependency that bundles jQuery, as Django's admin and Werkzeug's
// debugger do.
func TestInitSpecBuilds(t *testing.T) {
	need(t, "dpkg-deb", "lintian", "python3.11")
	dir, specFile := newProject(t, "venv")
	if err := os.Remove(specFile); err != nil {
		t.Fatal(err)
	}
	sp, _ := filepath.Glob(filepath.Join(dir, "venv", "lib", "python3.*", "site-packages"))
	if len(sp) != 1 {
		t.Fatalf("site-packages: %q", sp)
	}
	testtool.WriteFiles(t, sp[0], map[string]string{"bundled/static/vendor/jquery/jquery.min.js": "/*! jQuery v3.6.4 | (c) OpenJS Foundation | jquery.org/license */\n"})
	sk, err := spec.Init(specFile, false)
	if err != nil {
		t.Fatal(err)
	}
	if sk.WSGI != "inventory.web:create_app()" {
		t.Errorf("init found %q", sk.WSGI)
	}
	o := opts(specFile, t.TempDir())
	o.Targets, o.NoBytecode = releases(t, "debian-12"), true
	res, err := Build(context.Background(), o)
	if err != nil {
		data, _ := os.ReadFile(specFile)
		t.Fatalf("%v\n%s", err, data)
	}
	deb := res.Packages[0].File
	if out, err := exec.Command("lintian", "--fail-on", "error,warning", deb).CombinedOutput(); err != nil {
		t.Errorf("lintian: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "src", "inventory", "__pycache__")); err == nil {
		t.Error("the entry-point check wrote bytecode into the project")
	}
}
