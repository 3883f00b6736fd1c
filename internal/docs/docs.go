// Package docs renders the documentation every package carries whatever its
// format: /usr/share/doc/<name>/copyright, in Debian's machine-readable
// format. Format-specific docs (Debian's changelog and lintian overrides,
// rpm's %changelog) belong to internal/deb and internal/rpm.
package docs

import (
	"embed"
	"time"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/render"
)

//go:embed *.tmpl
var templateFiles embed.FS

var templates = render.Must(templateFiles, "*.tmpl")

// App is what the copyright file says of an app.
type App struct {
	Layout     layout.App
	Maintainer string
	License    string
	Homepage   string
	Time       time.Time // the build's time stamp: its year is the copyright year
}

// copyrightData fills copyright.tmpl.
type copyrightData struct {
	layout.App
	Maintainer, License, Homepage string
	Year                          int
}

// Copyright returns /usr/share/doc/<name>/copyright.
func Copyright(a App) (archive.Entry, error) {
	out, err := templates.Execute("copyright.tmpl", copyrightData{App: a.Layout, Maintainer: a.Maintainer,
		License: a.License, Homepage: a.Homepage, Year: a.Time.Year()})
	if err != nil {
		return archive.Entry{}, err
	}
	return archive.Entry{Path: a.Layout.Doc + "/copyright", Kind: archive.File, Mode: 0o644,
		Size: int64(len(out)), Data: out, Doc: true, Origin: "generated copyright.tmpl"}, nil
}
