// Package builder runs wsgipack's main job: from a spec, a project and the
// venv CI made, it checks everything, collects one payload, renders what
// each target adds (Apache configuration, install scripts, docs) and writes
// one package per target into the output directory with a SHA256SUMS file
// beside them, all or nothing.
package builder

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsgipack/wsgipack/internal/apache"
	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/docs"
	"github.com/wsgipack/wsgipack/internal/entrycheck"
	"github.com/wsgipack/wsgipack/internal/entrypoint"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/native"
	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/payload"
	"github.com/wsgipack/wsgipack/internal/scripts"
	"github.com/wsgipack/wsgipack/internal/spec"
	"github.com/wsgipack/wsgipack/internal/venv"
	"github.com/wsgipack/wsgipack/internal/version"

	// The package formats, registered with internal/packager.
	_ "github.com/wsgipack/wsgipack/internal/deb"
	_ "github.com/wsgipack/wsgipack/internal/rpm"
	"github.com/wsgipack/wsgipack/internal/scratch"
)

// Options are the inputs of a build or check. The command line checks its
// own flags; Options holds their parsed values.
type Options struct {
	SpecFile string           // path of wsgipack.yaml
	Targets  []distro.Release // when set, build only these (instead of the spec's)
	Version  *version.Version // when set, overrides the spec's version
	OutDir   string           // where packages go
	// Time, when set ($SOURCE_DATE_EPOCH), is stamped on every file.
	Time *time.Time
	// NoBytecode skips .pyc compilation whatever the spec says.
	NoBytecode bool
	// Sign, when set, signs the packages of formats that carry their own
	// signature (rpm): it returns one binary OpenPGP signature of data.
	Sign func(data []byte) ([]byte, error)
	// Warn receives warnings, one per call; may be nil.
	Warn func(string)
	// Progress receives a line per step that may take seconds; may be nil.
	Progress func(string)
	// NoImport skips importing app.wsgi with the venv's Python (its module
	// is still looked for under app.source).
	NoImport bool
	// AnyPython builds even when a target offers no mod_wsgi for the venv's
	// Python, assuming /usr/bin/pythonX.Y. Only tests use it: to prove that
	// such a package refuses to install.
	AnyPython bool
}

// Package is one package written (or, for check, planned).
type Package struct {
	Target  distro.Release
	File    string // path of the written file; empty for check
	Name    string // file name
	Arch    string // in the format's own naming
	Size    int64
	Depends []string
	SHA256  string
}

// Result says what a build did.
type Result struct {
	Packages    []Package
	Files       int
	Bytes       int64
	Compiled    int
	NotCompiled []string
	Time        time.Time
	TimeSource  string // SOURCE_DATE_EPOCH, git commit or newest input
	Python      string
	Arch        string
}

// plan is everything checked and collected, ready to be written.
type plan struct {
	spec    *spec.Spec
	layout  layout.App
	version version.Version
	targets []distro.Release
	formats map[string]packager.Packager // by format name
	machine string
	dir     string                   // the project: the spec file's directory, absolute
	stage   string                   // a directory per payload, in scratch
	scratch *scratch.Area            // where stage is; released after the build
	pythons map[string]distro.Python // by target name
	// payloads by Python X.Y: one per venv that a target is built from.
	payloads map[string]*pythonPayload
	// bytecode is true when the package ships .pyc files; otherwise the
	// install scripts compile them.
	bytecode bool
}

// pythonPayload is the payload made from the venv of one Python X.Y.
type pythonPayload struct {
	field   string // the spec field naming the venv: venv or venv.X.Y
	venv    *venv.Venv
	payload *payload.Payload
	glibc   string // newest glibc the native code needs
}

// of returns the payload target t is built from.
func (p *plan) of(t distro.Release) *pythonPayload { return p.payloads[p.pythons[t.Name].Version] }

// sortedPayloads lists the payloads, oldest Python first.
func (p *plan) sortedPayloads() []*pythonPayload {
	var out []*pythonPayload
	for _, v := range slices.SortedFunc(maps.Keys(p.payloads), spec.ComparePython) {
		out = append(out, p.payloads[v])
	}
	return out
}

