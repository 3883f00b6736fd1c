package deb

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/packager/packagertest"
)

func TestScriptsAndConffiles(t *testing.T) {
	need(t, "dpkg-deb", "lintian")
	p := packagertest.Package(t, "debian-12")
	deb := packagertest.Write(t, p)
	if !strings.HasSuffix(deb, "/demo_1.2.0-1+deb12_all.deb") {
		t.Errorf("file name %s", deb)
	}
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
	contents := run(t, "dpkg-deb", "-c", deb)
	for _, w := range []string{"./usr/share/doc/demo/changelog.Debian.gz\n", "./usr/share/lintian/overrides/demo\n", "./usr/share/doc/demo/copyright\n"} {
		if !strings.Contains(contents, w) {
			t.Errorf("dpkg-deb -c lacks %q:\n%s", w, contents)
		}
	}
	out, err := exec.Command("lintian", "--fail-on", "error,warning", deb).CombinedOutput()
	if err != nil {
		t.Errorf("lintian: %v\n%s", err, out)
	}
}

func TestVersionAndRelations(t *testing.T) {
	f, err := packager.Get("deb")
	if err != nil {
		t.Fatal(err)
	}
	p := packagertest.Package(t, "debian-12")
	p.Version.Epoch = 2
	p.Glibc = "2.34"
	if got := f.Version(p); got != "2:1.2.0-1+deb12" {
		t.Errorf("Version = %q", got)
	}
	if got := f.FileName(p); got != "demo_1.2.0-1+deb12_all.deb" {
		t.Errorf("FileName = %q (dpkg-name leaves the epoch out)", got)
	}
	if got := strings.Join(f.Relations(p), ", "); got != "apache2, libc6 (>= 2.34), libpq5 (>= 13)" {
		t.Errorf("Relations = %q", got)
	}
	for _, ok := range []string{"libpq5", "libpq5 (>= 13)", "libfoo (<< 2.0~rc1)", "x (= 1:2.3-4)"} {
		if err := f.CheckRelation(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"libpq5 >= 13", "LibPQ", "a b", "x (>= )", "x (~ 1)", ""} {
		if err := f.CheckRelation(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
