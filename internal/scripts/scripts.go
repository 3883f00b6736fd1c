// Package scripts renders a package's install scripts (deb preinst,
// postinst, prerm, postrm; rpm %pre, %post, %preun, %postun) from one POSIX
// sh template: the same steps for both formats, each driven by its package
// manager's own arguments (the mapping is at the end of install.sh.tmpl).
package scripts

import (
	"bytes"
	"compress/gzip"
	"embed"
	"path"
	"slices"
	"strings"

	"github.com/wsgipack/wsgipack/internal/apache"
	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/render"
	"github.com/wsgipack/wsgipack/internal/spec"
)

//go:embed *.tmpl
var templateFiles embed.FS

var templates = render.Must(templateFiles, "*.tmpl")

// legacyPy rewrites an older package's KEY=value environment file as POSIX
// sh: the postinst runs it with the server's Python (migrate_environment).
//
//go:embed legacy.py
var legacyPy string

// Input is what the scripts of one package need to know.
type Input struct {
	Spec          *spec.Spec
	Version       string // the package version, for messages
	ReleaseDir    string // the release's directory in /opt/<name>/releases (layout.ReleaseDir)
	Target        distro.Release
	Python        distro.Python // the target's Python the venv runs on
	PythonVersion string        // the venv's Python X.Y
	Conf          *apache.Config
	// InstallBytecode compiles the bytecode on the server at install (the
	// package ships none) and removes it on removal.
	InstallBytecode bool
}

// Scripts are the four scripts, as shell script text. Their fields are
// packager.Scripts', so one converts to the other.
type Scripts struct {
	PreInstall, PostInstall, PreRemove, PostRemove string
}

// data fills install.sh.tmpl.
type data struct {
	layout.App
	Script          string // preinst, postinst, prerm or postrm
	Format          string // deb or rpm: which package manager's arguments to read
	User            string
	Version         string
	ReleaseDir      string
	Target          string // the release's title
	Apache          distro.Apache
	Conf            *apache.Config
	Interpreter     string
	PythonPackage   string
	ModWSGIPackage  string
	PythonVersion   string
	ConfigFiles     []string // the environment file and the spec's config files
	Writable        []string // directories under the state directory, parents first
	ServedWritable  []string // writable paths Apache serves (apache.static)
	Hooks           spec.Hooks
	Secrets         []string // the names of the secrets generated at first install
	InstallBytecode bool
	LegacyPy        string // legacy.py, for a heredoc
}

// Render returns the four install scripts.
func Render(in Input) (Scripts, error) {
	d := newData(in)
	var out Scripts
	for _, sc := range []struct {
		name string
		text *string
	}{
		{"preinst", &out.PreInstall}, {"postinst", &out.PostInstall},
		{"prerm", &out.PreRemove}, {"postrm", &out.PostRemove},
	} {
		d.Script = sc.name
		b, err := templates.Execute("install.sh.tmpl", d)
		if err != nil {
			return out, err
		}
		*sc.text = string(b)
	}
	return out, nil
}

// newData fills the template's data but the script's name.
func newData(in Input) data {
	s := in.Spec
	lay := layout.For(s.Name)
	d := data{
		App: lay, Format: in.Target.Format, User: s.User, Version: in.Version, ReleaseDir: in.ReleaseDir, Target: in.Target.Title,
		Apache: in.Target.Apache, Conf: in.Conf, Interpreter: in.Python.Interpreter,
		PythonPackage: in.Python.Package, ModWSGIPackage: in.Python.ModWSGI, PythonVersion: in.PythonVersion,
		ConfigFiles: []string{lay.EnvFile}, Writable: stateDirs(s.Writable), ServedWritable: s.ServedWritable(), Hooks: s.Hooks, Secrets: s.Secrets,
		InstallBytecode: in.InstallBytecode, LegacyPy: strings.TrimRight(legacyPy, "\n"),
	}
	for _, c := range s.Config {
		d.ConfigFiles = append(d.ConfigFiles, c.Dest)
	}
	return d
}

// Ctl returns the operator's command, /usr/sbin/<name>-ctl (status,
// rollback, restart, run), rendered from the install scripts' template so
// that it switches releases and runs commands exactly as they do.
func Ctl(in Input) (archive.Entry, error) {
	d := newData(in)
	d.Script = "ctl"
	b, err := templates.Execute("install.sh.tmpl", d)
	if err != nil {
		return archive.Entry{}, err
	}
	return archive.Entry{Path: d.Ctl, Kind: archive.File, Mode: 0o755, Size: int64(len(b)), Data: b,
		Origin: "generated install.sh.tmpl (ctl)"}, nil
}

// CtlManual returns the manual page of the operator's command, gzipped
// (no name, no time: reproducible).
func CtlManual(in Input) (archive.Entry, error) {
	d := newData(in)
	page, err := templates.Execute("ctl.8.tmpl", d)
	if err != nil {
		return archive.Entry{}, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(page)
	zw.Close()
	return archive.Entry{Path: "/usr/share/man/man8/" + path.Base(d.Ctl) + ".8.gz", Kind: archive.File, Mode: 0o644,
		Size: int64(gz.Len()), Data: gz.Bytes(), Doc: true, Origin: "generated ctl.8.tmpl"}, nil
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
