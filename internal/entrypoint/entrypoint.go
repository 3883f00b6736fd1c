// Package entrypoint renders the two files through which mod_wsgi and the
// deploy hooks start an app: the WSGI entry script (wsgi/<name>.wsgi in the
// release, copied to /opt/<name>/wsgi by the install scripts), which pins
// the process to the release the current link names, loads the environment
// into os.environ and imports module:callable (or calls module:factory())
// as application, and the release's default environment (environment in
// the release: the spec's, as POSIX sh).
//
// The environment is three POSIX sh files read in order with 'set -a',
// later values winning, by the entry script, the deploy hooks and
// <name>-ctl alike: the release's defaults, /etc/<name>/environment (the
// server's settings: never shipped, created empty at first install, never
// changed by the package, so no conffile prompt can happen) and
// /etc/<name>/secrets (generated at first install).
package entrypoint

import (
	"embed"
	"maps"
	"slices"
	"strings"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/render"
)

//go:embed *.tmpl
var templateFiles embed.FS

var templates = render.Must(templateFiles, "*.tmpl")

// App is what the two files say of an app.
type App struct {
	Layout      layout.App
	Release     layout.Tree       // the release the entry script is rendered into
	WSGI        string            // module:callable or module:factory()
	Environment map[string]string // the spec's environment
}

// variable is one line of the environment file.
type variable struct{ Key, Value string }

// data fills wsgi.tmpl and environment.tmpl.
type data struct {
	layout.App
	Served      layout.Tree
	WSGI        string
	Module      string
	Callable    string
	Factory     bool
	Environment []variable // sorted by key
}

// Render returns the entry script and the environment file as entries with
// their content.
func Render(a App) ([]archive.Entry, error) {
	module, callable, _ := strings.Cut(a.WSGI, ":")
	d := data{App: a.Layout, Served: a.Layout.Served(), WSGI: a.WSGI, Module: module,
		Callable: strings.TrimSuffix(callable, "()"), Factory: strings.HasSuffix(callable, "()")}
	for _, k := range slices.Sorted(maps.Keys(a.Environment)) {
		d.Environment = append(d.Environment, variable{k, a.Environment[k]})
	}
	script, err := templates.Execute("wsgi.tmpl", d)
	if err != nil {
		return nil, err
	}
	env, err := templates.Execute("environment.tmpl", d)
	if err != nil {
		return nil, err
	}
	return []archive.Entry{
		{Path: a.Release.EntryScript, Kind: archive.File, Mode: 0o644, Size: int64(len(script)), Data: script, Origin: "generated wsgi.tmpl"},
		// Defaults, not secrets (those are generated on the server): read
		// by anyone, like the rest of the release.
		{Path: a.Release.EnvFile, Kind: archive.File, Mode: 0o644, Size: int64(len(env)), Data: env, Origin: "generated environment.tmpl"},
	}, nil
}
