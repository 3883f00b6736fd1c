package packager

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strings"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/debwriter"
	"github.com/wsgipack/wsgipack/templates"
)

type debPackager struct{}

func (debPackager) FileName(m *Meta) string {
	v := m.Version.Deb(m.Release, m.Target.Suffix)
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after // dpkg-name leaves the epoch out of file names
	}
	return fmt.Sprintf("%s_%s_%s.deb", m.Name, v, m.Target.PackageArch(m.Arch))
}

// lintianOverride is one lintian tag that fires by design, with the reason.
type lintianOverride struct{ Tag, Reason string }

// lintianOverrides are the tags a wsgipack package triggers by design.
var lintianOverrides = []lintianOverride{
	{"package-installs-python-pycache-dir", "bytecode is compiled at build time for the final paths, so the read-only venv needs no writes at run time"},
	{"package-installs-python-bytecode", "as above: the .pyc files are unchecked-hash bytecode of the shipped sources"},
	{"unusual-interpreter", "console scripts run with the packaged venv's Python, as pip wrote them"},
	{"script-not-executable", "the venv's activate scripts are sourced, not run, as Python's venv module makes them"},
	{"executable-not-elf-or-script", "files of the app and its dependencies keep the modes they were built with"},
	{"unstripped-binary-or-object", "native extensions are shipped as pip installed them; manylinux wheels must not be stripped or relinked"},
	{"shared-library-lacks-prerequisites", "Python extension modules resolve libc and libpython symbols from the interpreter that loads them"},
	{"library-not-linked-against-libc", "Python extension modules resolve libc symbols from the interpreter that loads them"},
	{"hardening-no-fortify-functions", "native extensions are built by the app's CI with its own flags"},
	{"embedded-library", "the venv bundles its dependencies by design: that is what makes the package work without PyPI"},
	{"extra-license-file", "licenses of bundled dependencies stay in their .dist-info directories"},
	{"package-contains-documentation-outside-usr-share-doc", "bundled dependencies keep their READMEs where they installed them"},
	{"custom-library-search-path", "native extensions built by CI's Python can carry a RUNPATH into CI's Python; wsgipack warns at build time and does not relink them"},
	{"non-standard-file-perm", "the environment file may hold secrets: 0640, readable by the app's group only"},
	{"non-standard-dir-perm", "see non-standard-file-perm"},
	{"package-contains-vcs-control-file", "dependencies may ship their own .gitignore; it is harmless"},
	{"repeated-path-segment", "Python packages often nest a directory of the same name"},
	{"package-contains-empty-directory", "empty directories of the app and venv are kept as built"},
	{"zero-byte-file-in-doc-directory", "bundled dependencies keep their files as installed"},
	{"web-application-works-only-with-apache", "wsgipack packages are mod_wsgi apps: Apache httpd is the server they are made for"},
	{"package-contains-no-arch-dependent-files", "the arch is derived from native code; this tag fires only for all-arch packages and is informational"},
}

func (debPackager) Write(m *Meta, entries []archive.Entry, w io.Writer) error {
	version := m.Version.Deb(m.Release, m.Target.Suffix)
	changelog, err := templates.Render("changelog.tmpl", map[string]any{
		"Name": m.Name, "Version": version, "Upstream": m.Version.Input, "Target": m.Target.Title,
		"Maintainer": m.Maintainer, "Date": m.MTime.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700"),
	})
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // no name, no time: reproducible
	zw.Write(changelog)
	zw.Close()
	ov := lintianOverrides
	if strings.HasPrefix(m.Target.Compression, "zstd") {
		ov = append(ov, lintianOverride{"malformed-deb-archive", "the data member is zstd-compressed, which this target's dpkg reads (1.21.18 and later); lintian 2.116 predates that"})
	}
	overrides, err := templates.Render("lintian-overrides.tmpl", map[string]any{"Name": m.Name, "Overrides": ov})
	if err != nil {
		return err
	}
	cr, err := copyright(m)
	if err != nil {
		return err
	}
	docs := []docFile{cr,
		{dest: "/usr/share/doc/" + m.Name + "/changelog.Debian.gz", data: gz.Bytes()},
		{dest: "/usr/share/lintian/overrides/" + m.Name, data: overrides},
	}

	entries = withDocs(entries, docs)
	control := debControl(m, version, debwriter.InstalledSize(entries))
	s := m.Scripts
	pkg := &debwriter.Package{
		Control:     control,
		Scripts:     debwriter.Scripts{Preinst: s.PreInstall, Postinst: s.PostInstall, Prerm: s.PreRemove, Postrm: s.PostRemove},
		Entries:     entries,
		Compression: m.Target.Compression,
		MTime:       m.MTime,
	}
	return wrap("deb", seekable(w, func(ws io.WriteSeeker) error { return debwriter.Write(ws, pkg) }))
}

// debControl renders the control file.
func debControl(m *Meta, version string, installedSize int64) []byte {
	var b bytes.Buffer
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s: %s\n", name, value)
		}
	}
	field("Package", m.Name)
	field("Version", version)
	field("Section", "web")
	field("Priority", "optional")
	field("Architecture", m.Target.PackageArch(m.Arch))
	field("Maintainer", m.Maintainer)
	field("Installed-Size", fmt.Sprint(installedSize))
	field("Depends", strings.Join(m.Depends, ", "))
	field("Homepage", m.Homepage)
	desc := m.Summary
	if m.Description != "" && m.Description != m.Summary {
		desc += "\n" + m.Description
	}
	// The first line is the synopsis; the others are indented by one
	// space, with " ." for an empty line.
	lines := strings.Split(strings.TrimSpace(desc), "\n")
	b.WriteString("Description: " + strings.TrimSpace(lines[0]) + "\n")
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l == "" {
			l = "."
		}
		b.WriteString(" " + l + "\n")
	}
	return b.Bytes()
}
