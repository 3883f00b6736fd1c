// Package entrypoint renders the two files through which mod_wsgi and the
// deploy hooks start an app: the WSGI entry script (wsgi/<name>.wsgi in the
// release, copied to /opt/<name>/wsgi by the install scripts), which pins
// the process to the release the current link names, loads the environment
// file into os.environ and imports module:callable (or calls
// module:factory()) as application, and the environment file
// (/etc/<name>/environment), a config file of the package.
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
		// Readable by root only until the install scripts give the app's
		// group read access: it may hold secrets.
		{Path: a.Layout.EnvFile, Kind: archive.File, Mode: 0o640, Size: int64(len(env)), Data: env, Config: true, Origin: "generated environment.tmpl"},
	}, nil
}
