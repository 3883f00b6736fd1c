package packager

import (
	"fmt"
	"io"
	"os"

	"github.com/goreleaser/nfpm/v2/files"
	"github.com/goreleaser/nfpm/v2/rpm"

	"github.com/wsgipack/wsgipack/internal/payload"
	"github.com/wsgipack/wsgipack/templates"
)

type rpmPackager struct{}

func (rpmPackager) FileName(m *Meta) string {
	return fmt.Sprintf("%s-%s-%s.%s.rpm", m.Name, m.Version.RPMVersion(),
		m.Version.RPMRelease(m.Release, m.Target.Suffix), m.Target.PackageArch(m.Arch))
}

func (rpmPackager) Write(m *Meta, tree *payload.Tree, w io.Writer) error {
	dir, err := os.MkdirTemp("", "wsgipack-rpm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cr, err := copyright(m)
	if err != nil {
		return err
	}
	extra, err := stage(dir, []docFile{cr})
	if err != nil {
		return err
	}
	// nfpm writes the RPM changelog from a chglog file.
	changelog, err := templates.Render("changelog.rpm.tmpl", map[string]any{
		"Version": m.Version.RPMVersion() + "-" + m.Version.RPMRelease(m.Release, m.Target.Suffix),
		"Date":    m.MTime.UTC().Format("2006-01-02T15:04:05Z"), "Maintainer": m.Maintainer,
		"Name": m.Name, "Upstream": m.Version.Input, "Target": m.Target.Title,
	})
	if err != nil {
		return err
	}
	changelogFile, err := stage(dir, []docFile{{"changelog.yml", changelog}})
	if err != nil {
		return err
	}

	in := info(m, tree, extra)
	for _, c := range in.Contents {
		if c.Destination == cr.dest {
			c.Type = files.TypeRPMDoc
		}
	}
	in.Changelog = changelogFile[0].Source
	in.Arch = m.Target.PackageArch(m.Arch)
	in.Version = m.Version.RPMVersion()
	in.Release = m.Version.RPMRelease(m.Release, m.Target.Suffix)
	in.Epoch = m.Version.RPMEpoch()
	in.Description = m.Description
	in.RPM.Summary = m.Summary
	in.RPM.Group = "Applications/Internet"
	in.RPM.Compression = m.Target.Compression
	if in.Scripts, err = stageScripts(dir, m.Scripts); err != nil {
		return err
	}
	// The host name would make the package differ per build machine.
	in.RPM.BuildHost = "wsgipack"
	in.RPM.Packager = m.Maintainer
	return wrap("rpm", rpm.DefaultRPM.Package(in, w))
}
