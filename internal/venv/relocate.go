package venv

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

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/bytecode"
	"github.com/wsgipack/wsgipack/internal/fstree"
	"github.com/wsgipack/wsgipack/internal/inputfile"
	"github.com/wsgipack/wsgipack/internal/native"
	"github.com/wsgipack/wsgipack/internal/spec"
)

// RelocateOptions say where and how the venv is shipped.
type RelocateOptions struct {
	Dest        string   // final path, e.g. /opt/inventory/venv
	Interpreter string   // the target's interpreter, e.g. /usr/bin/python3.11
	Keep        []string // installers kept (spec venv_keep); pip, setuptools, wheel are dropped otherwise
	Origin      string   // the venv as the spec names it, for messages (e.g. "venv")
	// Root is the package's top directory (/opt/<name>): the venv's
	// relative symlinks may point anywhere inside it. Dest when empty.
	Root     string
	Bytecode bool         // compile .pyc for the final paths
	Stage    string       // an empty directory for the compiled .pyc files
	Progress func(string) // may be nil
}

// Relocated is the venv as it is shipped.
type Relocated struct {
	Entries     []archive.Entry // every file, dir, symlink under Dest (not Dest's parents), sorted by path
	Warnings    []string
	Newest      time.Time // newest mtime of the files read
	Compiled    int       // .pyc files written
	NotCompiled []string  // sources that do not compile, "path: error"
}

