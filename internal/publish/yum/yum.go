// Package yum keeps the yum/dnf side of a package repository: one
// directory per EL release and architecture, such as el9/x86_64, holding
// the rpms under packages/ and the metadata dnf reads under repodata/
// (primary, filelists and other as gzipped XML, named by their SHA-256, and
// repomd.xml pointing at them).
//
// The repository is its metadata: Open reads repodata/ back into Packages
// and never the rpms, so adding one package to a directory of thousands
// reads and writes only the metadata. The metadata is what createrepo_c
// writes for the same rpms (the tests compare both on real rpms, and dnf
// reads it).
//
// Layout: each arch directory is a complete repository on its own (a
// client's baseurl is .../el9/$basearch); noarch rpms are copied into each
// arch directory of their release rather than shared through "../" links
// that some mirrors and proxies do not follow. The rpms sit in packages/
// under their canonical name, name-version-release.arch.rpm, so one NEVRA
// has one place and repodata/ holds nothing but metadata.
package yum

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/wsgipack/wsgipack/internal/publish/store"
)

// Package is one rpm as the metadata describes it: everything
// primary.xml, filelists.xml and other.xml say about it.
type Package struct {
	Name, Arch string
	// Epoch is decimal; "0" when the rpm has none.
	Epoch, Version, Release string
	// Checksum is the SHA-256 of the rpm file, in hex: the package id.
	Checksum                            string
	Summary, Description, Packager, URL string
	// FileTime is the rpm file's modification time, BuildTime the rpm's
	// build time, both in seconds since 1970.
	FileTime, BuildTime int64
	// Size is the rpm file's, InstalledSize the files' once installed,
	// ArchiveSize the uncompressed payload's.
	Size, InstalledSize, ArchiveSize int64
	// Location is the rpm's path relative to the repository directory:
	// packages/<name>-<version>-<release>.<arch>.rpm.
	Location                                     string
	License, Vendor, Group, BuildHost, SourceRPM string
	// HeaderStart and HeaderEnd are the byte range of the rpm's main
	// header in the file.
	HeaderStart, HeaderEnd int64
	// The dependencies as createrepo_c lists them (see ReadRPM).
	Provides, Requires, Conflicts, Obsoletes    []Relation
	Suggests, Enhances, Recommends, Supplements []Relation
	// Files are every path the rpm owns, in the rpm's order.
	Files []PackageFile
	// Changelog holds the newest entries (at most ten), oldest first.
	Changelog []Change
}

// Relation is one dependency: a name, optionally an operator (Flags: LT,
// LE, EQ, GE or GT) and a version; Pre marks a requirement that must be
// installed before the package's scripts run (Requires(pre), (post), ...).
type Relation struct {
	Name, Flags             string
	Epoch, Version, Release string
	Pre                     bool
}

// PackageFile is a path an rpm owns; Type is "dir", "ghost" or "" for
// anything else.
type PackageFile struct {
	Path, Type string
}

// Change is one changelog entry of an rpm.
type Change struct {
	Author string
	Date   int64
	Text   string
}

// File is a file of the repository tree to write: Name relative to the
// tree's root.
type File struct {
	Name string
	Data []byte
}

// NEVRA is the package's name-epoch:version-release.arch, as dnf prints it.
func (p Package) NEVRA() string {
	return fmt.Sprintf("%s-%s:%s-%s.%s", p.Name, p.Epoch, p.Version, p.Release, p.Arch)
}

// FileName is the rpm's canonical file name: name-version-release.arch.rpm.
func (p Package) FileName() string {
	return fmt.Sprintf("%s-%s-%s.%s.rpm", p.Name, p.Version, p.Release, p.Arch)
}

// Repo is one release and arch directory of a repository, as its metadata
// describes it.
type Repo struct {
	st    store.Files
	dir   string
	pkgs  map[string]*Package // by NEVRA
	locs  map[string]*Package // by Location
	prior []string            // repodata files of the repomd.xml Open read
}

