// Package fstree reads a directory tree of the build machine (the app, the
// app's extra files, the venv) as package entries (internal/archive): every
// file, directory and symlink with its install path and a normalized mode
// (files 0644, or 0755 when any execute bit is set; directories 0755;
// symlinks 0777). It refuses what a package must not ship: setuid and setgid
// files, devices, sockets and FIFOs, and symlinks that leave the package
// (other than to the target's interpreter). Absolute symlinks into a tree of
// the build machine that is shipped (the tree itself, the venv) become
// relative links to the shipped copy.
package fstree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/inputfile"
)

// Mapping is a directory of the build machine and its install path.
type Mapping struct{ From, To string }

// Links says where the symlinks of a tree may point.
type Links struct {
	// Root is the package's top directory (/opt/<name>): a relative link
	// must resolve inside it.
	Root string
	// Interpreter is the one absolute target outside Root shipped as is:
	// the target's interpreter.
	Interpreter string
	// Map lists other shipped trees of the build machine (the venv as given
	// and with symlinks resolved): an absolute link into one of them becomes
	// a relative link to its install path. The tree's own Src -> Dest is
	// tried first, then these in order.
	Map []Mapping
}

// Tree is one tree of the build machine to read.
type Tree struct {
	Src    string // absolute path on the build machine: a directory, or a single file
	Dest   string // its install path
	Origin string // Src as the user names it (app.source, the spec's venv), for messages
	// Skip, when set, leaves out a path (rel is relative to Src,
	// slash-separated; never "."). A directory skipped is skipped whole.
	Skip  func(rel string, d fs.DirEntry) bool
	Links Links
}

// Result is what Read found.
type Result struct {
	Entries []archive.Entry // in the order of the walk (lexical); Origin set
	// Problems are the paths refused (setuid, devices, symlinks leaving the
	// package), one error each, to be reported with the caller's others.
	Problems []error
	Newest   time.Time // newest modification time of the paths read
}

// Read walks t. It returns an error only for what cannot be read; what is
// refused is in Result.Problems.
func Read(t Tree) (*Result, error) {
	r := &Result{}
	err := filepath.WalkDir(t.Src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", p, err)
		}
		rel, _ := filepath.Rel(t.Src, p)
		rel = filepath.ToSlash(rel)
		if rel != "." && t.Skip != nil && t.Skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		dest, origin := t.Dest, t.Origin
		if rel != "." {
			dest, origin = path.Join(t.Dest, rel), path.Join(t.Origin, rel)
		}
		return r.add(&t, p, dest, origin, d)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// add adds one file, directory or symlink found on disk.
func (r *Result) add(t *Tree, p, dest, origin string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", origin, err)
	}
	mode := info.Mode()
	if c, ok := controlChar(path.Base(dest)); ok {
		// One path per line: dpkg's md5sums and conffiles, rpm -ql,
		// sha256sum-style lists. A newline would split the line.
		r.Problems = append(r.Problems, fmt.Errorf("%q: the name holds the control character %q; package file lists hold one path per line, so wsgipack refuses it: rename the file or exclude it", origin, c))
		if mode.IsDir() {
			return filepath.SkipDir
		}
		return nil
	}
	if info.ModTime().After(r.Newest) {
		r.Newest = info.ModTime()
	}
	switch {
	case mode.IsDir():
		r.Entries = append(r.Entries, archive.Entry{Path: dest, Kind: archive.Dir, Mode: 0o755, Origin: origin})
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return fmt.Errorf("cannot read symlink %s: %w", origin, err)
		}
		if c, ok := controlChar(target); ok {
			r.Problems = append(r.Problems, fmt.Errorf("%s: the symlink's target %q holds the control character %q; point it elsewhere or exclude it", origin, target, c))
			return nil
		}
		link, err := t.link(dest, target)
		if err == nil && !path.IsAbs(target) {
			err = t.sameTarget(p, dest, target)
		}
		if err != nil {
			r.Problems = append(r.Problems, fmt.Errorf("%s: %w", origin, err))
			return nil
		}
		if link != t.Links.Interpreter {
			// What it points at is shipped too: it must exist here.
			if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
				r.Problems = append(r.Problems, fmt.Errorf("%s: symlink to %s points at nothing (a dangling link); remove it or ship its target", origin, target))
				return nil
			}
		}
		r.Entries = append(r.Entries, archive.Entry{Path: dest, Kind: archive.Symlink, Link: link, Mode: 0o777, Origin: origin})
	case mode.IsRegular():
		if mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			r.Problems = append(r.Problems, fmt.Errorf("%s is setuid or setgid; wsgipack refuses to ship such files (chmod u-s,g-s it, or exclude it)", origin))
			return nil
		}
		perm := fs.FileMode(0o644)
		if mode&0o111 != 0 {
			perm = 0o755
		}
		r.Entries = append(r.Entries, archive.Entry{Path: dest, Kind: archive.File, Mode: perm, Source: p, Size: info.Size(), Origin: origin})
	default:
		r.Problems = append(r.Problems, fmt.Errorf("%s is %s, not a file, directory or symlink; remove or exclude it", origin, inputfile.Describe(mode)))
	}
	return nil
}