// Relocate returns the venv as it is shipped at o.Dest: without its
// editable installs (refused, all at once), the installers not kept (found
// from their RECORDs), build artifacts, VCS directories and direct_url.json
// files naming a local path; the text files of bin/ (console scripts,
// activate scripts) rewritten for Dest; the interpreter links and
// pyvenv.cfg made for o.Interpreter; bytecode compiled for the final paths;
// the RECORD files made true for what is shipped. Rewritten and generated
// files are in memory (Entry.Data); only the .pyc files are written, to
// o.Stage. Paths refused (setuid files, devices, symlinks leaving the
// package) are returned together as one error. The venv on disk is never
// modified.
func (v *Venv) Relocate(ctx context.Context, o RelocateOptions) (*Relocated, error) {
	if errs := v.editables(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if o.Root == "" {
		o.Root = o.Dest
	}
	r := &Relocated{}
	if v.SystemSite {
		r.Warnings = append(r.Warnings, "venv: include-system-site-packages is true: the app may import packages from CI's system Python that servers do not have; recreate the venv without --system-site-packages")
	}
	var drop []string
	for _, i := range spec.Installers {
		if !slices.Contains(o.Keep, i) {
			drop = append(drop, i)
		}
	}
	droppedFiles, droppedDirs, err := v.dropped(drop, o.Keep)
	if err != nil {
		return nil, err
	}
	r.Warnings = append(r.Warnings, v.requiresDropped(drop)...)

	skip := func(rel string, d fs.DirEntry) bool {
		if fstree.IsBuildArtifact(rel, d) || droppedFiles[rel] || slices.Contains(droppedDirs, rel) {
			return true
		}
		if v.isInterpreter(rel) || rel == "pyvenv.cfg" {
			return true // replaced below
		}
		if d.Type().IsRegular() && strings.HasSuffix(rel, ".dist-info/direct_url.json") {
			data, err := inputfile.Read(filepath.Join(v.Dir, rel), maxDirectURL)
			return err == nil && isLocalDirectURL(data) // names a path on the build machine
		}
		return false
	}
	tree, err := fstree.Read(fstree.Tree{Src: v.Dir, Dest: o.Dest, Origin: o.Origin, Skip: skip, Links: fstree.Links{
		Root: o.Root, Interpreter: o.Interpreter,
		Map: []fstree.Mapping{{From: v.Dir, To: o.Dest}, {From: v.RealDir, To: o.Dest}},
	}})
	if err != nil {
		return nil, err
	}
	if len(tree.Problems) > 0 {
		return nil, errors.Join(tree.Problems...)
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	r.Newest = tree.Newest
	entries := tree.Entries

	// The text files of bin/ name the build path.
	rewritten := map[string][]byte{} // venv-relative path -> new content
	binDir := o.Dest + "/bin/"
	for i := range entries {
		e := &entries[i]
		rel, ok := strings.CutPrefix(e.Path, binDir)
		if !ok || e.Kind != archive.File {
			continue
		}
		data, err := inputfile.Read(e.Source, maxScript)
		if errors.Is(err, inputfile.ErrTooLarge) {
			continue // no script; the leak scan reads it whole
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Origin, err)
		}
		if native.IsELF(data) {
			continue
		}
		if out := v.relocateText(data, o.Dest); out != nil {
			setData(e, out)
			rewritten["bin/"+rel] = out
		}
	}
	links := v.interpreters(o.Interpreter)
	for _, name := range slices.Sorted(maps.Keys(links)) {
		entries = append(entries, archive.Entry{Path: path.Join(o.Dest, name), Kind: archive.Symlink,
			Link: links[name], Mode: 0o777, Origin: "interpreter link"})
	}
	cfg := archive.Entry{Path: o.Dest + "/pyvenv.cfg", Kind: archive.File, Mode: 0o644, Origin: o.Origin + "/pyvenv.cfg"}
	setData(&cfg, v.pyvenvCfg(o.Interpreter))
	entries = append(entries, cfg)
	entries = pruneSitePackages(entries, o.Dest+"/"+v.SitePackages+"/")

	if o.Bytecode {
		if o.Progress != nil {
			o.Progress("compiling bytecode")
		}
		var sources []archive.Entry
		for _, e := range entries {
			if !strings.HasPrefix(e.Path, binDir) {
				sources = append(sources, e)
			}
		}
		pyc, failed, err := v.Compile(ctx, sources, o.Stage)
		if err != nil {
			return nil, err
		}
		r.Compiled, r.NotCompiled = len(pyc), failed
		entries = append(entries, pyc...)
	}
	// The RECORDs name what is shipped so far: the directories added next
	// (__pycache__ of the new bytecode) are not in them.
	if err := fixRecords(entries, o.Dest, rewritten); err != nil {
		return nil, err
	}
	entries = append(entries, fstree.Parents(entries, o.Dest)...)
	fstree.Sort(entries)
	r.Entries = entries
	return r, nil
}

// setData makes e a file with content data, held in memory.
func setData(e *archive.Entry, data []byte) {
	e.Source, e.Data, e.Size = "", data, int64(len(data))
}

// pruneSitePackages removes the directories below sp (site-packages,
// with a trailing slash) left without files, such as those of the dropped
// installers.
func pruneSitePackages(entries []archive.Entry, sp string) []archive.Entry {
	full := map[string]bool{}
	for _, e := range entries {
		if e.Kind == archive.Dir {
			continue
		}
		for d := path.Dir(e.Path); strings.HasPrefix(d+"/", sp) && !full[d]; d = path.Dir(d) {
			full[d] = true
		}
	}
	return slices.DeleteFunc(entries, func(e archive.Entry) bool {
		return e.Kind == archive.Dir && strings.HasPrefix(e.Path, sp) && !full[e.Path]
	})
}

// fixRecords rewrites the RECORD files of the venv shipped at dest for
// what is shipped: lines of files left out go, files rewritten get their
// new hash and size.
func fixRecords(entries []archive.Entry, dest string, rewritten map[string][]byte) error {
	shippedPaths := make(map[string]bool, len(entries))
	for _, e := range entries {
		shippedPaths[e.Path] = true
	}
	shipped := func(rel string) bool { return shippedPaths[dest+"/"+rel] }
	for i := range entries {
		e := &entries[i]
		rel, ok := strings.CutPrefix(e.Path, dest+"/")
		if !ok || e.Kind != archive.File || e.Source == "" || !strings.HasSuffix(rel, ".dist-info/RECORD") {
			continue
		}
		data, err := inputfile.Read(e.Source, maxRecord)
		if err != nil {
			return fmt.Errorf("%s: %w", e.Origin, err)
		}
		if out := updateRecord(data, rel, shipped, rewritten); string(out) != string(data) {
			setData(e, out)
		}
	}
	return nil
}

// Compile compiles the .py files among entries (the files read from disk,
// Source set; others are left alone) for their install paths with the
// venv's own interpreter, writing the .pyc files under stage. It returns
// the .pyc files as entries (in __pycache__ beside each source; the
// directories are not added) and the sources that do not compile, as
// "path: error" lines (Python skips those at import).
func (v *Venv) Compile(ctx context.Context, entries []archive.Entry, stage string) (pyc []archive.Entry, failed []string, err error) {
	var jobs []bytecode.Job
	for _, e := range entries {
		if e.Kind != archive.File || e.Source == "" || !strings.HasSuffix(e.Path, ".py") {
			continue
		}
		dir, file := path.Split(e.Path)
		dest := path.Join(dir, "__pycache__", strings.TrimSuffix(file, ".py")+"."+v.CacheTag()+".pyc")
		jobs = append(jobs, bytecode.Job{Src: e.Source, Dest: e.Path, Out: filepath.Join(stage, filepath.FromSlash(dest))})
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].Dest < jobs[j].Dest })
	failed, err = bytecode.Compile(ctx, filepath.Join(v.Dir, "bin", "python"), jobs)
	if err != nil {
		return nil, nil, err
	}
	for _, j := range jobs {
		info, err := os.Stat(j.Out)
		if err != nil {
			continue // did not compile; listed in failed
		}
		dest := path.Join(path.Dir(j.Dest), "__pycache__", filepath.Base(j.Out))
		pyc = append(pyc, archive.Entry{Path: dest, Kind: archive.File, Mode: 0o644, Source: j.Out, Size: info.Size(),
			Origin: "bytecode of " + j.Dest})
	}
	return pyc, failed, nil
}