// Check runs every validation of Build and writes nothing.
func Check(ctx context.Context, o Options) (*Result, error) {
	o.NoBytecode = true
	p, err := prepare(ctx, o, false)
	if p != nil {
		defer p.scratch.Release()
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx) // whatever failed on the way
	}
	if err != nil {
		return nil, err
	}
	if _, _, err := timestamp(ctx, o, p); err != nil {
		return nil, err
	}
	res := p.result()
	for _, t := range p.targets {
		// Render what build renders for the target (Apache configuration,
		// copyright, install scripts), so that check fails where build
		// would; only the writing of the package is left out.
		pkg, err := p.complete(p.pkg(t, time.Time{}))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		f := p.formats[t.Format]
		res.Packages = append(res.Packages, Package{Target: t, Name: f.FileName(pkg), Arch: f.Arch(p.machine), Depends: f.Relations(pkg)})
	}
	return res, nil
}

// Build checks the inputs and writes one package per target. The packages
// and SHA256SUMS appear in the output directory together, once every
// target is written; a failed build leaves the directory as it was. So
// does a cancelled one: cancelling ctx (on SIGINT or SIGTERM) stops the
// work at the next file or step, kills the bytecode compiler, removes
// every temporary file and returns context.Cause(ctx).
func Build(ctx context.Context, o Options) (*Result, error) {
	p, err := prepare(ctx, o, true)
	if p != nil {
		defer p.scratch.Release()
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx) // whatever failed on the way
	}
	if err != nil {
		return nil, err
	}
	mtime, source, err := timestamp(ctx, o, p)
	if err != nil {
		return nil, err
	}
	res := p.result()
	res.Time, res.TimeSource = mtime, source
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the output directory: %w", err)
	}
	out, err := newOutput(o.OutDir)
	if err != nil {
		return nil, err
	}
	defer out.discard()
	for _, t := range p.targets {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		pkg, err := p.complete(p.pkg(t, mtime))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		f := p.formats[t.Format]
		name := f.FileName(pkg)
		if o.Progress != nil {
			o.Progress(fmt.Sprintf("writing %s (%s)", name, t.Name))
		}
		written, err := out.add(name, func(file *os.File) error {
			if err := f.Write(pkg, &cancellable{File: file, ctx: ctx}); err != nil {
				return err
			}
			if s, ok := f.(packager.Signer); ok && o.Sign != nil {
				return s.Sign(file, o.Sign)
			}
			return nil
		})
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		res.Packages = append(res.Packages, Package{Target: t, File: filepath.Join(o.OutDir, name), Name: name,
			Arch: f.Arch(p.machine), Size: written.size, Depends: f.Relations(pkg), SHA256: written.sha256})
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if err := out.commit(); err != nil {
		return nil, err
	}
	return res, nil
}

// result sums up the payloads: Files, Bytes and Compiled over all of them.
func (p *plan) result() *Result {
	r := &Result{Arch: p.machine}
	var pythons []string
	for _, pp := range p.sortedPayloads() {
		r.Files += pp.payload.Files()
		r.Bytes += pp.payload.Size()
		r.Compiled += pp.payload.Compiled
		r.NotCompiled = append(r.NotCompiled, pp.payload.NotCompiled...)
		pythons = append(pythons, pp.venv.Python)
	}
	r.Python = strings.Join(pythons, ", ")
	return r
}

