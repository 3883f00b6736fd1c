package packager

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/rpmwriter"
	"github.com/wsgipack/wsgipack/templates"
)

type rpmPackager struct{}

func (rpmPackager) FileName(m *Meta) string {
	return fmt.Sprintf("%s-%s-%s.%s.rpm", m.Name, m.Version.RPMVersion(),
		m.Version.RPMRelease(m.Release, m.Target.Suffix), m.Target.PackageArch(m.Arch))
}

func (rpmPackager) Write(m *Meta, entries []archive.Entry, w io.Writer) error {
	cr, err := copyright(m)
	if err != nil {
		return err
	}
	release := m.Version.RPMRelease(m.Release, m.Target.Suffix)
	text, err := templates.Render("changelog.rpm.tmpl", map[string]any{
		"Name": m.Name, "Upstream": m.Version.Input, "Target": m.Target.Title,
	})
	if err != nil {
		return err
	}
	requires, err := rpmRelations(m.Depends)
	if err != nil {
		return err
	}

	entries = withDocs(entries, []docFile{cr})

	s := m.Scripts
	pkg := &rpmwriter.Package{
		Name: m.Name, Version: m.Version.RPMVersion(), Release: release, Epoch: m.Version.Epoch,
		Summary: m.Summary, Description: m.Description, License: m.License,
		Group: "Applications/Internet", URL: m.Homepage, Packager: m.Maintainer,
		// The host name would make the package differ per build machine.
		BuildHost: "wsgipack",
		Arch:      m.Target.PackageArch(m.Arch),
		BuildTime: m.MTime,
		Requires:  requires,
		Scripts:   rpmwriter.Scripts{Pre: s.PreInstall, Post: s.PostInstall, PreUn: s.PreRemove, PostUn: s.PostRemove},
		Changelog: []rpmwriter.Change{{
			Time:   m.MTime,
			Author: m.Maintainer + " - " + m.Version.RPMVersion() + "-" + release,
			Text:   strings.TrimSpace(string(text)),
		}},
		Entries:     entries,
		Compression: m.Target.Compression,
	}
	if pkg.Description == "" {
		pkg.Description = m.Summary
	}
	return wrap("rpm", seekable(w, func(ws io.WriteSeeker) error { return rpmwriter.Write(ws, pkg) }))
}

// relationRE is a dependency as the spec writes it, Debian style
// ("libpq5 (>= 13)"), or rpm style ("libpq >= 13").
var relationRE = regexp.MustCompile(`^\s*([^\s()<>=]+)\s*(?:\(?\s*(<<|<=|>=|>>|=|<|>)\s*([^\s()<>=]+)\s*\)?)?\s*$`)

// rpmRelations converts dependencies to rpm's.
func rpmRelations(deps []string) ([]rpmwriter.Relation, error) {
	var out []rpmwriter.Relation
	for _, d := range deps {
		m := relationRE.FindStringSubmatch(d)
		if m == nil {
			return nil, fmt.Errorf("dependency %q: want a name, optionally with a version as 'name (>= 1.0)'", d)
		}
		op := strings.NewReplacer("<<", "<", ">>", ">").Replace(m[2])
		out = append(out, rpmwriter.Relation{Name: m[1], Op: op, Version: m[3]})
	}
	return out, nil
}
