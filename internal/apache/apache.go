// Package apache renders the Apache httpd configuration that serves an app
// through mod_wsgi in daemon mode, in the layout of one target's Apache:
// Debian's sites-available or conf-available, EL's conf.d, SUSE's vhosts.d
// or conf.d.
package apache

import (
	"embed"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/render"
	"github.com/wsgipack/wsgipack/internal/spec"
)

//go:embed *.tmpl
var templateFiles embed.FS

var templates = render.Must(templateFiles, "*.tmpl")

// Config is an app's Apache configuration for one Apache layout.
type Config struct {
	Path string // where the package installs it, e.g. /etc/apache2/conf-available/inventory.conf
	// Site is true for an own <VirtualHost> (apache.server_name set);
	// Debian then enables it with a2ensite rather than a2enconf.
	Site bool
	Data []byte
}

// Entry is the configuration as a config file of the package.
func (c *Config) Entry() archive.Entry {
	return archive.Entry{Path: c.Path, Kind: archive.File, Mode: 0o644, Size: int64(len(c.Data)), Data: c.Data,
		Config: true, Origin: "generated apache.conf.tmpl"}
}

// static is one Alias of a URL path to a directory.
type static struct{ URL, Dir string }

// appData fills apache-app.tmpl: the app's directives.
type appData struct {
	layout.App
	Served                             layout.Tree
	User                               string
	Processes, Threads, RequestTimeout int
	Mount                              string
	Static                             []static // longest URL first
	ScriptDir, ScriptFile              string
	PassAuthorization                  bool
	Directives                         []string
}

// confData fills apache.conf.tmpl: the file around them.
type confData struct {
	Name, User, ServerName, SocketPrefix string
	Body                                 string
}

// Render returns the configuration of the app s for Apache layout a.
func Render(s *spec.Spec, a distro.Apache) (*Config, error) {
	lay := layout.For(s.Name)
	d := appData{App: lay, Served: lay.Served(), User: s.User, Processes: s.Apache.Processes, Threads: s.Apache.Threads,
		RequestTimeout: s.Apache.Timeout, Mount: s.Apache.Mount,
		ScriptDir: path.Dir(lay.EntryScript), ScriptFile: path.Base(lay.EntryScript),
		PassAuthorization: s.Apache.PassesAuthorization(), Directives: s.Apache.Directives}
	// Longer URLs first: Apache applies the first Alias that matches.
	urls := slices.SortedFunc(maps.Keys(s.Apache.Static), func(x, y string) int {
		if len(x) != len(y) {
			return len(y) - len(x)
		}
		return strings.Compare(x, y)
	})
	for _, u := range urls {
		d.Static = append(d.Static, static{u, lay.Served().Opt(s.Apache.Static[u])})
	}
	body, err := templates.Execute("apache-app.tmpl", d)
	if err != nil {
		return nil, err
	}
	out, err := templates.Execute("apache.conf.tmpl", confData{Name: s.Name, User: s.User,
		ServerName: s.Apache.ServerName, SocketPrefix: a.SocketPrefix, Body: string(body)})
	if err != nil {
		return nil, err
	}
	c := &Config{Site: s.Apache.ServerName != "", Data: out}
	dir := a.SnippetDir
	if c.Site {
		dir = a.SiteDir
	}
	c.Path = dir + "/" + s.Name + ".conf"
	return c, nil
}
