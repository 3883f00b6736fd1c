package packager

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/testtool"
	"github.com/wsgipack/wsgipack/internal/version"
)

var (
	need = testtool.Need
	run  = testtool.Run
)

var repo, _ = filepath.Abs(filepath.Join("..", ".."))

// fixture is a small payload with a config file (as the Apache
// configuration will be) and metadata with all four install scripts.
func fixture(t *testing.T, targetName string) (*Meta, []archive.Entry) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"app.py": "print('hi')\n", "site.conf": "Alias /demo /opt/demo/app\n"}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tree := []archive.Entry{
		{Path: "/etc/demo/site.conf", Kind: archive.File, Mode: 0o644, Source: filepath.Join(dir, "site.conf"), Size: int64(len(files["site.conf"])), Config: true},
		{Path: "/opt/demo", Kind: archive.Dir, Mode: 0o755},
		{Path: "/opt/demo/app", Kind: archive.Dir, Mode: 0o755},
		{Path: "/opt/demo/app/app.py", Kind: archive.File, Mode: 0o644, Source: filepath.Join(dir, "app.py"), Size: int64(len(files["app.py"]))},
		{Path: "/opt/demo/app/current", Kind: archive.Symlink, Mode: 0o777, Link: "app.py"},
	}
	tg, err := distro.Lookup(targetName)
	if err != nil {
		t.Fatal(err)
	}
	v, err := version.Parse("1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	m := &Meta{
		Name: "demo", Summary: "Web app for the packager tests", Description: "A demo of the packagers.", Maintainer: "Ops Team <ops@example.com>",
		License: "MIT", Homepage: "https://example.com/demo", Version: v, Release: 1, Target: tg, Arch: "all",
		Depends: []string{"apache2", "libpq5 (>= 13)"}, MTime: time.Unix(1700000000, 0).UTC(),
		Scripts: Scripts{
			PreInstall: "#!/bin/sh\nset -e\necho preinst\n", PostInstall: "#!/bin/sh\nset -e\necho postinst\n",
			PreRemove: "#!/bin/sh\nset -e\necho prerm\n", PostRemove: "#!/bin/sh\nset -e\necho postrm\n",
		},
	}
	return m, tree
}

// write writes the package to a file, and to a bytes.Buffer (the path
// for writers that cannot seek): both must be equal.
func write(t *testing.T, m *Meta, tree []archive.Entry) string {
	t.Helper()
	pk := For(m.Target.Format)
	file := filepath.Join(t.TempDir(), pk.FileName(m))
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := pk.Write(m, tree, f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := pk.Write(m, tree, &buf); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(file); !bytes.Equal(data, buf.Bytes()) {
		t.Error("the package written to a file and to a buffer differ")
	}
	return file
}

func TestDebScriptsAndConffiles(t *testing.T) {
	need(t, "dpkg-deb", "lintian")
	m, tree := fixture(t, "debian-12")
	deb := write(t, m, tree)
	info := run(t, "dpkg-deb", "--info", deb)
	for _, w := range []string{"Package: demo\n", "Version: 1.2.0-1+deb12\n", "Architecture: all\n",
		"Depends: apache2, libpq5 (>= 13)\n", "Description: Web app for the packager tests\n  A demo of the packagers.\n"} {
		if !strings.Contains(info, w) {
			t.Errorf("dpkg-deb --info lacks %q:\n%s", w, info)
		}
	}
	ctrl := run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+deb+" | tar -tvf -")
	for _, s := range []string{"preinst", "postinst", "prerm", "postrm"} {
		if !regexp.MustCompile(`(?m)^-rwxr-xr-x root/root .* \./` + s + `$`).MatchString(ctrl) {
			t.Errorf("%s missing or not 0755:\n%s", s, ctrl)
		}
		if got := run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+deb+" | tar -xOf - ./"+s); got != "#!/bin/sh\nset -e\necho "+s+"\n" {
			t.Errorf("%s = %q", s, got)
		}
	}
	if got := run(t, "sh", "-c", "dpkg-deb --ctrl-tarfile "+deb+" | tar -xOf - ./conffiles"); got != "/etc/demo/site.conf\n" {
		t.Errorf("conffiles = %q", got)
	}
	out, err := exec.Command("lintian", "--fail-on", "error,warning", deb).CombinedOutput()
	if err != nil {
		t.Errorf("lintian: %v\n%s", err, out)
	}
}

func TestRPMScriptletsAndConfig(t *testing.T) {
	need(t, "rpm", "rpmlint")
	m, tree := fixture(t, "el9")
	rpm := write(t, m, tree)
	q := run(t, "rpm", "-qp", "--info", "--requires", "--scripts", rpm)
	for _, w := range []string{"Name        : demo", "Release     : 1.el9", "Architecture: noarch", "libpq5 >= 13\n",
		"preinstall scriptlet (using /bin/sh):\n#!/bin/sh\nset -e\necho preinst",
		"postinstall scriptlet (using /bin/sh):\n#!/bin/sh\nset -e\necho postinst",
		"preuninstall scriptlet (using /bin/sh):\n#!/bin/sh\nset -e\necho prerm",
		"postuninstall scriptlet (using /bin/sh):\n#!/bin/sh\nset -e\necho postrm"} {
		if !strings.Contains(q, w) {
			t.Errorf("rpm -qp lacks %q:\n%s", w, q)
		}
	}
	flags := run(t, "rpm", "-qp", "--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\n]", rpm)
	for _, w := range []string{"cn /etc/demo/site.conf\n", "d /usr/share/doc/demo/copyright\n"} {
		if !strings.Contains(flags, w) {
			t.Errorf("file flags lack %q:\n%s", w, flags)
		}
	}
	if k := run(t, "rpm", "-K", rpm); !strings.Contains(k, "digests OK") {
		t.Errorf("rpm -K: %s", k)
	}
	out, _ := exec.Command("rpmlint", "-c", filepath.Join(repo, "specs/rpmlint.toml"), rpm).CombinedOutput()
	if !regexp.MustCompile(`\b0 errors\b`).Match(out) {
		t.Errorf("rpmlint found errors:\n%s", out)
	}
}

func TestRPMRelations(t *testing.T) {
	for in, want := range map[string]string{
		"httpd": "httpd  ", "libpq5 (>= 13)": "libpq5 >= 13", "libfoo (<< 2.0~rc1)": "libfoo < 2.0~rc1",
		"libbar >= 1:2.3-4": "libbar >= 1:2.3-4", "x (= 1)": "x = 1",
	} {
		r, err := rpmRelations([]string{in})
		if err != nil || len(r) != 1 || r[0].Name+" "+r[0].Op+" "+r[0].Version != want {
			t.Errorf("%q: %+v %v, want %q", in, r, err, want)
		}
	}
	for _, bad := range []string{"a b", "(x)", "x (>= )"} {
		if _, err := rpmRelations([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
