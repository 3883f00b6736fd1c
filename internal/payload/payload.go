// Package payload decides what a package contains: every file, directory
// and symlink under /opt/<name> (the app, its extra files, the relocated
// venv), the config files, the files wsgipack rendered and the writable
// paths, with their final paths and modes, as package entries
// (internal/archive). It compiles the app's bytecode for the final paths,
// reads the native code and refuses a payload that still names the build
// directory.
//
// The payload is the same for every target of one build; the files that
// differ per target are added with Payload.With.
package payload

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gobwas/glob"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/fstree"
	"github.com/wsgipack/wsgipack/internal/inputfile"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/native"
	"github.com/wsgipack/wsgipack/internal/spec"
	"github.com/wsgipack/wsgipack/internal/venv"
)

// Options say what to collect.
type Options struct {
	Spec   *spec.Spec
	Layout layout.App // install paths: layout.For(Spec.Name)
	// Release is the tree the code runs from on the server
	// (Layout.Release): the venv's scripts and the bytecode name its paths.
	// The entries are built there, then moved to Layout.Shipped(), where
	// the package installs them.
	Release     layout.Tree
	Dir         string     // the project: the spec file's directory, absolute
	Venv        *venv.Venv // the CI venv
	VenvOrigin  string     // the venv as the spec names it, for messages
	Interpreter string     // the target interpreter, e.g. /usr/bin/python3.11
	Stage       string     // an empty directory for compiled bytecode
	Bytecode    bool       // compile .pyc files
	// MD5 makes the scan, which reads every file anyway, record each
	// file's MD5 in Entry.MD5 (for deb's md5sums).
	MD5 bool
	// Generated are the files wsgipack rendered (entry script, environment
	// file...): added as given, and scanned like the rest.
	Generated []archive.Entry
	Progress  func(step string) // may be nil
}

// Payload is what every package of a build contains.
type Payload struct {
	Entries     []archive.Entry // sorted by Path, with the parents of the owned directories
	Binaries    []*native.Binary
	Warnings    []string
	Newest      time.Time // newest modification time of the input files
	Compiled    int       // .pyc files written
	NotCompiled []string  // sources that do not compile, "path: error"

	owned []string // the directories the package owns: layout.App.Owned
}

// With returns a sorted copy of the entries plus extra, for the files that
// differ per target or need the build's time stamp (the Apache
// configuration, the copyright), with the directories the package owns
// that hold them (p is shared by every target of a build and is not
// modified).
func (p *Payload) With(extra ...archive.Entry) []archive.Entry {
	out := make([]archive.Entry, 0, len(p.Entries)+len(extra)+2)
	out = append(append(out, p.Entries...), extra...)
	out = append(out, fstree.Parents(out, p.owned...)...)
	fstree.Sort(out)
	return out
}

// Size returns the total size of the files.
func (p *Payload) Size() int64 {
	var n int64
	for _, e := range p.Entries {
		n += e.Size
	}
	return n
}

// Files returns the number of regular files.
func (p *Payload) Files() int {
	n := 0
	for _, e := range p.Entries {
		if e.Kind == archive.File {
			n++
		}
	}
	return n
}

type collector struct {
	o       Options
	l       layout.App
	r       layout.Tree // the release tree the entries are built for
	entries map[string]archive.Entry
	newest  time.Time
	errs    []error
	warns   []string
}

// appGroup gives the app's group what the install scripts give it:
// /etc/<name> (root:<user> 0750) and the config files (root:<user> 0640),
// so that the package's own record of them matches the server (rpm -V).
func (c *collector) appGroup(entries []archive.Entry) {
	configs := map[string]bool{c.l.EnvFile: true}
	for _, cf := range c.o.Spec.Config {
		configs[cf.Dest] = true
	}
	for i := range entries {
		e := &entries[i]
		switch {
		case e.Path == c.l.Etc && e.Kind == archive.Dir:
			e.Mode, e.Group = 0o750, c.o.Spec.User
		case configs[e.Path] && e.Kind == archive.File:
			e.Mode, e.Group = 0o640, c.o.Spec.User
		}
	}
}