// Open reads the repository in dir (such as "el9/x86_64") from its
// repodata; a directory without repodata/repomd.xml is an empty repository.
// It reads no rpm.
func Open(st store.Files, dir string) (*Repo, error) {
	dir = path.Clean(dir)
	r := &Repo{st: st, dir: dir, pkgs: map[string]*Package{}, locs: map[string]*Package{}}
	pkgs, prior, err := readMetadata(st, dir)
	if err != nil {
		return nil, err
	}
	r.prior = prior
	for i := range pkgs {
		p := &pkgs[i]
		if err := r.insert(p); err != nil {
			return nil, fmt.Errorf("%s: %v", dir, err)
		}
	}
	return r, nil
}

// Dir is the repository's directory in the store.
func (r *Repo) Dir() string { return r.dir }

// Packages returns the repository's packages, sorted by location.
func (r *Repo) Packages() []Package {
	out := make([]Package, 0, len(r.pkgs))
	for _, p := range r.sorted() {
		out = append(out, *p)
	}
	return out
}

// Add puts p into the repository's metadata; the caller writes the rpm to
// Dir()/p.Location. A package already there with the same NEVRA and
// checksum is not added again (added is false); the same NEVRA or location
// with other content is an error: a published package is never replaced.
func (r *Repo) Add(p Package) (added bool, err error) {
	if p.Epoch == "" {
		p.Epoch = "0"
	}
	if err := check(p); err != nil {
		return false, fmt.Errorf("%s: %s: %v", r.dir, p.FileName(), err)
	}
	if old, ok := r.pkgs[p.NEVRA()]; ok {
		if old.Checksum == p.Checksum {
			return false, nil
		}
		return false, fmt.Errorf("%s already has %s with other content (sha256 %s, the new one %s): a published package is never replaced; build it with a new release",
			r.dir, p.NEVRA(), old.Checksum, p.Checksum)
	}
	p = clone(p)
	if err := r.insert(&p); err != nil {
		return false, fmt.Errorf("%s: %v", r.dir, err)
	}
	return true, nil
}

func (r *Repo) insert(p *Package) error {
	if _, dup := r.pkgs[p.NEVRA()]; dup {
		return fmt.Errorf("%s is listed twice", p.NEVRA())
	}
	if old, dup := r.locs[p.Location]; dup {
		return fmt.Errorf("%s and %s both live at %s", old.NEVRA(), p.NEVRA(), p.Location)
	}
	r.pkgs[p.NEVRA()] = p
	r.locs[p.Location] = p
	return nil
}

// Prune keeps, for each name and arch, the newest keep packages in rpm's
// order (epoch, version, release) and every package protect reports true
// for (protect may be nil), and drops the others from the metadata. It
// returns the dropped rpms' names in the store, for the caller to remove
// once the new metadata is written. keep < 1 keeps everything.
func (r *Repo) Prune(keep int, protect func(Package) bool) []string {
	if keep < 1 {
		return nil
	}
	groups := map[string][]*Package{}
	for _, p := range r.pkgs {
		k := p.Name + "." + p.Arch
		groups[k] = append(groups[k], p)
	}
	var removed []string
	for _, g := range groups {
		sort.Slice(g, func(i, j int) bool {
			if c := CompareEVR(*g[i], *g[j]); c != 0 {
				return c > 0
			}
			return g[i].Location < g[j].Location
		})
		for _, p := range g[min(keep, len(g)):] {
			if protect != nil && protect(*p) {
				continue
			}
			delete(r.pkgs, p.NEVRA())
			delete(r.locs, p.Location)
			removed = append(removed, path.Join(r.dir, p.Location))
		}
	}
	sort.Strings(removed)
	return removed
}