// controlChar returns the first ASCII control character (U+0000-U+001F,
// U+007F) of s.
func controlChar(s string) (rune, bool) {
	for _, c := range []byte(s) {
		if c < 0x20 || c == 0x7f {
			return rune(c), true
		}
	}
	return 0, false
}

// link returns the symlink target to ship for a link at dest pointing at
// target, or an error when it would leave the package.
func (t *Tree) link(dest, target string) (string, error) {
	root := t.Links.Root
	if path.IsAbs(target) {
		for _, m := range append([]Mapping{{t.Src, t.Dest}}, t.Links.Map...) {
			if rel, ok := Within(target, m.From); ok {
				r, _ := filepath.Rel(path.Dir(dest), path.Join(m.To, rel))
				return filepath.ToSlash(r), nil
			}
		}
		if target == t.Links.Interpreter {
			return target, nil
		}
		return "", fmt.Errorf("symlink to %s leaves %s; ship the file itself or exclude the link", target, root)
	}
	resolved := path.Join(path.Dir(dest), target)
	if _, ok := Within(resolved, root); !ok {
		return "", fmt.Errorf("symlink to %s resolves to %s, outside %s; ship the file itself or exclude the link", target, resolved, root)
	}
	return target, nil
}

// sameTarget checks that a relative symlink at p (shipped at dest) points
// in the package at what it points at here: the target's shipped copy. A
// link out of the tree (src/app/x.ini -> ../../config/x.ini) resolves
// elsewhere in the package, where nothing is.
func (t *Tree) sameTarget(p, dest, target string) error {
	here := filepath.Join(filepath.Dir(p), filepath.FromSlash(target))
	there := path.Join(path.Dir(dest), target)
	for i, m := range append([]Mapping{{t.Src, t.Dest}}, t.Links.Map...) {
		rel, ok := Within(filepath.ToSlash(here), filepath.ToSlash(m.From))
		if !ok || path.Join(m.To, rel) != there {
			continue
		}
		if i == 0 && t.Skip != nil && rel != "." {
			// Its target, or a directory above it, may be left out.
			parts := strings.Split(rel, "/")
			for j := range parts {
				sub := strings.Join(parts[:j+1], "/")
				if info, err := os.Lstat(filepath.Join(t.Src, filepath.FromSlash(sub))); err == nil && t.Skip(sub, fs.FileInfoToDirEntry(info)) {
					return fmt.Errorf("symlink to %s points at %s, which is left out of the package (excluded); ship it or exclude the link too", target, path.Join(t.Origin, sub))
				}
			}
		}
		return nil
	}
	return fmt.Errorf("symlink to %s leads to %s here but to %s in the package, where it is not shipped; ship the file itself or exclude the link", target, here, there)
}

// Within reports whether p is root or below it, and p relative to root
// ("." for root itself).
func Within(p, root string) (string, bool) {
	if p == root {
		return ".", true
	}
	rel, ok := strings.CutPrefix(p, root+"/")
	return rel, ok
}

// Parents returns the directories that hold an entry, between it and the
// top directory (one of tops) it is under, that are not entries yet: 0755,
// Origin "directory", sorted by path. A package owns (and removes) them.
// Entries under none of tops get none.
func Parents(entries []archive.Entry, tops ...string) []archive.Entry {
	have := make(map[string]bool, len(entries))
	for _, e := range entries {
		have[e.Path] = true
	}
	var out []archive.Entry
	for _, e := range entries {
		for dir := path.Dir(e.Path); ; dir = path.Dir(dir) {
			top := ""
			for _, t := range tops {
				if _, ok := Within(dir, t); ok {
					top = t
				}
			}
			if top == "" {
				break
			}
			if !have[dir] {
				have[dir] = true
				out = append(out, archive.Entry{Path: dir, Kind: archive.Dir, Mode: 0o755, Origin: "directory"})
			}
			if dir == top {
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// vcsDirs are never shipped.
var vcsDirs = []string{".git", ".hg", ".svn", ".bzr"}

// IsBuildArtifact reports whether a path of a tree (rel, slash-separated)
// is left out wherever it is: __pycache__ directories, .pyc and .pyo files
// (bytecode is compiled anew for the final paths) and VCS directories. It
// fits Tree.Skip.
func IsBuildArtifact(rel string, d fs.DirEntry) bool {
	name := path.Base(rel)
	if d.IsDir() {
		return name == "__pycache__" || slices.Contains(vcsDirs, name)
	}
	return strings.HasSuffix(name, ".pyc") || strings.HasSuffix(name, ".pyo")
}

// Sort sorts entries by path.
func Sort(entries []archive.Entry) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
}
