// Package packagertest helps test package formats: a small package to
// write, and a writer that checks that the output to a file and to a
// stream agree.
package packagertest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/docs"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/version"
)

// Package returns a small package "demo" 1.2.0 for the release called
// distroName: a config file read from disk (as the Apache configuration
// will be), an app file, a symlink, the copyright file (held in memory), the
// four install scripts, and a Debian-style dependency or an rpm-style one
// according to the release's format.
func Package(t *testing.T, distroName string) *packager.Package {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"app.py": "print('hi')\n", "site.conf": "Alias /demo /opt/demo/app\n"}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rel, err := distro.Lookup(distroName)
	if err != nil {
		t.Fatal(err)
	}
	v, err := version.Parse("1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	copyright, err := docs.Copyright(docs.App{Layout: layout.For("demo"), Maintainer: "Ops Team <ops@example.com>",
		License: "MIT", Time: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	depends := []string{"libpq5 (>= 13)"}
	if rel.Format == "rpm" {
		depends = []string{"libpq5 >= 13"}
	}
	return &packager.Package{
		Name: "demo", Summary: "Web app for the packager tests", Description: "A demo of the packagers.", Maintainer: "Ops Team <ops@example.com>",
		License: "MIT", Homepage: "https://example.com/demo", Version: v, Release: 1, Distro: rel, Machine: "all",
		System: []string{"apache2"}, Depends: depends, MTime: time.Unix(1700000000, 0).UTC(),
		Scripts: packager.Scripts{
			PreInstall: "#!/bin/sh\nset -e\necho preinst\n", PostInstall: "#!/bin/sh\nset -e\necho postinst\n",
			PreRemove: "#!/bin/sh\nset -e\necho prerm\n", PostRemove: "#!/bin/sh\nset -e\necho postrm\n",
		},
		Entries: []archive.Entry{
			{Path: "/etc/demo/site.conf", Kind: archive.File, Mode: 0o644, Source: filepath.Join(dir, "site.conf"), Size: int64(len(files["site.conf"])), Config: true},
			{Path: "/opt/demo", Kind: archive.Dir, Mode: 0o755},
			{Path: "/opt/demo/app", Kind: archive.Dir, Mode: 0o755},
			{Path: "/opt/demo/app/app.py", Kind: archive.File, Mode: 0o644, Source: filepath.Join(dir, "app.py"), Size: int64(len(files["app.py"]))},
			{Path: "/opt/demo/app/current", Kind: archive.Symlink, Mode: 0o777, Link: "app.py"},
			{Path: "/usr/share/doc/demo", Kind: archive.Dir, Mode: 0o755},
			copyright,
		},
	}
}

// Write writes p with its release's format into a file of a new temporary
// directory, named as the format names it, and returns the file's path. It
// also writes p to a bytes.Buffer (the path for writers that cannot seek):
// both must be equal.
func Write(t *testing.T, p *packager.Package) string {
	t.Helper()
	f, err := packager.Get(p.Distro.Format)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), f.FileName(p))
	out, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(p, out); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(p, &buf); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(file); !bytes.Equal(data, buf.Bytes()) {
		t.Error("the package written to a file and to a buffer differ")
	}
	return file
}
