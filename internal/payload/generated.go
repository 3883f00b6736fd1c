package payload

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wsgipack/wsgipack/templates"
)

// KeyValue is one environment variable, in file order.
type KeyValue struct{ Key, Value string }

// generated adds the files wsgipack writes itself: the WSGI entry script,
// the environment file and the spec's config files.
func (c *collector) generated() error {
	s := c.o.Spec
	module, callable, _ := strings.Cut(s.App.WSGI, ":")
	factory := strings.HasSuffix(callable, "()")
	envFile := "/etc/" + s.Name + "/environment"
	var env []KeyValue
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		env = append(env, KeyValue{k, s.Environment[k]})
	}
	data := map[string]any{
		"Name": s.Name, "Version": s.Version, "Root": c.root, "EnvFile": envFile,
		"Module": module, "Callable": strings.TrimSuffix(callable, "()"), "Factory": factory,
		"WSGI": s.App.WSGI, "Environment": env,
	}
	for _, f := range []struct {
		tmpl, dest string
		mode       os.FileMode
		config     bool
	}{
		{"wsgi.tmpl", c.root + "/wsgi/" + s.Name + ".wsgi", 0o644, false},
		// Readable by root only until the install scripts give the app's
		// group read access: it may hold secrets.
		{"environment.tmpl", envFile, 0o640, true},
	} {
		out, err := templates.Render(f.tmpl, data)
		if err != nil {
			return err
		}
		if err := c.addData(f.dest, out, f.mode, f.config, "generated "+f.tmpl); err != nil {
			return err
		}
	}
	for _, cf := range s.Config {
		src := filepath.Join(c.o.Dir, cf.Source)
		info, err := os.Stat(src)
		if err != nil {
			return err
		}
		c.add(&Entry{Path: cf.Dest, Kind: File, Mode: 0o640, Source: src, Size: info.Size(), Config: true, Origin: cf.Source})
	}
	return nil
}
