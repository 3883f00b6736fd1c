package deb

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/render"
)

func init() { packager.Register("deb", debPackager{}) }

//go:embed *.tmpl
var templateFiles embed.FS

var templates = render.Must(templateFiles, "*.tmpl")

type debPackager struct{}

func (debPackager) FileName(p *packager.Package) string {
	v := version(p)
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after // dpkg-name leaves the epoch out of file names
	}
	return fmt.Sprintf("%s_%s_%s.deb", p.Name, v, p.Machine)
}

func (debPackager) Version(p *packager.Package) string { return version(p) }

// version is the Debian version: [epoch:]upstream-revision, the release's
// suffix appended to the revision.
func version(p *packager.Package) string {
	s := fmt.Sprintf("%s-%d%s", p.Version.Upstream, p.Release, p.Distro.Suffix)
	if p.Version.Epoch > 0 {
		s = fmt.Sprintf("%d:%s", p.Version.Epoch, s)
	}
	return s
}

// Arch is the machine name itself: Debian names amd64, arm64 and all as Go
// does.
func (debPackager) Arch(machine string) string { return machine }

// Relations adds libc6 (>= X.Y) when native code needs glibc X.Y: dpkg
// does not read it from the ELF files as rpmbuild would.
func (debPackager) Relations(p *packager.Package) []string {
	deps := slices.Clone(p.System)
	if p.Glibc != "" {
		deps = append(deps, "libc6 (>= "+p.Glibc+")")
	}
	return append(deps, p.Depends...)
}

// relationRE is a Debian dependency: a package name, optionally with one
// version constraint in parentheses.
var relationRE = regexp.MustCompile(`^[a-z0-9][a-z0-9+._-]*( \((<<|<=|=|>=|>>|<|>) [0-9A-Za-z.+~:_-]+\))?$`)

func (debPackager) CheckRelation(rel string) error {
	if !relationRE.MatchString(rel) {
		return fmt.Errorf("%q is not a Debian package name, optionally with a version as 'libpq5 (>= 13)'", rel)
	}
	return nil
}

// NeedsMD5: the control member, which comes first, lists every file's MD5.
func (debPackager) NeedsMD5() bool { return true }

func (debPackager) Write(p *packager.Package, w io.Writer) error {
	docs, err := docs(p)
	if err != nil {
		return err
	}
	entries := append(slices.Clip(p.Entries), docs...)
	s := p.Scripts
	f := &debFile{
		Control:     control(p, installedSize(entries)),
		Scripts:     maintainerScripts{Preinst: s.PreInstall, Postinst: s.PostInstall, Prerm: s.PreRemove, Postrm: s.PostRemove},
		Entries:     entries,
		Compression: p.Distro.Compression,
		MTime:       p.MTime,
	}
	err = packager.Seekable(w, func(ws io.WriteSeeker) error { return writeDeb(ws, f) })
	if err != nil {
		return fmt.Errorf("writing the deb package: %w", err)
	}
	return nil
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
	{"embedded-javascript-library", "the app's static files and its dependencies (Django's admin, Werkzeug's debugger) ship the JavaScript they were tested with, served from the package, not Debian's libjs-* packages"},
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

// changelogData fills changelog.tmpl.
type changelogData struct {
	Name, Version, Upstream, Target, Maintainer, Date string
}

// overridesData fills lintian-overrides.tmpl.
type overridesData struct {
	Name, Root string
	Overrides  []lintianOverride
}

// docs are the files a .deb adds to the payload: changelog.Debian.gz
// (Debian policy wants one in every package) and the lintian overrides.
func docs(p *packager.Package) ([]archive.Entry, error) {
	lay := layout.For(p.Name)
	changelog, err := templates.Execute("changelog.tmpl", changelogData{
		Name: p.Name, Version: version(p), Upstream: p.Version.Input, Target: p.Distro.Title,
		Maintainer: p.Maintainer, Date: p.MTime.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700"),
	})
	if err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // no name, no time: reproducible
	zw.Write(changelog)
	zw.Close()
	ov := lintianOverrides
	if strings.HasPrefix(p.Distro.Compression, "zstd") {
		ov = append(slices.Clip(ov), lintianOverride{"malformed-deb-archive", "the data member is zstd-compressed, which this target's dpkg reads (1.21.18 and later); lintian 2.116 predates that"})
	}
	overrides, err := templates.Execute("lintian-overrides.tmpl", overridesData{Name: p.Name, Root: lay.Root, Overrides: ov})
	if err != nil {
		return nil, err
	}
	return []archive.Entry{
		file(lay.Doc+"/changelog.Debian.gz", gz.Bytes(), "generated changelog.tmpl"),
		file("/usr/share/lintian/overrides/"+p.Name, overrides, "generated lintian-overrides.tmpl"),
	}, nil
}

func file(path string, data []byte, origin string) archive.Entry {
	return archive.Entry{Path: path, Kind: archive.File, Mode: 0o644, Size: int64(len(data)), Data: data, Origin: origin}
}

// control renders the control file.
func control(p *packager.Package, installedSize int64) []byte {
	var b bytes.Buffer
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s: %s\n", name, value)
		}
	}
	field("Package", p.Name)
	field("Version", version(p))
	field("Section", "web")
	field("Priority", "optional")
	field("Architecture", p.Machine)
	field("Maintainer", p.Maintainer)
	field("Installed-Size", fmt.Sprint(installedSize))
	field("Depends", strings.Join(debPackager{}.Relations(p), ", "))
	field("Homepage", p.Homepage)
	desc := p.Summary
	if p.Description != "" && p.Description != p.Summary {
		desc += "\n" + p.Description
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
