//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wsgipack/wsgipack/internal/apache"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/spec"
)

// TestApacheQuoting gives Apache itself the values of the spec's Apache
// fields that validation accepts from the round-trip corpus
// (internal/spec/testdata/nasty.json: quotes, spaces, $, %, #, ;, >,
// backslashes...): each rendered configuration must pass apache2ctl -t in
// the Debian 12 root, and the value must come back from Apache as written:
// a file in the static directory is served at the static URL, the app
// answers at the mount, apache2ctl -S lists the server name. A value that
// Apache would read differently must be refused by validation instead.
func TestApacheQuoting(t *testing.T) {
	data, err := os.ReadFile("../spec/testdata/nasty.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus []string
	if err := json.Unmarshal(data, &corpus); err != nil {
		t.Fatal(err)
	}
	project := quotingProject(t)
	rel, err := distro.Lookup("debian-12")
	if err != nil {
		t.Fatal(err)
	}
	lay := layout.For("inventory")

	c := New(t)
	c.MustRun(t, "useradd", "--system", "--no-create-home", "inventory")
	c.MustRun(t, "mkdir", "-p", "/opt/inventory/current/app", "/opt/inventory/wsgi")
	c.MustRun(t, "ln", "-s", "/usr", "/opt/inventory/current/venv") // python-home: the root's Python
	c.WriteFile(t, lay.EntryScript, "def application(environ, start_response):\n"+
		"    start_response('200 OK', [('Content-Type', 'text/plain')])\n"+
		"    return [('app at ' + environ['SCRIPT_NAME']).encode()]\n", 0o644)
	const confPath = "/etc/apache2/conf-enabled/wsgipack-quoting.conf"
	c.StartApache(t)

	fields := []struct {
		name string
		yaml func(v string) string
	}{
		{"static URL", func(v string) string { return "apache: {static: {" + quote(v) + ": static}}\n" }},
		{"static directory", func(v string) string { return "apache: {static: {/s: " + quote(v) + "}}\n" }},
		{"mount", func(v string) string { return "apache: {mount: " + quote(v) + "}\n" }},
		{"server name", func(v string) string { return "apache: {server_name: " + quote(v) + "}\n" }},
	}
	for _, f := range fields {
		accepted := 0
		for i, v := range corpus {
			file := filepath.Join(project, fmt.Sprintf("spec-%s-%d.yaml", strings.ReplaceAll(f.name, " ", "-"), i))
			if err := os.WriteFile(file, []byte(quotingSpec+f.yaml(v)), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := spec.Load(file)
			if err != nil {
				if i == 0 {
					t.Logf("%s %q refused: %v", f.name, v, err)
				}
				continue // refused: never reaches Apache
			}
			accepted++
			t.Run(f.name+"/"+v, func(t *testing.T) {
				conf, err := apache.Render(s, rel.Apache)
				if err != nil {
					t.Fatal(err)
				}
				c.WriteFile(t, confPath, string(conf.Data), 0o644)
				if out, status := c.Run(t, "apache2ctl", "-t"); status != 0 {
					t.Fatalf("apache2ctl -t refuses the configuration of %s %q:\n%s\n%s", f.name, v, out, conf.Data)
				}
				switch f.name {
				case "server name":
					out := c.MustRun(t, "apache2ctl", "-S")
					if !strings.Contains(out, " "+v+" ("+confPath+":") {
						t.Errorf("apache2ctl -S does not list the server name %q:\n%s", v, out)
					}
					return
				case "static URL":
					probe(t, c, lay.Served().Opt("static"), v)
				case "static directory":
					probe(t, c, lay.Served().Opt(v), "/s")
				case "mount":
					c.Graceful(t)
					status, body := c.Get(t, escape(v))
					want := "app at " + strings.TrimSuffix(v, "/")
					if status != 200 || body != want {
						t.Errorf("GET %s (mount %q): %d %q, want 200 %q\n%s", escape(v), v, status, body, want, c.ErrorLog())
					}
				}
			})
		}
		if accepted < 3 {
			t.Errorf("%s accepts only %d values of the corpus", f.name, accepted)
		}
		t.Logf("%s: %d values of %d accepted, each read back from Apache", f.name, accepted, len(corpus))
	}
}

// probe writes a file into dir in the root, reloads Apache and fetches it
// through the URL path at.
func probe(t *testing.T, c *Chroot, dir, at string) {
	t.Helper()
	body := "probe of " + dir + "\n"
	c.WriteFile(t, dir+"/probe.txt", body, 0o644)
	c.Graceful(t)
	path := escape(strings.TrimSuffix(at, "/") + "/probe.txt")
	status, got := c.Get(t, path)
	if status != 200 || got != body {
		t.Errorf("GET %s: %d %q, want 200 %q\n%s", path, status, got, body, c.ErrorLog())
	}
}

// escape is a URL path as a client sends it: Apache decodes it before it
// matches Alias and WSGIScriptAlias.
func escape(p string) string { return (&url.URL{Path: p}).EscapedPath() }

// quote is v as a double-quoted YAML scalar.
func quote(v string) string {
	out, err := yaml.Marshal(&yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: v})
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

const quotingSpec = `name: inventory
version: 1.0.0
summary: Tracks stock for the warehouse
description: Counts items on the shelves of the warehouse, per site.
maintainer: Ops Team <ops@example.com>
license: MIT
app:
  source: src
  wsgi: app:application
venv: venv
targets: [debian-12]
`

// quotingProject is a project the spec above describes.
func quotingProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"src/app/__init__.py": "",
		"venv/pyvenv.cfg":     "home = /usr/bin\nversion = 3.11.2\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
