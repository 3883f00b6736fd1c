// Package build runs wsgipack's main job: from a spec, a project and the
// venv CI made, it checks everything, collects one payload and writes one
// package per target into the output directory, atomically, with a
// SHA256SUMS file beside them.
package builder

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsgipack/wsgipack/internal/apache"
	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/native"
	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/payload"
	"github.com/wsgipack/wsgipack/internal/scripts"
	"github.com/wsgipack/wsgipack/internal/spec"
	"github.com/wsgipack/wsgipack/internal/venv"
	"github.com/wsgipack/wsgipack/internal/version"
	"github.com/wsgipack/wsgipack/templates"
)

// Options are the inputs of a build or check.
type Options struct {
	SpecFile string   // path of wsgipack.yaml
	Targets  []string // when set, build only these (instead of the spec's)
	Version  string   // when set, overrides the spec's version
	OutDir   string   // where packages go
	// SourceDateEpoch is $SOURCE_DATE_EPOCH; empty when unset.
	SourceDateEpoch string
	// NoBytecode skips .pyc compilation whatever the spec says.
	NoBytecode bool
	// Warn receives warnings, one per call.
	Warn func(string)
	// Progress receives a line per step that may take seconds; may be nil.
	Progress func(string)
	// AnyPython builds even when a target offers no mod_wsgi for the venv's
	// Python, assuming /usr/bin/pythonX.Y. Only tests use it: to prove that
	// such a package refuses to install.
	AnyPython bool

	md5 bool // packages will be written: have the scan record MD5s for debs
}

// UsageError is bad input on the command line (exit code 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

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
	version version.Version
	targets []distro.Release
	tree    *payload.Payload
	arch    string
	venv    *venv.Venv
	stage   string
	pythons map[string]distro.Python // by target name
	// bytecode is true when the package ships .pyc files; otherwise the
	// install scripts compile them.
	bytecode bool
}

// Check runs every validation of Build and writes nothing.
func Check(o Options) (*Result, error) {
	o.NoBytecode = true
	p, err := prepare(o)
	if p != nil && p.stage != "" {
		defer os.RemoveAll(p.stage)
	}
	if err != nil {
		return nil, err
	}
	res := p.result()
	for _, t := range p.targets {
		m := p.meta(t, time.Time{})
		res.Packages = append(res.Packages, Package{Target: t, Name: packager.For(t.Format).FileName(m), Arch: t.PackageArch(p.arch), Depends: m.Depends})
	}
	return res, nil
}

