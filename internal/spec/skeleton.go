package spec

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/wsgipack/wsgipack/internal/render"
)

//go:embed init.tmpl
var skeletonFile embed.FS

var skeleton = render.Must(skeletonFile, "init.tmpl")

// skeletonData fills init.tmpl.
type skeletonData struct {
	Name, Source, WSGI, Venv, EnvPrefix string
}

// WriteSkeleton writes a commented starting spec to file, guessing the name
// from the directory and the venv from venv/ or .venv/ beside it.
func WriteSkeleton(file string, force bool) error {
	if _, err := os.Stat(file); err == nil && !force {
		return fmt.Errorf("%s exists; pass --force to overwrite it", file)
	}
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return err
	}
	name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(filepath.Base(dir)), "-"), "-")
	if !nameRE.MatchString(name) {
		name = "app"
	}
	data := skeletonData{Name: name, Source: ".", WSGI: "app:application", Venv: "venv",
		EnvPrefix: strings.ToUpper(strings.ReplaceAll(name, "-", "_"))}
	for _, v := range []string{"venv", ".venv", "env"} {
		if _, err := os.Stat(filepath.Join(dir, v, "pyvenv.cfg")); err == nil {
			data.Venv = v
			break
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "src")); err == nil && fi.IsDir() {
		data.Source = "src"
	}
	out, err := skeleton.Execute("init.tmpl", data)
	if err != nil {
		return err
	}
	return os.WriteFile(file, out, 0o644)
}
