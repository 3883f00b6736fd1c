package rpm

import (
	"embed"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/render"
)

func init() { packager.Register("rpm", rpmPackager{}) }

//go:embed *.tmpl
var templateFiles embed.FS

var templates = render.Must(templateFiles, "*.tmpl")

type rpmPackager struct{}

func (r rpmPackager) FileName(p *packager.Package) string {
	return fmt.Sprintf("%s-%s-%s.%s.rpm", p.Name, versionTag(p), releaseTag(p), r.Arch(p.Machine))
}

// Version is [epoch:]version-release, as rpm -q --qf '%{EVR}' prints it.
func (rpmPackager) Version(p *packager.Package) string {
	evr := versionTag(p) + "-" + releaseTag(p)
	if p.Version.Epoch > 0 {
		evr = strconv.Itoa(p.Version.Epoch) + ":" + evr
	}
	return evr
}

// versionTag is the Version tag: the upstream version ('-' is not allowed
// there).
func versionTag(p *packager.Package) string { return strings.ReplaceAll(p.Version.Upstream, "-", "_") }

// releaseTag is the Release tag: the revision with the release's suffix.
func releaseTag(p *packager.Package) string { return strconv.Itoa(p.Release) + p.Distro.Suffix }

// Arch maps Go's machine names to rpm's.
func (rpmPackager) Arch(machine string) string {
	switch machine {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "all":
		return "noarch"
	}
	return machine
}

// Relations are System and Depends: rpm resolves glibc from the
// interpreter's own dependencies.
func (rpmPackager) Relations(p *packager.Package) []string {
	return append(append([]string(nil), p.System...), p.Depends...)
}

// relationRE is an rpm dependency: a name (which may hold parentheses, as
// in perl(DBI) or libpq.so.5()(64bit)), optionally an operator and a
// version, separated by spaces.
var relationRE = regexp.MustCompile(`^([^\s<>=]+)(?: (<|<=|=|>=|>) ([0-9A-Za-z._+~^:-]+))?$`)

// debianStyle is a Debian relation such as "libpq (>= 13)".
var debianStyle = regexp.MustCompile(`^\S+ \((<<|<=|=|>=|>>|<|>) \S+\)$`)

func (rpmPackager) CheckRelation(rel string) error {
	_, err := parseRelation(rel)
	return err
}

func parseRelation(rel string) (relation, error) {
	m := relationRE.FindStringSubmatch(rel)
	if m == nil || strings.HasPrefix(m[1], "(") {
		if debianStyle.MatchString(rel) {
			return relation{}, fmt.Errorf("%q is Debian's syntax; rpm's is 'name >= version' without parentheses, e.g. 'libpq >= 13'", rel)
		}
		return relation{}, fmt.Errorf("%q is not an rpm dependency: a name, optionally with a version as 'libpq >= 13'", rel)
	}
	return relation{Name: m[1], Op: m[2], Version: m[3]}, nil
}

// NeedsMD5: rpm's file digests are SHA-256, computed while writing.
func (rpmPackager) NeedsMD5() bool { return false }

// Sign signs a written package in place (packager.Signer): see Sign.
func (rpmPackager) Sign(f *os.File, sign func(data []byte) ([]byte, error)) error {
	return Sign(f, sign)
}

// changelogData fills changelog.tmpl.
type changelogData struct{ Name, Upstream, Target string }

func (r rpmPackager) Write(p *packager.Package, w io.Writer) error {
	text, err := templates.Execute("changelog.tmpl", changelogData{Name: p.Name, Upstream: p.Version.Input, Target: p.Distro.Title})
	if err != nil {
		return err
	}
	var requires []relation
	for _, d := range r.Relations(p) {
		rel, err := parseRelation(d)
		if err != nil {
			return err
		}
		requires = append(requires, rel)
	}
	s := p.Scripts
	f := &rpmFile{
		Name: p.Name, Version: versionTag(p), Release: releaseTag(p), Epoch: p.Version.Epoch,
		Summary: p.Summary, Description: p.Description, License: p.License,
		Group: "Applications/Internet", URL: p.Homepage, Packager: p.Maintainer,
		// The host name would make the package differ per build machine.
		BuildHost: "wsgipack",
		Arch:      r.Arch(p.Machine),
		BuildTime: p.MTime,
		Requires:  requires,
		Scripts:   scriptlets{Pre: s.PreInstall, Post: s.PostInstall, PreUn: s.PreRemove, PostUn: s.PostRemove},
		Changelog: []change{{
			Time:   p.MTime,
			Author: p.Maintainer + " - " + versionTag(p) + "-" + releaseTag(p),
			Text:   strings.TrimSpace(string(text)),
		}},
		Entries:     p.Entries,
		Compression: p.Distro.Compression,
	}
	if f.Description == "" {
		f.Description = p.Summary
	}
	err = packager.Seekable(w, func(ws io.WriteSeeker) error { return writeRPM(ws, f) })
	if err != nil {
		return fmt.Errorf("writing the rpm package: %w", err)
	}
	return nil
}