// prepare loads the spec, applies the options, and checks and collects
// everything. Problems are reported all together where they are
// independent. forWrite has the scan record what the formats need before
// writing (MD5s).
func prepare(ctx context.Context, o Options, forWrite bool) (*plan, error) {
	if o.Warn == nil {
		o.Warn = func(string) {}
	}
	s, warnings, err := spec.LoadWarn(o.SpecFile)
	for _, w := range warnings {
		o.Warn(w.String())
	}
	if err != nil {
		return nil, err
	}
	var v version.Version
	switch {
	case o.Version != nil:
		v = *o.Version
		s.Version = v.Input
	case s.Version == "":
		return nil, spec.Problems{{File: o.SpecFile, Line: 1, Col: 1, Field: "version", Msg: "is not set: add 'version:' to the spec or pass --version"}}
	default:
		if v, err = version.Parse(s.Version); err != nil {
			return nil, err // validated by spec.Load already
		}
	}
	targets := o.Targets
	if len(targets) == 0 {
		for _, n := range s.Targets {
			t, err := distro.Lookup(n)
			if err != nil {
				return nil, err // validated by spec.Load already
			}
			targets = append(targets, t)
		}
	}
	formats := map[string]packager.Packager{}
	md5 := false
	for _, t := range targets {
		f, err := packager.Get(t.Format)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		formats[t.Format] = f
		md5 = md5 || (forWrite && f.NeedsMD5())
	}

	dir, err := filepath.Abs(filepath.Dir(o.SpecFile))
	if err != nil {
		return nil, err
	}
	venvs, err := openVenvs(s, dir)
	if err != nil {
		return nil, err
	}
	pythons := map[string]distro.Python{}
	var errs []error
	for _, t := range targets {
		py, err := pickPython(t, s.Venv, venvs, o.AnyPython)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.At("venv"), err))
			continue
		}
		pythons[t.Name] = py
	}
	used := map[string]*pythonPayload{}
	for _, py := range pythons {
		used[py.Version] = venvs[py.Version]
	}
	if len(o.Targets) == 0 {
		for v, pp := range venvs {
			if used[v] == nil {
				o.Warn(fmt.Sprintf("%s: no target is built from this Python %s venv (each target uses the venv of its default Python when there is one)", s.At(pp.field), v))
			}
		}
	}
	if forWrite {
		for _, pp := range used {
			if err := checkOutDir(o.OutDir, s, dir, pp.field, pp.venv); err != nil {
				return nil, err
			}
		}
	}
	// The entry point, proven with each venv's own Python: reported with
	// the other problems below.
	var entryErrs []error
	excludes, err := payload.Excludes(s)
	if err != nil {
		return nil, err
	}
	// What of app.source the package does not ship: app.exclude, and a
	// writable path (shipped as a link in its place).
	excluded := func(rel string, isDir bool) bool {
		return excludes(rel, isDir) || slices.Contains(s.Writable, "app/"+rel)
	}
	for _, v := range slices.SortedFunc(maps.Keys(used), spec.ComparePython) {
		ve := used[v].venv
		if o.Progress != nil && !o.NoImport {
			o.Progress(fmt.Sprintf("importing %s with the venv's Python %s", s.App.WSGI, ve.Python))
		}
		err := entrycheck.Check(entrycheck.Options{SpecFile: cmp.Or(s.Where("app.wsgi"), o.SpecFile), Dir: dir, Source: s.App.Source, WSGI: s.App.WSGI,
			Venv: ve.Dir, SitePackages: ve.SitePackages, Environment: s.Environment, Secrets: s.Secrets, Excluded: excluded,
			NoImport: o.NoImport, Warn: o.Warn, Context: ctx})
		if err != nil && len(used) > 1 {
			err = fmt.Errorf("%s: %w", s.At(used[v].field), err)
		}
		entryErrs = append(entryErrs, err)
		if err != nil && o.NoImport {
			break // the same module check for every venv: once is enough
		}
	}
	entryErr := errors.Join(entryErrs...)
	if len(errs) > 0 {
		return nil, errors.Join(append([]error{entryErr}, errs...)...)
	}
	// Staging lives in a scratch area: a build killed with SIGKILL leaves
	// it behind for the next build to sweep.
	area, err := scratch.New("", "wsgipack-stage-")
	if err != nil {
		return nil, fmt.Errorf("cannot create a staging directory: %w", err)
	}
	stage := area.Path("")
	if err := os.Mkdir(stage, 0o700); err != nil {
		area.Release()
		return nil, fmt.Errorf("cannot create a staging directory: %w", err)
	}
	lay := layout.For(s.Name)
	p := &plan{spec: s, layout: lay, version: v, targets: targets, formats: formats, dir: dir, stage: stage, scratch: area,
		pythons: pythons, payloads: used, bytecode: s.CompileBytecode() && !o.NoBytecode}
	release := lay.Release(layout.ReleaseDir(v, s.Release))
	generated, err := entrypoint.Render(entrypoint.App{Layout: lay, Release: release, WSGI: s.App.WSGI, Environment: s.Environment})
	if err != nil {
		return p, err
	}
	var bins []*native.Binary
	for _, pp := range p.sortedPayloads() {
		ve := pp.venv
		if len(used) > 1 && o.Progress != nil {
			o.Progress(fmt.Sprintf("payload for Python %s (%s)", ve.Python, pp.field))
		}
		pstage := filepath.Join(stage, ve.Python)
		if err := os.Mkdir(pstage, 0o700); err != nil {
			return p, err
		}
		pp.payload, err = payload.Collect(ctx, payload.Options{
			Spec: s, Layout: lay, Release: release, Dir: dir, Venv: ve, VenvOrigin: filepath.Clean(s.Venv[keyOf(s.Venv, ve.Python)]),
			Interpreter: "/usr/bin/python" + ve.Python, Stage: pstage,
			Bytecode: p.bytecode, MD5: md5, Generated: generated, Progress: o.Progress,
		})
		if err != nil {
			return p, errors.Join(entryErr, err)
		}
		for _, w := range pp.payload.Warnings {
			o.Warn(w)
		}
		for _, b := range pp.payload.Binaries {
			if b.Glibc != "" && (pp.glibc == "" || native.Compare(b.Glibc, pp.glibc) > 0) {
				pp.glibc = b.Glibc
			}
		}
		bins = append(bins, pp.payload.Binaries...)
	}
	for _, w := range hookPaths(s, lay) {
		o.Warn(w)
	}
	p.machine, err = native.Arch(bins)
	if err != nil {
		return p, errors.Join(entryErr, err)
	}
	for _, t := range targets {
		errs = append(errs, native.CheckGlibc(p.of(t).payload.Binaries, t.Name, t.Glibc)...)
	}
	return p, errors.Join(append([]error{entryErr}, errs...)...)
}

