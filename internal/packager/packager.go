// Package packager is what wsgipack's core knows of a package format: the
// description of one package to write (Package) and one small interface
// (Packager) that each format implements in its own package (internal/deb,
// internal/rpm) and registers by name. The distribution table
// (internal/distro) names each release's format; Get returns its packager.
package packager

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/version"
)

// Package is one package to write: the spec's fields resolved for one
// distribution release, the contents and the install scripts.
type Package struct {
	Name        string
	Summary     string
	Description string
	Maintainer  string
	License     string
	Homepage    string
	Version     version.Version
	Release     int // the package revision (deb -N, rpm Release)
	Distro      distro.Release
	Machine     string // amd64, arm64, or all when there is no native code
	// Glibc is the newest glibc version (X.Y) the native code needs; empty
	// when there is none.
	Glibc string
	// System are the release's packages the app runs on: its Python,
	// mod_wsgi and Apache.
	System []string
	// Depends are the spec's extra dependencies for this release, in the
	// format's syntax (checked with CheckRelation).
	Depends []string
	MTime   time.Time // stamped on every file
	Scripts Scripts
	Entries []archive.Entry
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
	FileName(p *Package) string
	// Version is the package's full version as the format's tools print
	// and compare it: [epoch:]version-revision.
	Version(p *Package) string
	// Arch is the format's name for a machine (amd64, arm64 or all).
	Arch(machine string) string
	// Relations are every dependency the package states, in the format's
	// syntax: p.System, what the format adds, p.Depends.
	Relations(p *Package) []string
	// CheckRelation reports whether rel is a dependency written in the
	// format's syntax, with an error that shows the syntax.
	CheckRelation(rel string) error
	// NeedsMD5 reports whether Write wants each file's MD5 in
	// archive.Entry.MD5 (it computes missing ones, reading the file again).
	NeedsMD5() bool
	// Write writes the package to w.
	Write(p *Package, w io.Writer) error
}

// Signer is implemented by formats whose packages carry a signature of
// their own: rpm header signatures (apt trusts repositories, not .deb
// files, so deb does not implement it).
type Signer interface {
	// Sign signs the package written to f in place; sign returns one
	// binary OpenPGP signature of the data it is given.
	Sign(f *os.File, sign func(data []byte) ([]byte, error)) error
}

var formats = map[string]Packager{}

// Register makes a format's packager available under its name (deb, rpm).
// Formats register in their package's init.
func Register(format string, p Packager) {
	if _, dup := formats[format]; dup {
		panic("packager: format " + format + " registered twice")
	}
	formats[format] = p
}

// Get returns the packager of a format, or an error naming the known ones.
func Get(format string) (Packager, error) {
	if p, ok := formats[format]; ok {
		return p, nil
	}
	known := make([]string, 0, len(formats))
	for f := range formats {
		known = append(known, f)
	}
	sort.Strings(known)
	return nil, fmt.Errorf("unknown package format %q (known: %s)", format, strings.Join(known, ", "))
}

// Seekable calls write with w when w can seek (an output file), else with
// a temporary file that is then copied to w. The writers fill in sizes and
// digests by seeking back once the payload is written.
func Seekable(w io.Writer, write func(io.WriteSeeker) error) error {
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

// MaxTime is the latest time stamp every format holds: rpm's header and
// cpio payload store seconds since 1970 in 32 bits (unsigned), so do the
// ar and tar headers dpkg writes as far as its tools go. It is
// 2106-02-07T06:28:15Z.
var MaxTime = time.Unix(1<<32-1, 0).UTC()

// CheckTime returns an error when t cannot be stamped on a package: before
// 1970 or after MaxTime. what names where t comes from, for the message.
func CheckTime(t time.Time, what string) error {
	if t.Unix() < 0 || t.Unix() > MaxTime.Unix() {
		return fmt.Errorf("%s is %s (%d), outside what .deb and .rpm files can hold (1970-01-01 to %s, seconds 0 to %d)",
			what, t.UTC().Format(time.RFC3339), t.Unix(), MaxTime.Format(time.RFC3339), MaxTime.Unix())
	}
	return nil
}