// Build checks the inputs and writes one package per target.
func Build(o Options) (*Result, error) {
	o.md5 = true
	p, err := prepare(o)
	if p != nil && p.stage != "" {
		defer os.RemoveAll(p.stage)
	}
	if err != nil {
		return nil, err
	}
	mtime, source, err := timestamp(o, p)
	if err != nil {
		return nil, err
	}
	res := p.result()
	res.Time, res.TimeSource = mtime, source
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the output directory: %w", err)
	}
	for _, t := range p.targets {
		m := p.meta(t, mtime)
		tree, err := p.install(t, m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		pk := packager.For(t.Format)
		name := pk.FileName(m)
		if o.Progress != nil {
			o.Progress(fmt.Sprintf("writing %s (%s)", name, t.Name))
		}
		file := filepath.Join(o.OutDir, name)
		size, sum, err := writeAtomic(file, func(w io.Writer) error { return pk.Write(m, tree, w) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		res.Packages = append(res.Packages, Package{Target: t, File: file, Name: name,
			Arch: t.PackageArch(p.arch), Size: size, Depends: m.Depends, SHA256: sum})
	}
	if err := writeSums(o.OutDir, res.Packages); err != nil {
		return nil, err
	}
	return res, nil
}

func (p *plan) result() *Result {
	return &Result{Files: p.tree.Files(), Bytes: p.tree.Size(), Compiled: p.tree.Compiled,
		NotCompiled: p.tree.NotCompiled, Python: p.venv.Python, Arch: p.arch}
}

// prepare loads the spec, applies the command line, and checks and collects
// everything. Problems are reported all together where they are independent.
func prepare(o Options) (*plan, error) {
	if o.Warn == nil {
		o.Warn = func(string) {}
	}
	s, err := spec.Load(o.SpecFile)
	if err != nil {
		return nil, err
	}
	if o.Version != "" {
		s.Version = o.Version
	}
	if s.Version == "" {
		return nil, &UsageError{fmt.Errorf("%s: version is not set: add 'version:' to the spec or pass --version", o.SpecFile)}
	}
	v, err := version.Parse(s.Version)
	if err != nil {
		return nil, &UsageError{err}
	}
	names := s.Targets
	if len(o.Targets) > 0 {
		names = o.Targets
	}
	var targets []distro.Release
	var bad []error
	for _, n := range names {
		t, err := distro.Lookup(n)
		if err != nil {
			bad = append(bad, fmt.Errorf("--target: %w", err))
			continue
		}
		if !slices.ContainsFunc(targets, func(x distro.Release) bool { return x.Name == n }) {
			targets = append(targets, t)
		}
	}
	if len(bad) > 0 {
		return nil, &UsageError{errors.Join(bad...)}
	}

	dir, err := filepath.Abs(filepath.Dir(o.SpecFile))
	if err != nil {
		return nil, err
	}
	ve, err := venv.Open(filepath.Join(dir, s.Venv))
	if err != nil {
		return nil, err
	}
	var errs []error
	var interpreter string
	pythons := map[string]distro.Python{}
	for _, t := range targets {
		py, err := t.Python(ve.Python)
		if err != nil && o.AnyPython {
			py, err = distro.Python{Version: ve.Python, Interpreter: "/usr/bin/python" + ve.Python,
				Package: "python" + ve.Python, ModWSGI: t.Pythons[0].ModWSGI}, nil
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pythons[t.Name] = py
		interpreter = py.Interpreter // /usr/bin/pythonX.Y on every target
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	stage, err := os.MkdirTemp("", "wsgipack-stage-")
	if err != nil {
		return nil, err
	}
	p := &plan{spec: s, version: v, targets: targets, venv: ve, stage: stage, pythons: pythons,
		bytecode: s.CompileBytecode() && !o.NoBytecode}
	l := layout.For(s.Name)
	gen, err := generated(s, l)
	if err != nil {
		return p, err
	}
	p.tree, err = payload.Collect(payload.Options{
		Spec: s, Layout: l, Dir: dir, Venv: ve, Interpreter: interpreter, Stage: stage,
		Bytecode: p.bytecode, Progress: o.Progress, Generated: gen,
		MD5: o.md5 && slices.ContainsFunc(targets, func(t distro.Release) bool { return t.Format == distro.Deb }),
	})
	if err != nil {
		return p, err
	}
	for _, w := range p.tree.Warnings {
		o.Warn(w)
	}
	p.arch, err = native.Arch(p.tree.Binaries)
	if err != nil {
		return p, err
	}
	for _, t := range targets {
		errs = append(errs, native.CheckGlibc(p.tree.Binaries, t.Name, t.Glibc)...)
	}
	return p, errors.Join(errs...)
}

// meta is the package metadata for one target.
func (p *plan) meta(t distro.Release, mtime time.Time) *packager.Meta {
	s := p.spec
	py := p.pythons[t.Name]
	deps := []string{py.Package, py.ModWSGI, t.Apache.Package}
	if t.Format == distro.Deb {
		glibc := ""
		for _, b := range p.tree.Binaries {
			if b.Glibc != "" && (glibc == "" || native.Compare(b.Glibc, glibc) > 0) {
				glibc = b.Glibc
			}
		}
		if glibc != "" {
			deps = append(deps, "libc6 (>= "+glibc+")")
		}
	}
	deps = append(deps, s.Depends[t.Name]...)
	return &packager.Meta{
		Name: s.Name, Summary: s.Summary, Description: s.Description, Maintainer: s.Maintainer,
		License: s.License, Homepage: s.Homepage, Version: p.version, Release: s.Release,
		Target: t, Arch: p.arch, Depends: deps, MTime: mtime,
	}
}

// install adds what makes the package install itself on t: the Apache
// configuration in t's layout (to the entries it returns) and the install
// scripts (to m).
func (p *plan) install(t distro.Release, m *packager.Meta) ([]archive.Entry, error) {
	conf, err := apache.Render(p.spec, t.Apache)
	if err != nil {
		return nil, err
	}
	m.Scripts, err = scripts.Render(scripts.Input{
		Spec: p.spec, Version: m.Version.Input, Target: t, Python: p.pythons[t.Name],
		PythonVersion: p.venv.Python, Conf: conf, InstallBytecode: !p.bytecode,
	})
	if err != nil {
		return nil, err
	}
	return p.tree.With(archive.Entry{Path: conf.Path, Kind: archive.File, Mode: 0o644, Data: conf.Data,
		Size: int64(len(conf.Data)), Config: true, Origin: "generated apache.conf.tmpl"}), nil
}

// keyValue is one environment variable, in file order.
type keyValue struct{ Key, Value string }

// generated renders the files wsgipack writes itself into the payload: the
// WSGI entry script and the environment file.
func generated(s *spec.Spec, l layout.App) ([]archive.Entry, error) {
	module, callable, _ := strings.Cut(s.App.WSGI, ":")
	var env []keyValue
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		env = append(env, keyValue{k, s.Environment[k]})
	}
	data := map[string]any{
		"Name": s.Name, "Version": s.Version, "Root": l.Root, "EnvFile": l.EnvFile,
		"Module": module, "Callable": strings.TrimSuffix(callable, "()"), "Factory": strings.HasSuffix(callable, "()"),
		"WSGI": s.App.WSGI, "Environment": env,
	}
	var out []archive.Entry
	for _, f := range []struct {
		tmpl, dest string
		mode       fs.FileMode
		config     bool
	}{
		{"wsgi.tmpl", l.EntryScript, 0o644, false},
		// Readable by root only until the install scripts give the app's
		// group read access: it may hold secrets.
		{"environment.tmpl", l.EnvFile, 0o640, true},
	} {
		text, err := templates.Render(f.tmpl, data)
		if err != nil {
			return nil, err
		}
		out = append(out, archive.Entry{Path: f.dest, Kind: archive.File, Mode: f.mode, Data: text, Size: int64(len(text)),
			Config: f.config, Origin: "generated " + f.tmpl})
	}
	return out, nil
}

// timestamp picks the time stamped on every file: $SOURCE_DATE_EPOCH, else
// the commit time of the project's git checkout, else the newest input file.
// Never the clock, so that builds are reproducible.
func timestamp(o Options, p *plan) (time.Time, string, error) {
	if o.SourceDateEpoch != "" {
		n, err := strconv.ParseInt(o.SourceDateEpoch, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, "", &UsageError{fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", o.SourceDateEpoch)}
		}
		return time.Unix(n, 0).UTC(), "SOURCE_DATE_EPOCH", nil
	}
	dir := filepath.Dir(o.SpecFile)
	if out, err := exec.Command("git", "-C", dir, "log", "-1", "--format=%ct").Output(); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), "git commit", nil
		}
	}
	newest := p.tree.Newest
	if fi, err := os.Stat(o.SpecFile); err == nil && fi.ModTime().After(newest) {
		newest = fi.ModTime()
	}
	return newest.UTC().Truncate(time.Second), "newest input file", nil
}
