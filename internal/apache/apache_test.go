package apache

import (
	"path/filepath"
	"testing"

	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/golden"
	"github.com/wsgipack/wsgipack/internal/spec"
)

func testSpec(serverName string) *spec.Spec {
	s := &spec.Spec{
		Name: "inventory", User: "inventory",
		Apache: spec.Apache{
			Mount: "/inventory", ServerName: serverName, Processes: 2, Threads: 4, Timeout: 60,
			Static: map[string]string{"/inventory/static": "app/inventory/static", "/inventory/static/img": "media/img"},
		},
	}
	if serverName != "" { // the site also has directives, and no WSGIPassAuthorization
		off := false
		s.Apache.PassAuthorization = &off
		s.Apache.Directives = []string{`Header always set X-Frame-Options "DENY"`, "<Location /inventory/admin>", "Require ip 10.0.0.0/8", "</Location>"}
	}
	return s
}

// TestRender renders the config for every Apache layout, as a snippet and
// as an own virtual host.
func TestRender(t *testing.T) {
	for _, a := range distro.ApacheLayouts() {
		for _, tt := range []struct{ name, serverName, path string }{
			{"snippet", "", a.SnippetDir + "/inventory.conf"},
			{"site", "inventory.example.com", a.SiteDir + "/inventory.conf"},
		} {
			t.Run(a.Family+"-"+tt.name, func(t *testing.T) {
				c, err := Render(testSpec(tt.serverName), a)
				if err != nil {
					t.Fatal(err)
				}
				if c.Path != tt.path || c.Site != (tt.serverName != "") {
					t.Errorf("path %s, site %v; want %s", c.Path, c.Site, tt.path)
				}
				golden.Check(t, filepath.Join("..", "..", "testdata", "golden", "apache", a.Family+"-"+tt.name+".conf"), c.Data)
			})
		}
	}
}
