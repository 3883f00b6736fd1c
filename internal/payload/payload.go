// Package payload decides what a package contains: every file, directory
// and symlink under /opt/<name>, the generated entry script, the config
// files and the docs, with their final paths and modes. It relocates the
// venv, compiles bytecode for the final paths, reads the native code and
// refuses a payload that still names the build directory.
//
// The payload is the same for every target of one build; only the package
// metadata differs per target.
package payload

import (
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
	"github.com/wsgipack/wsgipack/internal/bytecode"
	"github.com/wsgipack/wsgipack/internal/native"
	"github.com/wsgipack/wsgipack/internal/spec"
	"github.com/wsgipack/wsgipack/internal/venv"
)

// Kind is the type of an entry: the package writers' own.
type Kind = archive.Kind

// The kinds of entries.
const (
	File    = archive.File
	Dir     = archive.Dir
	Symlink = archive.Symlink
)

// Entry is one item of the package.
type Entry struct {
	Path   string      // absolute path once installed
	Kind   Kind        // file, directory or symlink
	Mode   fs.FileMode // permission bits
	Source string      // files: where to read the content
	Link   string      // symlinks: the target
	Size   int64       // files: size in bytes
	Config bool        // an admin-editable config file
	Origin string      // where it comes from, for messages
	MD5    []byte      // files: MD5 of the content, when Options.MD5 asked for it
}

// Tree is a complete payload.
type Tree struct {
	Root        string   // /opt/<name>
	Entries     []*Entry // sorted by Path
	Binaries    []*native.Binary
	Warnings    []string
	Newest      time.Time // newest modification time of the input files
	Compiled    int       // .pyc files written
	NotCompiled []string  // sources that do not compile, "path: error"
}

// Options say what to collect.
type Options struct {
	Spec        *spec.Spec
	Dir         string     // the project: the spec file's directory, absolute
	Venv        *venv.Venv // the CI venv
	Interpreter string     // the target interpreter, e.g. /usr/bin/python3.11
	Stage       string     // an empty directory for generated files
	Bytecode    bool       // compile .pyc files
	// MD5 makes the scan, which reads every file anyway, record each
	// file's MD5 (for deb's md5sums).
	MD5      bool
	Progress func(step string)
}

// With returns a copy of t that also holds extra, for files that differ per
// target (t is shared by every target of a build).
func (t *Tree) With(extra ...*Entry) *Tree {
	c := *t
	c.Entries = append(slices.Clip(t.Entries), extra...)
	sort.Slice(c.Entries, func(i, j int) bool { return c.Entries[i].Path < c.Entries[j].Path })
	return &c
}

// Size returns the total size of the files.
func (t *Tree) Size() int64 {
	var n int64
	for _, e := range t.Entries {
		n += e.Size
	}
	return n
}

// Files returns the number of regular files.
func (t *Tree) Files() int {
	n := 0
	for _, e := range t.Entries {
		if e.Kind == File {
			n++
		}
	}
	return n
}

type collector struct {
	o       Options
	root    string
	entries map[string]*Entry
	newest  time.Time
	errs    []error
	warns   []string
	// venv bookkeeping
	dropped   map[string]bool
	droppedD  []string
	rewritten map[string][]byte // venv-relative path -> new content
	records   []string          // venv-relative RECORD files
}