// Collect builds the payload. All problems found (setuid files, symlinks
// leaving the package, editable installs, two things wanting one path,
// leaks of the build path) are returned together.
func Collect(ctx context.Context, o Options) (*Payload, error) {
	c := &collector{o: o, l: o.Layout, r: o.Release, entries: map[string]archive.Entry{}}
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}

	progress("collecting files")
	if err := c.app(); err != nil {
		return nil, err
	}
	p := &Payload{owned: c.l.Owned()}
	rel, err := o.Venv.Relocate(ctx, venv.RelocateOptions{
		Dest: c.r.Venv, Root: c.r.Root, Interpreter: o.Interpreter, Keep: o.Spec.VenvKeep, Origin: o.VenvOrigin,
		// Problems found so far fail the build: no need to compile.
		Bytecode: o.Bytecode && len(c.errs) == 0, Stage: filepath.Join(o.Stage, "venv"), Progress: progress,
	})
	if err != nil {
		c.errs = append(c.errs, err)
	} else {
		c.add(rel.Entries...)
		c.warns = append(c.warns, rel.Warnings...)
		c.newest = later(c.newest, rel.Newest)
		p.Compiled, p.NotCompiled = rel.Compiled, rel.NotCompiled
	}
	c.add(o.Generated...)
	if err := c.config(); err != nil {
		return nil, err
	}
	c.writable()
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	p.Newest = c.newest
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if o.Bytecode {
		if err := c.bytecode(ctx, p); err != nil {
			return nil, err
		}
	}

	p.Entries = slices.Collect(maps.Values(c.entries))
	c.ship(p.Entries)
	p.Entries = append(p.Entries, fstree.Parents(p.Entries, c.l.Owned()...)...)
	c.appGroup(p.Entries)
	fstree.Sort(p.Entries)

	progress("scanning for native code and build paths")
	bins, err := scan(ctx, p.Entries, needles{build: c.needles(), base: o.Venv.BasePrefixes()}, o.MD5)
	if err != nil {
		return nil, err
	}
	p.Binaries = bins
	var files []string
	for _, e := range p.Entries {
		if e.Kind != archive.Dir {
			files = append(files, e.Path)
		}
	}
	p.Warnings = append(c.warns, native.Unresolved(bins, files)...)
	for _, b := range bins {
		for _, rp := range b.RunPath {
			// $ORIGIN resolves where the package puts the binary; absolute
			// run paths name the release the code runs from.
			_, shipped := fstree.Within(rp, c.l.Shipped().Root)
			if _, ok := fstree.Within(rp, c.r.Root); !ok && !shipped {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s has RUNPATH %s, a directory of the build machine (typically CI's Python built with --enable-shared); harmless where it does not exist, but the loader searches it first", b.Origin, rp))
			}
		}
	}
	return p, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ship moves the entries built for the release tree to the tree the
// package installs (Layout.Shipped): same names below it, same content.
// Links keep their targets, which name the release's paths as the code
// does.
func (c *collector) ship(entries []archive.Entry) {
	to := c.l.Shipped().Root
	for i := range entries {
		if rel, ok := fstree.Within(entries[i].Path, c.r.Root); ok {
			entries[i].Path = path.Join(to, rel)
		}
	}
}

// needles are the build paths that must not appear in the payload: the
// venv's and the project's, as given and with symlinks resolved.
func (c *collector) needles() []string {
	set := map[string]bool{c.o.Venv.Dir: true, c.o.Venv.RealDir: true, c.o.Dir: true}
	if real, err := filepath.EvalSymlinks(c.o.Dir); err == nil {
		set[real] = true
	}
	var out []string
	for p := range set {
		if len(p) >= 4 && p != "/" { // a path this short would match by chance
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// add adds entries; a path wanted twice (but for directories) is a
// problem naming both.
func (c *collector) add(entries ...archive.Entry) {
	for _, e := range entries {
		if prev, ok := c.entries[e.Path]; ok && prev.Kind != archive.Dir {
			c.errs = append(c.errs, fmt.Errorf("%s and %s both want to be %s; change one of them", prev.Origin, e.Origin, e.Path))
			continue
		}
		c.entries[e.Path] = e
	}
}

// read adds a tree of the build machine.
func (c *collector) read(src, dest, origin string, skip func(string, fs.DirEntry) bool) error {
	v := c.o.Venv
	r, err := fstree.Read(fstree.Tree{Src: src, Dest: dest, Origin: origin, Skip: skip, Links: fstree.Links{
		Root: c.r.Root, Interpreter: c.o.Interpreter,
		Map: []fstree.Mapping{{From: v.Dir, To: c.r.Venv}, {From: v.RealDir, To: c.r.Venv}},
	}})
	if err != nil {
		return err
	}
	c.errs = append(c.errs, r.Problems...)
	c.add(r.Entries...)
	c.newest = later(c.newest, r.Newest)
	return nil
}

// app adds app.source (minus app.exclude, build artifacts and a venv inside
// it) and app.files.
func (c *collector) app() error {
	s := c.o.Spec
	match, err := Excludes(s)
	if err != nil {
		return err
	}
	src := filepath.Join(c.o.Dir, s.App.Source)
	// A venv inside the app's source directory is shipped as the venv only.
	venvRel, _ := filepath.Rel(src, c.o.Venv.Dir)
	excluded := func(rel string, d fs.DirEntry) bool {
		return fstree.IsBuildArtifact(rel, d) || rel == filepath.ToSlash(venvRel) || match(rel, d.IsDir())
	}
	if err := c.read(src, c.r.Code, s.App.Source, excluded); err != nil {
		return err
	}
	for _, dest := range slices.Sorted(maps.Keys(s.App.Files)) {
		from := s.App.Files[dest]
		if err := c.read(filepath.Join(c.o.Dir, from), c.r.Opt(dest), from, fstree.IsBuildArtifact); err != nil {
			return err
		}
	}
	return nil
}

// Excludes returns whether a path of app.source (rel, slash-separated) is
// left out by app.exclude.
func Excludes(s *spec.Spec) (func(rel string, isDir bool) bool, error) {
	var patterns []glob.Glob
	for _, p := range s.App.Exclude {
		g, err := glob.Compile(p, '/')
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", s.At("app.exclude"), p, err)
		}
		patterns = append(patterns, g)
	}
	return func(rel string, isDir bool) bool {
		for _, g := range patterns {
			if g.Match(rel) || (isDir && g.Match(rel+"/")) {
				return true
			}
		}
		return false
	}, nil
}

// config adds the spec's config files: admin-editable, readable by root
// only until the install scripts give the app's group read access.
func (c *collector) config() error {
	for i, cf := range c.o.Spec.Config {
		src := filepath.Join(c.o.Dir, cf.Source)
		info, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("%s: %w", c.o.Spec.At(fmt.Sprintf("config[%d].source", i)), err)
		}
		if !info.Mode().IsRegular() {
			// A directory, FIFO or device cannot be a config file (and a
			// FIFO would block the build).
			c.errs = append(c.errs, fmt.Errorf("%s: %s is %s, not a regular file; name the file to install as %s",
				c.o.Spec.At(fmt.Sprintf("config[%d].source", i)), cf.Source, inputfile.Describe(info.Mode()), cf.Dest))
			continue
		}
		c.add(archive.Entry{Path: cf.Dest, Kind: archive.File, Mode: 0o640, Source: src, Size: info.Size(), Config: true, Origin: cf.Source})
	}
	return nil
}

// writable replaces each writable path with a symlink into the app's state
// directory.
func (c *collector) writable() {
	for i, w := range c.o.Spec.Writable {
		dest := c.r.Opt(w)
		state := path.Join(c.l.State, w)
		n := 0
		for p, e := range c.entries {
			if _, ok := fstree.Within(p, dest); ok {
				if e.Kind == archive.File {
					n++
				}
				delete(c.entries, p)
			}
		}
		if n > 0 {
			place := c.o.Spec.Where(fmt.Sprintf("writable[%d]", i))
			if place != "" {
				place += ": "
			}
			c.warns = append(c.warns, fmt.Sprintf("%swritable %s: %d shipped file(s) under it are left out; the path becomes a link to %s", place, w, n, state))
		}
		c.add(archive.Entry{Path: dest, Kind: archive.Symlink, Link: state, Mode: 0o777, Origin: "writable " + w})
	}
}

// bytecode compiles the .py files outside the venv (the venv's own are
// compiled by venv.Relocate) for their final paths.
func (c *collector) bytecode(ctx context.Context, p *Payload) error {
	var sources []archive.Entry
	for _, e := range c.entries {
		if _, inVenv := fstree.Within(e.Path, c.r.Venv); !inVenv {
			sources = append(sources, e)
		}
	}
	pyc, failed, err := c.o.Venv.Compile(ctx, sources, filepath.Join(c.o.Stage, "app"))
	if err != nil {
		return err
	}
	c.add(pyc...)
	p.Compiled += len(pyc)
	// In path order, as if compiled together with the venv's.
	p.NotCompiled = append(p.NotCompiled, failed...)
	sort.SliceStable(p.NotCompiled, func(i, j int) bool {
		a, _, _ := strings.Cut(p.NotCompiled[i], ": ")
		b, _, _ := strings.Cut(p.NotCompiled[j], ": ")
		return a < b
	})
	return nil
}