// openVenvs opens the spec's venvs, by their Python X.Y. A venv of the
// per-Python form must be of the Python it is listed under.
func openVenvs(s *spec.Spec, dir string) (map[string]*pythonPayload, error) {
	out := map[string]*pythonPayload{}
	var errs []error
	for _, f := range s.Venv.Fields() {
		field, path := f[0], f[1]
		ve, err := venv.Open(filepath.Join(dir, path))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.At(field), err))
			continue
		}
		if want, ok := strings.CutPrefix(field, "venv."); ok && ve.Python != want {
			errs = append(errs, fmt.Errorf("%s: %s is a Python %s venv, not %s: create it with python%s (python%s -m venv %s)",
				s.At(field), path, ve.Python, want, want, want, path))
			continue
		}
		out[ve.Python] = &pythonPayload{field: field, venv: ve}
	}
	return out, errors.Join(errs...)
}

// keyOf is the key of venvs under which the venv of Python version is:
// the one venv's key, or version.
func keyOf(venvs spec.Venvs, version string) string {
	if _, ok := venvs.One(); ok {
		return ""
	}
	return version
}

// pickPython chooses the Python target t is built for: the one venv's
// Python, which t must offer mod_wsgi for; or, with a venv per Python,
// t's default Python (its python3) when there is a venv of it, else the
// newest Python t offers that there is a venv of.
func pickPython(t distro.Release, field spec.Venvs, venvs map[string]*pythonPayload, anyPython bool) (distro.Python, error) {
	if _, ok := field.One(); ok {
		var ve *venv.Venv
		for _, pp := range venvs {
			ve = pp.venv
		}
		if ve == nil {
			return distro.Python{}, fmt.Errorf("cannot be opened") // reported by openVenvs
		}
		py, err := t.Python(ve.Python)
		if err != nil && anyPython {
			return distro.Python{Version: ve.Python, Interpreter: "/usr/bin/python" + ve.Python,
				Package: "python" + ve.Python, ModWSGI: t.Pythons[0].ModWSGI}, nil
		}
		return py, err
	}
	if venvs[t.Pythons[0].Version] != nil {
		return t.Pythons[0], nil
	}
	for i := len(t.Pythons) - 1; i >= 0; i-- {
		if venvs[t.Pythons[i].Version] != nil {
			return t.Pythons[i], nil
		}
	}
	var offered []string
	for _, py := range t.Pythons {
		offered = append(offered, py.Version)
	}
	want := t.Pythons[0].Version
	return distro.Python{}, fmt.Errorf("%s needs a venv for Python %s (it has mod_wsgi only for Python %s), and the spec has none: add \"%s\": <a venv made with python%s> under venv, or drop the target",
		t.Name, want, strings.Join(offered, ", "), want, want)
}