// Collect builds the payload. All problems found (setuid files, symlinks
// leaving the package, editable installs, leaks of the build path) are
// returned together.
func Collect(o Options) (*Tree, error) {
	s := o.Spec
	c := &collector{o: o, root: "/opt/" + s.Name, entries: map[string]*Entry{}, rewritten: map[string][]byte{}}
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	if errs := o.Venv.Editables(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if o.Venv.SystemSite {
		c.warns = append(c.warns, "venv: include-system-site-packages is true: the app may import packages from CI's system Python that servers do not have; recreate the venv without --system-site-packages")
	}
	var err error
	var drop []string
	for _, i := range spec.Installers {
		if !slices.Contains(s.VenvKeep, i) {
			drop = append(drop, i)
		}
	}
	c.dropped, c.droppedD, err = o.Venv.Dropped(drop, s.VenvKeep)
	if err != nil {
		return nil, err
	}
	c.warns = append(c.warns, o.Venv.RequiresDropped(drop)...)

	progress("collecting files")
	if err := c.app(); err != nil {
		return nil, err
	}
	if err := c.venv(); err != nil {
		return nil, err
	}
	if err := c.generated(); err != nil {
		return nil, err
	}
	c.writable()
	c.pruneSitePackages()
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}

	t := &Tree{Root: c.root, Newest: c.newest}
	if o.Bytecode {
		progress("compiling bytecode")
		if err := c.bytecode(t); err != nil {
			return nil, err
		}
	}
	if err := c.fixRecords(); err != nil {
		return nil, err
	}
	c.parents()

	t.Entries = make([]*Entry, 0, len(c.entries))
	for _, e := range c.entries {
		t.Entries = append(t.Entries, e)
	}
	sort.Slice(t.Entries, func(i, j int) bool { return t.Entries[i].Path < t.Entries[j].Path })

	progress("scanning for native code and build paths")
	bins, err := scan(t.Entries, c.needles(), o.MD5)
	if err != nil {
		return nil, err
	}
	t.Binaries = bins
	var files []string
	for _, e := range t.Entries {
		if e.Kind != Dir {
			files = append(files, e.Path)
		}
	}
	t.Warnings = append(c.warns, native.Unresolved(bins, files)...)
	for _, b := range bins {
		for _, rp := range b.RunPath {
			if _, ok := within(rp, c.root); !ok {
				t.Warnings = append(t.Warnings, fmt.Sprintf("%s has RUNPATH %s, a directory of the build machine (typically CI's Python built with --enable-shared); harmless where it does not exist, but the loader searches it first", b.Origin, rp))
			}
		}
	}
	return t, nil
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

func (c *collector) add(e *Entry) {
	if prev, ok := c.entries[e.Path]; ok && prev.Kind != Dir {
		c.errs = append(c.errs, fmt.Errorf("%s and %s both want to be %s; change one of them", prev.Origin, e.Origin, e.Path))
		return
	}
	c.entries[e.Path] = e
}

// stage writes generated content under the stage directory and returns its
// path there.
func (c *collector) stage(dest string, data []byte) (string, error) {
	p := filepath.Join(c.o.Stage, "files", filepath.FromSlash(dest))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	return p, os.WriteFile(p, data, 0o644)
}

func (c *collector) addData(dest string, data []byte, mode fs.FileMode, config bool, origin string) error {
	p, err := c.stage(dest, data)
	if err != nil {
		return err
	}
	c.add(&Entry{Path: dest, Kind: File, Mode: mode, Source: p, Size: int64(len(data)), Config: config, Origin: origin})
	return nil
}

// filter decides about one path of a tree being copied: skip it, or keep it.
type filter func(rel string, d fs.DirEntry) (skip bool)

// copyTree adds the tree at src (absolute) under dest. origin names src in
// messages.
func (c *collector) copyTree(src, dest, origin string, skip filter) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", p, err)
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		if rel != "." && skip != nil && skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		to, from := dest, origin
		if rel != "." {
			to, from = path.Join(dest, rel), path.Join(origin, rel)
		}
		return c.addPath(p, to, from, src, dest, d)
	})
}

// addPath adds one file, directory or symlink found on disk.
func (c *collector) addPath(p, dest, origin, srcRoot, destRoot string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", origin, err)
	}
	mode := info.Mode()
	if info.ModTime().After(c.newest) {
		c.newest = info.ModTime()
	}
	switch {
	case mode.IsDir():
		c.add(&Entry{Path: dest, Kind: Dir, Mode: 0o755, Origin: origin})
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return fmt.Errorf("cannot read symlink %s: %w", origin, err)
		}
		link, err := c.link(dest, target, srcRoot, destRoot)
		if err != nil {
			c.errs = append(c.errs, fmt.Errorf("%s: %w", origin, err))
			return nil
		}
		c.add(&Entry{Path: dest, Kind: Symlink, Link: link, Mode: 0o777, Origin: origin})
	case mode.IsRegular():
		if mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			c.errs = append(c.errs, fmt.Errorf("%s is setuid or setgid; wsgipack refuses to ship such files (chmod u-s,g-s it, or exclude it)", origin))
			return nil
		}
		perm := fs.FileMode(0o644)
		if mode&0o111 != 0 {
			perm = 0o755
		}
		c.add(&Entry{Path: dest, Kind: File, Mode: perm, Source: p, Size: info.Size(), Origin: origin})
	default:
		c.errs = append(c.errs, fmt.Errorf("%s is a %s, not a file, directory or symlink; exclude it", origin, mode.Type()))
	}
	return nil
}

