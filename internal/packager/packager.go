// Package packager writes a payload as a package file of one format: .deb
// or .rpm, through nfpm. One interface, one file per format.
package packager

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/files"

	"github.com/wsgipack/wsgipack/internal/payload"
	"github.com/wsgipack/wsgipack/internal/target"
	"github.com/wsgipack/wsgipack/internal/version"
	"github.com/wsgipack/wsgipack/templates"
)

// Meta is the metadata of one package: the spec's fields resolved for one
// target.
type Meta struct {
	Name        string
	Summary     string
	Description string
	Maintainer  string
	License     string
	Homepage    string
	Version     version.Version
	Release     int
	Target      target.Target
	Arch        string   // amd64, arm64 or all
	Depends     []string // in the target's relation syntax
	MTime       time.Time
	Scripts     Scripts
}

// Scripts are the install scripts of a package, as shell script text: deb
// preinst, postinst, prerm and postrm; rpm %pre, %post, %preun and %postun.
// An empty script is left out.
type Scripts struct {
	PreInstall, PostInstall, PreRemove, PostRemove string
}

// stageScripts writes the non-empty scripts into dir, as nfpm wants them.
func stageScripts(dir string, s Scripts) (nfpm.Scripts, error) {
	var out nfpm.Scripts
	for _, sc := range []struct {
		text string
		path *string
	}{
		{s.PreInstall, &out.PreInstall}, {s.PostInstall, &out.PostInstall},
		{s.PreRemove, &out.PreRemove}, {s.PostRemove, &out.PostRemove},
	} {
		if sc.text == "" {
			continue
		}
		e, err := stage(dir, []docFile{{"script", []byte(sc.text)}})
		if err != nil {
			return out, err
		}
		*sc.path = e[0].Source
	}
	return out, nil
}

// Packager writes one package format.
type Packager interface {
	// FileName is the conventional file name of the package.
	FileName(m *Meta) string
	// Write writes the package of tree to w.
	Write(m *Meta, tree *payload.Tree, w io.Writer) error
}

// For returns the packager of a format.
func For(f target.Format) Packager {
	if f == target.RPM {
		return rpmPackager{}
	}
	return debPackager{}
}

// info converts the payload and metadata into a fresh nfpm.Info (nfpm
// changes the Info it is given). extra are format-specific files.
func info(m *Meta, tree *payload.Tree, extra []*payload.Entry) *nfpm.Info {
	var contents files.Contents
	add := func(e *payload.Entry) {
		c := &files.Content{
			Destination: e.Path,
			FileInfo: &files.ContentFileInfo{
				Owner: "root", Group: "root", Mode: e.Mode, MTime: m.MTime, Size: e.Size,
			},
		}
		switch {
		case e.Kind == payload.Dir:
			c.Type = files.TypeDir
		case e.Kind == payload.Symlink:
			c.Type, c.Source = files.TypeSymlink, e.Link
		case e.Config:
			c.Type, c.Source = files.TypeConfigNoReplace, e.Source
		default:
			c.Type, c.Source = files.TypeFile, e.Source
		}
		contents = append(contents, c)
	}
	for _, e := range tree.Entries {
		add(e)
	}
	for _, e := range extra {
		add(e)
	}
	desc := m.Summary
	if m.Description != "" && m.Description != m.Summary {
		desc += "\n" + m.Description
	}
	return &nfpm.Info{
		Name:            m.Name,
		Arch:            m.Arch,
		Platform:        "linux",
		Version:         m.Version.Upstream,
		VersionSchema:   "none",
		Section:         "web",
		Priority:        "optional",
		Maintainer:      m.Maintainer,
		Description:     desc,
		Homepage:        m.Homepage,
		License:         m.License,
		DisableGlobbing: true,
		MTime:           m.MTime,
		Overridables: nfpm.Overridables{
			Depends:  m.Depends,
			Contents: contents,
		},
	}
}

// docFile is a generated file of /usr/share: the copyright file, and what a
// format adds (changelog, lintian overrides).
type docFile struct {
	dest string
	data []byte
}

// copyright renders /usr/share/doc/<name>/copyright.
func copyright(m *Meta) (docFile, error) {
	out, err := templates.Render("copyright.tmpl", map[string]any{
		"Name": m.Name, "Root": "/opt/" + m.Name, "Maintainer": m.Maintainer, "License": m.License,
		"Homepage": m.Homepage, "Year": m.MTime.Year(),
	})
	return docFile{"/usr/share/doc/" + m.Name + "/copyright", out}, err
}

// stage writes the doc files into dir and returns their entries.
func stage(dir string, docs []docFile) ([]*payload.Entry, error) {
	var out []*payload.Entry
	for _, d := range docs {
		f, err := os.CreateTemp(dir, "doc-")
		if err != nil {
			return nil, err
		}
		_, err = f.Write(d.data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		out = append(out, &payload.Entry{Path: d.dest, Kind: payload.File, Mode: 0o644, Source: f.Name(), Size: int64(len(d.data)), Origin: "generated"})
	}
	return out, nil
}

func wrap(format string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("writing the %s package: %w", format, err)
}
