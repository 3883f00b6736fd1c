package rpm

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/packager/packagertest"
)

var repo, _ = filepath.Abs(filepath.Join("..", ".."))

func TestScriptletsAndConfig(t *testing.T) {
	need(t, "rpm", "rpmlint")
	p := packagertest.Package(t, "el9")
	rpm := packagertest.Write(t, p)
	if !strings.HasSuffix(rpm, "/demo-1.2.0-1.el9.noarch.rpm") {
		t.Errorf("file name %s", rpm)
	}
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
	for _, w := range []string{"cn /etc/demo/site.conf\n", "d /usr/share/doc/demo/copyright\n", " /usr/share/doc/demo\n"} {
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

func TestVersionAndRelations(t *testing.T) {
	f, err := packager.Get("rpm")
	if err != nil {
		t.Fatal(err)
	}
	p := packagertest.Package(t, "el9")
	p.Version.Epoch = 2
	p.Version.Upstream = "1.0.0~alpha-1"
	p.Machine = "amd64"
	p.Glibc = "2.34"
	if got := f.Version(p); got != "2:1.0.0~alpha_1-1.el9" {
		t.Errorf("Version = %q", got)
	}
	if got := f.FileName(p); got != "demo-1.0.0~alpha_1-1.el9.x86_64.rpm" {
		t.Errorf("FileName = %q", got)
	}
	if got := strings.Join(f.Relations(p), ", "); got != "apache2, libpq5 >= 13" {
		t.Errorf("Relations = %q (rpm adds no libc relation)", got)
	}
	for in, want := range map[string]string{
		"httpd": "httpd  ", "libpq5 >= 13": "libpq5 >= 13", "libfoo < 2.0~rc1": "libfoo < 2.0~rc1",
		"libbar >= 1:2.3-4": "libbar >= 1:2.3-4", "x = 1": "x = 1", "perl(DBI) >= 1.6": "perl(DBI) >= 1.6",
		"libpq.so.5()(64bit)": "libpq.so.5()(64bit)  ",
	} {
		r, err := parseRelation(in)
		if err != nil || r.Name+" "+r.Op+" "+r.Version != want {
			t.Errorf("%q: %+v %v, want %q", in, r, err, want)
		}
	}
	for _, bad := range []string{"a b", "(x)", "x >= ", "libpq5 (>= 13)", "x << 1", ""} {
		if err := f.CheckRelation(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParseRelation: any string either is refused or gives a relation
// whose parts are single words, with an operator rpm knows.
func FuzzParseRelation(f *testing.F) {
	for _, s := range []string{"httpd", "libpq >= 13", "perl(DBI) >= 1.6", "libpq (>= 13)", "x << 1", "a b c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRelation(s)
		if err != nil {
			return
		}
		if r.Name == "" || strings.ContainsAny(r.Name+r.Version, " \t\n<>=") || (r.Op == "") != (r.Version == "") {
			t.Errorf("%q parsed as %+v", s, r)
		}
		if _, ok := senses[r.Op]; !ok {
			t.Errorf("%q: operator %q unknown to the writer", s, r.Op)
		}
	})
}