// link returns the symlink target to ship for a link at dest pointing at
// target, or an error when it would leave the package.
func (c *collector) link(dest, target, srcRoot, destRoot string) (string, error) {
	if path.IsAbs(target) {
		for _, root := range []string{srcRoot, c.o.Venv.Dir, c.o.Venv.RealDir} {
			if rel, ok := within(target, root); ok {
				mapped := destRoot
				if root != srcRoot {
					mapped = c.root + "/venv"
				}
				abs := path.Join(mapped, rel)
				r, _ := filepath.Rel(path.Dir(dest), abs)
				return filepath.ToSlash(r), nil
			}
		}
		if target == c.o.Interpreter {
			return target, nil
		}
		return "", fmt.Errorf("symlink to %s leaves /opt/%s; ship the file itself or exclude the link", target, c.o.Spec.Name)
	}
	resolved := path.Join(path.Dir(dest), target)
	if _, ok := within(resolved, c.root); !ok {
		return "", fmt.Errorf("symlink to %s resolves to %s, outside /opt/%s; ship the file itself or exclude the link", target, resolved, c.o.Spec.Name)
	}
	return target, nil
}

func within(p, root string) (string, bool) {
	if p == root {
		return ".", true
	}
	rel, ok := strings.CutPrefix(p, root+"/")
	return rel, ok
}

// vcsDirs are never shipped.
var vcsDirs = []string{".git", ".hg", ".svn", ".bzr"}

func isBuildArtifact(rel string, d fs.DirEntry) bool {
	name := path.Base(rel)
	if d.IsDir() {
		return name == "__pycache__" || slices.Contains(vcsDirs, name)
	}
	return strings.HasSuffix(name, ".pyc") || strings.HasSuffix(name, ".pyo")
}

func (c *collector) app() error {
	s := c.o.Spec
	var patterns []glob.Glob
	for _, p := range s.App.Exclude {
		g, err := glob.Compile(p, '/')
		if err != nil {
			return fmt.Errorf("app.exclude: %q: %w", p, err)
		}
		patterns = append(patterns, g)
	}
	src := filepath.Join(c.o.Dir, s.App.Source)
	// A venv inside the app's source directory is shipped as the venv only.
	venvRel, _ := filepath.Rel(src, c.o.Venv.Dir)
	excluded := func(rel string, d fs.DirEntry) bool {
		if isBuildArtifact(rel, d) || rel == filepath.ToSlash(venvRel) {
			return true
		}
		for _, g := range patterns {
			if g.Match(rel) || (d.IsDir() && g.Match(rel+"/")) {
				return true
			}
		}
		return false
	}
	if err := c.copyTree(src, c.root+"/app", s.App.Source, excluded); err != nil {
		return err
	}
	for _, dest := range slices.Sorted(maps.Keys(s.App.Files)) {
		from := s.App.Files[dest]
		if err := c.copyTree(filepath.Join(c.o.Dir, from), path.Join(c.root, dest), from, isBuildArtifact); err != nil {
			return err
		}
	}
	return nil
}

func (c *collector) venv() error {
	v := c.o.Venv
	dest := c.root + "/venv"
	origin := c.o.Spec.Venv
	skip := func(rel string, d fs.DirEntry) bool {
		if isBuildArtifact(rel, d) || c.dropped[rel] || slices.Contains(c.droppedD, rel) {
			return true
		}
		if v.IsInterpreter(rel) || rel == "pyvenv.cfg" {
			return true // replaced below
		}
		if !d.Type().IsRegular() {
			return false
		}
		if strings.HasSuffix(rel, ".dist-info/RECORD") {
			c.records = append(c.records, rel)
			return false
		}
		if strings.HasSuffix(rel, ".dist-info/direct_url.json") {
			data, err := os.ReadFile(filepath.Join(v.Dir, rel))
			return err == nil && venv.IsLocalDirectURL(data) // names a path on the build machine
		}
		return false
	}
	if err := c.copyTree(v.Dir, dest, origin, skip); err != nil {
		return err
	}
	// Relocate the text files of bin/.
	for p, e := range c.entries {
		rel, ok := strings.CutPrefix(p, dest+"/bin/")
		if !ok || e.Kind != File {
			continue
		}
		data, err := os.ReadFile(e.Source)
		if err != nil {
			return err
		}
		if native.IsELF(data) {
			continue
		}
		if out := v.Relocate(data, dest); out != nil {
			src, err := c.stage(p, out)
			if err != nil {
				return err
			}
			e.Source, e.Size = src, int64(len(out))
			c.rewritten["bin/"+rel] = out
		}
	}
	for name, target := range v.Interpreters(c.o.Interpreter) {
		c.add(&Entry{Path: path.Join(dest, name), Kind: Symlink, Link: target, Mode: 0o777, Origin: "interpreter link"})
	}
	return c.addData(dest+"/pyvenv.cfg", v.PyvenvCfg(c.o.Interpreter), 0o644, false, origin+"/pyvenv.cfg")
}