// hookPaths warns about hooks that name a path under /opt/<name>: hooks
// run in the new release's directory before it is current, where
// /opt/<name>/current is still the old release and /opt/<name>/<file> does
// not exist.
func hookPaths(s *spec.Spec, lay layout.App) []string {
	var out []string
	for _, h := range []struct {
		field string
		cmds  []string
	}{{"hooks.first_install", s.Hooks.FirstInstall}, {"hooks.post_install", s.Hooks.PostInstall}, {"hooks.pre_remove", s.Hooks.PreRemove}} {
		for i, c := range h.cmds {
			if strings.Contains(c, lay.Root+"/") {
				out = append(out, fmt.Sprintf("%s: %q names a path under %s: hooks run in the new release's directory (%s/<release>) before it serves; name the release's files relative to it (e.g. migrations, not %s/migrations)",
					s.At(fmt.Sprintf("%s[%d]", h.field, i)), c, lay.Root, lay.Releases, lay.Root))
			}
		}
	}
	return out
}

// serverFiles are the files the install scripts make in /etc/<name>, which
// an rpm owns as %ghost %config(noreplace) (a deb cannot): this server's
// settings and the secrets. rpm never writes them, keeps them on erase and,
// above all, when an upgrade erases an older package that shipped
// /etc/<name>/environment as %config(noreplace), which would otherwise
// remove it or move it to .rpmsave after the new package's %post migrated
// it. rpm -V checks their owner, group and mode (what ensure_dirs sets),
// not their content; and that of /etc/<name>, added here when no config
// file brought it.
func (p *plan) serverFiles(t distro.Release) []archive.Entry {
	if t.Format != "rpm" {
		return nil
	}
	files := []archive.Entry{{Path: p.layout.EnvFile, Kind: archive.File, Mode: 0o640, Group: p.spec.User,
		Config: true, Ghost: true, Origin: "made by the install scripts"}}
	if !slices.ContainsFunc(p.of(t).payload.Entries, func(e archive.Entry) bool { return e.Path == p.layout.Etc }) {
		files = append(files, archive.Entry{Path: p.layout.Etc, Kind: archive.Dir, Mode: 0o750, Group: p.spec.User,
			Origin: "made by the install scripts"})
	}
	if len(p.spec.Secrets) > 0 {
		files = append(files, archive.Entry{Path: p.layout.SecretsFile, Kind: archive.File, Mode: 0o640, Group: p.spec.User,
			Config: true, Ghost: true, Origin: "generated by the install scripts"})
	}
	return files
}

// pkg is the package of target t, without its contents and scripts.
func (p *plan) pkg(t distro.Release, mtime time.Time) *packager.Package {
	s := p.spec
	py := p.pythons[t.Name]
	pp := p.of(t)
	return &packager.Package{
		Name: s.Name, Summary: s.Summary, Description: s.Description, Maintainer: s.Maintainer,
		License: s.License, Homepage: s.Homepage, Version: p.version, Release: s.Release,
		Distro: t, Machine: p.machine, Glibc: pp.glibc,
		System: system(s, py, t), Depends: s.Depends[t.Name], MTime: mtime,
	}
}

// system are the target's packages an app needs: its Python, mod_wsgi for
// it, Apache, and acl (setfacl) when Apache serves a writable path.
func system(s *spec.Spec, py distro.Python, t distro.Release) []string {
	deps := []string{py.Package, py.ModWSGI, t.Apache.Package}
	if len(s.ServedWritable()) > 0 {
		deps = append(deps, "acl")
	}
	return deps
}