// Files returns the metadata of the repository's packages as it stands:
// the three gzipped XML files, named repodata/<sha256>-<type>.xml.gz, then
// repodata/repomd.xml (revision and time stamps from now; unsigned: the
// caller writes repomd.xml.asc). Write them in this order, so that no
// client sees a repomd.xml naming files that are not there yet. stale are
// the repodata files of the metadata Open read that the new one no longer
// names: remove them after repomd.xml is written (or later, to let clients
// that fetched the old repomd.xml finish). The same packages and time give
// the same bytes.
func (r *Repo) Files(now time.Time) (files []File, stale []string, err error) {
	files, err = writeMetadata(r.dir, r.sorted(), now)
	if err != nil {
		return nil, nil, err
	}
	keep := map[string]bool{}
	for _, f := range files {
		keep[f.Name] = true
	}
	for _, name := range r.prior {
		if !keep[name] {
			stale = append(stale, name)
		}
	}
	return files, stale, nil
}

func (r *Repo) sorted() []*Package {
	out := make([]*Package, 0, len(r.pkgs))
	for _, p := range r.pkgs {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Location < out[j].Location })
	return out
}

// check refuses what would make the metadata unreadable or ambiguous.
func check(p Package) error {
	for what, v := range map[string]string{"name": p.Name, "arch": p.Arch, "version": p.Version, "release": p.Release, "location": p.Location} {
		if v == "" {
			return fmt.Errorf("no %s", what)
		}
	}
	if strings.Trim(p.Epoch, "0123456789") != "" {
		return fmt.Errorf("epoch %q is not a number", p.Epoch)
	}
	if !sha256Hex.MatchString(p.Checksum) {
		return fmt.Errorf("checksum %q is not a SHA-256 in hex", p.Checksum)
	}
	if p.Location != path.Clean(p.Location) || path.IsAbs(p.Location) || strings.HasPrefix(p.Location, "../") ||
		p.Location == ".." || strings.HasPrefix(p.Location, "repodata/") || !strings.HasSuffix(p.Location, ".rpm") {
		return fmt.Errorf("location %q is not an .rpm path inside the repository directory (outside repodata/)", p.Location)
	}
	return checkText(p)
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// releaseRE finds the EL release in an rpm's Release tag: 1.el9, 3.el10_1.
var releaseRE = regexp.MustCompile(`(?:^|\.)(el[0-9]+)(?:$|[._])`)

// Release returns the EL release of a package ("el9") from the suffix in
// its Release tag (wsgipack writes 1.el9), or "" when there is none.
func Release(p Package) string {
	if m := releaseRE.FindStringSubmatch(p.Release); m != nil {
		return m[1]
	}
	return ""
}

// Dirs returns the repository directories p belongs in: release/arch, and
// for noarch each of release/x86_64 and release/aarch64 that already has
// metadata in st, or release/x86_64 when neither has. An empty release is
// read from p's Release tag (see Release). Publish arch packages before
// noarch ones, so that a new arch directory exists when noarch packages
// are placed.
func Dirs(st store.Files, release string, p Package) ([]string, error) {
	if release == "" {
		release = Release(p)
	}
	if release == "" {
		return nil, fmt.Errorf("%s: the release %q has no .elN suffix: name the EL release", p.FileName(), p.Release)
	}
	if p.Arch != "noarch" {
		return []string{release + "/" + p.Arch}, nil
	}
	var dirs []string
	for _, arch := range []string{"x86_64", "aarch64"} {
		dir := release + "/" + arch
		_, err := st.ReadFile(dir + "/repodata/repomd.xml")
		switch {
		case err == nil:
			dirs = append(dirs, dir)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}
	if len(dirs) == 0 {
		dirs = []string{release + "/x86_64"}
	}
	return dirs, nil
}

// clone copies p's slices, so the repository does not share them with the
// caller.
func clone(p Package) Package {
	for _, l := range []*[]Relation{&p.Provides, &p.Requires, &p.Conflicts, &p.Obsoletes, &p.Suggests, &p.Enhances, &p.Recommends, &p.Supplements} {
		*l = append([]Relation(nil), *l...)
	}
	p.Files = append([]PackageFile(nil), p.Files...)
	p.Changelog = append([]Change(nil), p.Changelog...)
	return p
}