// fixRecords rewrites the venv's RECORD files for what is shipped.
func (c *collector) fixRecords() error {
	dest := c.root + "/venv/"
	shipped := func(rel string) bool { _, ok := c.entries[dest+rel]; return ok }
	for _, rel := range c.records {
		e := c.entries[dest+rel]
		if e == nil {
			continue
		}
		data, err := os.ReadFile(e.Source)
		if err != nil {
			return err
		}
		out := venv.UpdateRecord(data, rel, shipped, c.rewritten)
		if string(out) == string(data) {
			continue
		}
		src, err := c.stage(e.Path, out)
		if err != nil {
			return err
		}
		e.Source, e.Size = src, int64(len(out))
	}
	return nil
}

// pruneSitePackages removes directories of site-packages left without
// files, such as those of the dropped installers.
func (c *collector) pruneSitePackages() {
	sp := c.root + "/venv/" + c.o.Venv.SitePackages + "/"
	full := map[string]bool{}
	for p, e := range c.entries {
		if e.Kind == Dir {
			continue
		}
		for d := path.Dir(p); strings.HasPrefix(d+"/", sp) && !full[d]; d = path.Dir(d) {
			full[d] = true
		}
	}
	for p, e := range c.entries {
		if e.Kind == Dir && strings.HasPrefix(p, sp) && !full[p] {
			delete(c.entries, p)
		}
	}
}

// writable replaces each writable path with a symlink into /var/lib/<name>.
func (c *collector) writable() {
	s := c.o.Spec
	for _, w := range s.Writable {
		dest := path.Join(c.root, w)
		n := 0
		for p, e := range c.entries {
			if p == dest || strings.HasPrefix(p, dest+"/") {
				if e.Kind == File {
					n++
				}
				delete(c.entries, p)
			}
		}
		if n > 0 {
			c.warns = append(c.warns, fmt.Sprintf("writable %s: %d shipped file(s) under it are left out; the path becomes a link to /var/lib/%s/%s", w, n, s.Name, w))
		}
		c.add(&Entry{Path: dest, Kind: Symlink, Link: path.Join("/var/lib", s.Name, w), Mode: 0o777, Origin: "writable " + w})
	}
}

// parents adds every directory that holds an entry, up to the package's own
// top directories, so that the package owns (and removes) them.
func (c *collector) parents() {
	tops := []string{c.root, "/etc/" + c.o.Spec.Name, "/usr/share/doc/" + c.o.Spec.Name, "/usr/share/lintian"}
	for p := range c.entries {
		for dir := path.Dir(p); ; dir = path.Dir(dir) {
			top := ""
			for _, t := range tops {
				if dir == t || strings.HasPrefix(dir, t+"/") {
					top = t
				}
			}
			if top == "" {
				break
			}
			if _, ok := c.entries[dir]; !ok {
				c.entries[dir] = &Entry{Path: dir, Kind: Dir, Mode: 0o755, Origin: "directory"}
			}
			if dir == top {
				break
			}
		}
	}
}

func (c *collector) bytecode(t *Tree) error {
	var jobs []bytecode.Job
	binDir := c.root + "/venv/bin/"
	for p, e := range c.entries {
		if e.Kind != File || !strings.HasSuffix(p, ".py") || strings.HasPrefix(p, binDir) {
			continue
		}
		dir, file := path.Split(p)
		pyc := path.Join(dir, "__pycache__", strings.TrimSuffix(file, ".py")+"."+c.o.Venv.CacheTag()+".pyc")
		jobs = append(jobs, bytecode.Job{Src: e.Source, Dest: p, Out: filepath.Join(c.o.Stage, "pyc", filepath.FromSlash(pyc))})
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].Dest < jobs[j].Dest })
	failed, err := bytecode.Compile(filepath.Join(c.o.Venv.Dir, "bin", "python"), jobs)
	if err != nil {
		return err
	}
	t.NotCompiled = failed
	for _, j := range jobs {
		info, err := os.Stat(j.Out)
		if err != nil {
			continue // did not compile; listed in failed
		}
		dest := path.Join(path.Dir(j.Dest), "__pycache__", filepath.Base(j.Out))
		c.add(&Entry{Path: dest, Kind: File, Mode: 0o644, Source: j.Out, Size: info.Size(), Origin: "bytecode of " + j.Dest})
		t.Compiled++
	}
	return nil
}
