// Package scripts renders a package's install scripts (deb preinst,
// postinst, prerm, postrm; rpm %pre, %post, %preun, %postun) from one POSIX
// sh template: the same steps for both formats, each driven by its package
// manager's own arguments.
package scripts

import (
	"path"
	"slices"

	"github.com/wsgipack/wsgipack/internal/apache"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/spec"
	"github.com/wsgipack/wsgipack/templates"
)

// Input is what the scripts of one package need to know.
type Input struct {
	Spec          *spec.Spec
	Version       string // the package version, for messages
	Target        distro.Release
	Python        distro.Python // the target's Python the venv runs on
	PythonVersion string        // the venv's Python X.Y
	Conf          *apache.Config
	// InstallBytecode compiles the bytecode on the server at install (the
	// package ships none) and removes it on removal.
	InstallBytecode bool
}

// Render returns the four install scripts.
func Render(in Input) (packager.Scripts, error) {
	s := in.Spec
	configs := []string{"/etc/" + s.Name + "/environment"}
	for _, c := range s.Config {
		configs = append(configs, c.Dest)
	}
	data := map[string]any{
		"Name": s.Name, "User": s.User, "Version": in.Version, "Target": in.Target.Title,
		"Format": string(in.Target.Format), "Apache": in.Target.Apache, "Conf": in.Conf,
		"Interpreter": in.Python.Interpreter, "PythonPackage": in.Python.Package,
		"ModWSGIPackage": in.Python.ModWSGI, "PythonVersion": in.PythonVersion,
		"ConfigFiles": configs, "Writable": stateDirs(s.Writable), "Hooks": s.Hooks,
		"InstallBytecode": in.InstallBytecode,
	}
	var out packager.Scripts
	for _, sc := range []struct {
		name string
		text *string
	}{
		{"preinst", &out.PreInstall}, {"postinst", &out.PostInstall},
		{"prerm", &out.PreRemove}, {"postrm", &out.PostRemove},
	} {
		data["Script"] = sc.name
		b, err := templates.Render("install.sh.tmpl", data)
		if err != nil {
			return out, err
		}
		*sc.text = string(b)
	}
	return out, nil
}

// stateDirs lists the directories under /var/lib/<name> that the writable
// paths need, parents first.
func stateDirs(writable []string) []string {
	var dirs []string
	for _, w := range writable {
		for d := w; d != "." && d != "/"; d = path.Dir(d) {
			if !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	slices.Sort(dirs) // a parent sorts before its children
	return dirs
}
