// Package apache renders the Apache httpd configuration that serves an app
// through mod_wsgi in daemon mode, in the layout of one target's Apache:
// Debian's sites-available or conf-available, EL's conf.d, SUSE's vhosts.d
// or conf.d.
package apache

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/spec"
	"github.com/wsgipack/wsgipack/templates"
)

// Config is an app's Apache configuration for one Apache layout.
type Config struct {
	Path string // where the package installs it, e.g. /etc/apache2/conf-available/inventory.conf
	// Site is true for an own <VirtualHost> (apache.server_name set);
	// Debian then enables it with a2ensite rather than a2enconf.
	Site bool
	Data []byte
}

// static is one Alias of a URL path to a directory.
type static struct{ URL, Dir string }

// Render returns the configuration of the app s for Apache layout a.
func Render(s *spec.Spec, a distro.Apache) (*Config, error) {
	root := "/opt/" + s.Name
	script := root + "/wsgi/" + s.Name + ".wsgi"
	var st []static
	// Longer URLs first: Apache applies the first Alias that matches.
	urls := slices.SortedFunc(maps.Keys(s.Apache.Static), func(x, y string) int {
		if len(x) != len(y) {
			return len(y) - len(x)
		}
		return strings.Compare(x, y)
	})
	for _, u := range urls {
		st = append(st, static{u, path.Join(root, s.Apache.Static[u])})
	}
	data := map[string]any{
		"Name": s.Name, "User": s.User, "Root": root, "Processes": s.Apache.Processes,
		"Threads": s.Apache.Threads, "RequestTimeout": s.Apache.Timeout, "Static": st,
		"Mount": s.Apache.Mount, "Script": script, "ScriptDir": path.Dir(script),
		"ScriptFile": path.Base(script),
	}
	body, err := templates.Render("apache-app.tmpl", data)
	if err != nil {
		return nil, err
	}
	data["Body"] = string(body)
	data["ServerName"] = s.Apache.ServerName
	data["SocketPrefix"] = a.SocketPrefix
	out, err := templates.Render("apache.conf.tmpl", data)
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
