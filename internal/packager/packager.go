// Package packager writes a payload as a package file of one format: .deb
// (through internal/debwriter) or .rpm (internal/rpmwriter). One interface,
// one file per format; this package maps wsgipack's metadata and payload to
// each format's fields and adds the generated docs.
package packager

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/distro"
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
	Target      distro.Release
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

// Packager writes one package format.
type Packager interface {
	// FileName is the conventional file name of the package.
	FileName(m *Meta) string
	// Write writes the package of entries (the payload) to w.
	Write(m *Meta, entries []archive.Entry, w io.Writer) error
}

// For returns the packager of a format.
func For(f distro.Format) Packager {
	if f == distro.RPM {
		return rpmPackager{}
	}
	return debPackager{}
}

// seekable calls write with w when w can seek (the output file), else
// with a temporary file that is then copied to w.
func seekable(w io.Writer, write func(io.WriteSeeker) error) error {
	if ws, ok := w.(io.WriteSeeker); ok {
		return write(ws)
	}
	tmp, err := os.CreateTemp("", "wsgipack-pkg-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := write(tmp); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err = io.Copy(w, tmp)
	return err
}

// docFile is a generated file of /usr/share: the copyright file, and what a
// format adds (changelog, lintian overrides).
type docFile struct {
	dest string
	data []byte
	doc  bool // rpm %doc
}

// withDocs returns a copy of the payload's entries plus the generated docs.
func withDocs(entries []archive.Entry, docs []docFile) []archive.Entry {
	out := make([]archive.Entry, 0, len(entries)+len(docs))
	out = append(out, entries...)
	for _, d := range docs {
		out = append(out, archive.Entry{Path: d.dest, Kind: archive.File, Mode: 0o644,
			Size: int64(len(d.data)), Data: d.data, Doc: d.doc})
	}
	return out
}

// copyright renders /usr/share/doc/<name>/copyright.
func copyright(m *Meta) (docFile, error) {
	out, err := templates.Render("copyright.tmpl", map[string]any{
		"Name": m.Name, "Root": "/opt/" + m.Name, "Maintainer": m.Maintainer, "License": m.License,
		"Homepage": m.Homepage, "Year": m.MTime.Year(),
	})
	return docFile{"/usr/share/doc/" + m.Name + "/copyright", out, true}, err
}

func wrap(format string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("writing the %s package: %w", format, err)
}