// complete renders what pkg's target adds to the shared payload: the
// Apache configuration in the target's layout, the copyright and the
// install scripts.
func (p *plan) complete(pkg *packager.Package) (*packager.Package, error) {
	t := pkg.Distro
	conf, err := apache.Render(p.spec, t.Apache)
	if err != nil {
		return nil, err
	}
	copyright, err := docs.Copyright(docs.App{Layout: p.layout, Maintainer: pkg.Maintainer, License: pkg.License,
		Homepage: pkg.Homepage, Time: pkg.MTime})
	if err != nil {
		return nil, err
	}
	in := scripts.Input{
		Spec: p.spec, Version: p.version.Input, ReleaseDir: layout.ReleaseDir(p.version, p.spec.Release), Target: t, Python: p.pythons[t.Name],
		PythonVersion: p.of(t).venv.Python, Conf: conf, InstallBytecode: !p.bytecode,
	}
	sc, err := scripts.Render(in)
	if err != nil {
		return nil, err
	}
	ctl, err := scripts.Ctl(in)
	if err != nil {
		return nil, err
	}
	manual, err := scripts.CtlManual(in)
	if err != nil {
		return nil, err
	}
	pkg.Scripts = packager.Scripts(sc)
	pkg.Entries = p.of(t).payload.With(append([]archive.Entry{conf.Entry(), copyright, ctl, manual}, p.serverFiles(t)...)...)
	if err := checkTree(pkg.Entries); err != nil {
		return nil, err
	}
	return pkg, nil
}

// ParseSourceDateEpoch parses $SOURCE_DATE_EPOCH: whole seconds since
// 1970, no later than packager.MaxTime (rpm and cpio hold 32 bits).
func ParseSourceDateEpoch(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", s)
	}
	t := time.Unix(n, 0).UTC()
	if err := packager.CheckTime(t, fmt.Sprintf("SOURCE_DATE_EPOCH=%q", s)); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// checkTree refuses a package in which an entry lies inside one that is
// not a directory (a file or symlink): the deb writer would refuse it
// only when writing, and rpm would build a package that cannot install.
// complete runs it for check and build alike.
func checkTree(entries []archive.Entry) error {
	byPath := make(map[string]*archive.Entry, len(entries))
	for i := range entries {
		byPath[entries[i].Path] = &entries[i]
	}
	var errs []error
	for _, e := range entries {
		for dir := path.Dir(e.Path); dir != "/" && dir != "."; dir = path.Dir(dir) {
			if d, ok := byPath[dir]; ok {
				if d.Kind != archive.Dir {
					errs = append(errs, fmt.Errorf("%s (%s) is not a directory, but %s (%s) would be inside it; change one of them", dir, d.Origin, e.Path, e.Origin))
				}
				break
			}
		}
	}
	return errors.Join(errs...)
}

// timestamp picks the time stamped on every file: $SOURCE_DATE_EPOCH, else
// the commit time of the project's git checkout, else the newest input file.
// Never the clock, so that builds are reproducible. A time the formats
// cannot hold (a file dated after 2106) is an error.
func timestamp(ctx context.Context, o Options, p *plan) (time.Time, string, error) {
	t, source := pickTime(ctx, o, p)
	if err := packager.CheckTime(t, "the time stamp ("+source+")"); err != nil {
		return t, source, fmt.Errorf("%w: set SOURCE_DATE_EPOCH to a time in that range", err)
	}
	return t, source, nil
}

func pickTime(ctx context.Context, o Options, p *plan) (time.Time, string) {
	if o.Time != nil {
		return o.Time.UTC(), "SOURCE_DATE_EPOCH"
	}
	dir := filepath.Dir(o.SpecFile)
	if out, err := exec.CommandContext(ctx, "git", "-C", dir, "log", "-1", "--format=%ct").Output(); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), "git commit"
		}
	}
	var newest time.Time
	for _, pp := range p.payloads {
		if pp.payload.Newest.After(newest) {
			newest = pp.payload.Newest
		}
	}
	if fi, err := os.Stat(o.SpecFile); err == nil && fi.ModTime().After(newest) {
		newest = fi.ModTime()
	}
	return newest.UTC().Truncate(time.Second), "newest input file"
}

// cancellable is a package file whose writes fail once ctx is cancelled,
// so that a format writer stops at its next write. Seek goes to the file.
type cancellable struct {
	*os.File
	ctx context.Context
}

func (c *cancellable) Write(b []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.File.Write(b)
}
