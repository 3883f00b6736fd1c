// Package apt is the apt side of a wsgipack repository: the index files of
// a static apt repository in Debian's layout, computed from the indexes
// themselves, never from a scan of the pool.
//
//	pool/main/<l>/<source>/<name>_<version>_<arch>.deb      (see PoolPath)
//	dists/<codename>/Release                               (signed by the caller)
//	dists/<codename>/main/binary-<arch>/Packages{,.gz}
//	dists/<codename>/main/binary-<arch>/by-hash/SHA256/<sha256 of each>
//
// An Index is one codename's packages, read from its Release and Packages
// files (Open). Add and Prune change it in memory; Files returns every index
// file to write, Release last. Packages stanzas are what dpkg-scanpackages
// writes for the same .deb (ReadDeb), byte for byte, and a Packages file
// read back is written back unchanged. Packages of architecture all are in
// every binary-<arch> index of their codename. The Release file lists SHA256
// only, the hash every by-hash copy is written under (apt fetches by-hash
// with the strongest hash Release lists).
//
// Everything is deterministic: the same packages and Release give the same
// bytes (sorted stanzas, gzip without name or time).
package apt

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wsgipack/wsgipack/internal/publish/store"
)

// File is a file to write into the store.
type File struct {
	Name string // path from the repository root
	Data []byte
}

// Release is what a Release file says besides its index files. Empty
// fields are left out.
type Release struct {
	Origin, Label, Description string
	// Date is the publication time (written in UTC).
	Date time.Time
	// ValidFor, when positive, sets Valid-Until to Date+ValidFor: apt then
	// refuses indexes older than that (a frozen mirror is noticed).
	ValidFor time.Duration
}

// Index is one codename's packages.
type Index struct {
	codename string
	arches   []string // the Release's Architectures when opened
	pkgs     map[key]Package
	byFile   map[string]key
}

// key identifies a package in an index.
type key struct{ name, version, arch string }

func keyOf(p Package) key { return key{p.Name(), p.Version(), p.Arch()} }

var codenameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// Open reads codename's index from st: the Release file, then each
// architecture's Packages file by the hash the Release gives (the by-hash
// copy, else the canonical file, which must then match that hash). No
// Release means a codename with no packages yet. Nothing under pool/ is read.
func Open(st store.Files, codename string) (*Index, error) {
	if !codenameRE.MatchString(codename) {
		return nil, fmt.Errorf("codename %q: want lower-case letters, digits, '.', '_' or '-'", codename)
	}
	ix := &Index{codename: codename, pkgs: map[key]Package{}, byFile: map[string]key{}}
	dir := ix.dir()
	data, err := st.ReadFile(dir + "/Release")
	if errors.Is(err, fs.ErrNotExist) {
		return ix, nil
	}
	if err != nil {
		return nil, err
	}
	paras, err := parseParagraphs(data, dir+"/Release")
	if err != nil {
		return nil, err
	}
	if len(paras) != 1 {
		return nil, fmt.Errorf("%s/Release: %d paragraphs, want 1", dir, len(paras))
	}
	rel := Package{Fields: paras[0]}
	if !slices.Contains(strings.Fields(rel.Get("Components")), "main") {
		return nil, fmt.Errorf("%s/Release: no component main", dir)
	}
	sums := map[string]string{}
	for _, line := range strings.Split(rel.Get("SHA256"), "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			sums[f[2]] = f[0]
		}
	}
	ix.arches = strings.Fields(rel.Get("Architectures"))
	for _, arch := range ix.arches {
		name := "main/binary-" + arch + "/Packages"
		sum, ok := sums[name]
		if !ok {
			return nil, fmt.Errorf("%s/Release lists architecture %s but no SHA256 of %s", dir, arch, name)
		}
		data, err := readByHash(st, dir, name, sum)
		if err != nil {
			return nil, err
		}
		paras, err := parseParagraphs(data, dir+"/"+name)
		if err != nil {
			return nil, err
		}
		for _, fields := range paras {
			if err := ix.load(Package{Fields: fields}, arch); err != nil {
				return nil, fmt.Errorf("%s/%s: %w", dir, name, err)
			}
		}
	}
	return ix, nil
}

// readByHash reads dir/name as the Release knows it, with SHA-256 sum.
func readByHash(st store.Files, dir, name, sum string) ([]byte, error) {
	data, err := st.ReadFile(byHash(dir+"/"+name, sum))
	if errors.Is(err, fs.ErrNotExist) {
		data, err = st.ReadFile(dir + "/" + name)
	}
	if err != nil {
		return nil, err
	}
	if got := sha256Hex(data); got != sum {
		return nil, fmt.Errorf("%s/%s has SHA256 %s, its Release says %s, and there is no by-hash copy: was a publish interrupted? Publish again from the packages", dir, name, got, sum)
	}
	return data, nil
}

// load adds a stanza read from arch's Packages file.
func (ix *Index) load(p Package, arch string) error {
	if err := checkPackage(p); err != nil {
		return err
	}
	if p.Arch() != arch && p.Arch() != "all" {
		return fmt.Errorf("%s %s is for %s, not %s", p.Name(), p.Version(), p.Arch(), arch)
	}
	k := keyOf(p)
	if old, ok := ix.pkgs[k]; ok {
		if !bytes.Equal(old.Stanza(), p.Stanza()) {
			return fmt.Errorf("%s %s (%s) differs between the architectures' indexes", k.name, k.version, k.arch)
		}
		return nil
	}
	if other, ok := ix.byFile[p.Filename()]; ok {
		return fmt.Errorf("%s is the file of both %s %s (%s) and %s %s (%s)", p.Filename(), other.name, other.version, other.arch, k.name, k.version, k.arch)
	}
	ix.pkgs[k] = p
	ix.byFile[p.Filename()] = k
	return nil
}

// checkPackage refuses a stanza the index cannot hold: no name, version,
// architecture, a Filename outside pool/, no Size or SHA256.
func checkPackage(p Package) error {
	if err := checkIdentity(p); err != nil {
		return err
	}
	fn := p.Filename()
	if !strings.HasPrefix(fn, "pool/") || path.Clean(fn) != fn || strings.Contains(fn, "/../") || !strings.HasSuffix(fn, ".deb") {
		return fmt.Errorf("%s %s: Filename %q is not a .deb under pool/", p.Name(), p.Version(), fn)
	}
	if p.Size() < 0 {
		return fmt.Errorf("%s %s: Size %q is not a number", p.Name(), p.Version(), p.Get("Size"))
	}
	if s := p.SHA256(); len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
		return fmt.Errorf("%s %s: SHA256 %q is not a SHA-256", p.Name(), p.Version(), s)
	}
	return nil
}

// Add puts a package (from ReadDeb) into the index. A package already there
// with the same name, version and architecture is a no-op when the file is
// the same (added is false) and an error when it is not: a version is never
// rebuilt under the same name. The caller copies the .deb to its Filename.
func (ix *Index) Add(p Package) (added bool, err error) {
	if err := checkPackage(p); err != nil {
		return false, err
	}
	k := keyOf(p)
	if old, ok := ix.pkgs[k]; ok {
		if old.SHA256() == p.SHA256() && old.Size() == p.Size() {
			return false, nil
		}
		return false, fmt.Errorf("%s %s (%s) is already in %s with other content (SHA256 %s, this file %s): publish a new version instead",
			k.name, k.version, k.arch, ix.codename, old.SHA256(), p.SHA256())
	}
	if other, ok := ix.byFile[p.Filename()]; ok {
		return false, fmt.Errorf("%s %s (%s): its file %s is already that of %s %s (%s) in %s",
			k.name, k.version, k.arch, p.Filename(), other.name, other.version, other.arch, ix.codename)
	}
	p.Fields = slices.Clone(p.Fields)
	ix.pkgs[k] = p
	ix.byFile[p.Filename()] = k
	return true, nil
}

// Prune keeps the keep newest versions (in dpkg's order) of each package
// name and architecture, and the packages protect returns true for (which do
// not count towards keep; protect may be nil). It returns the pool paths,
// sorted, that the index no longer references: the caller removes those that
// no other codename's index references. keep < 1 removes nothing.
func (ix *Index) Prune(keep int, protect func(Package) bool) []string {
	if keep < 1 {
		return nil
	}
	groups := map[[2]string][]Package{}
	for k, p := range ix.pkgs {
		g := [2]string{k.name, k.arch}
		groups[g] = append(groups[g], p)
	}
	var removed []string
	for _, g := range groups {
		slices.SortFunc(g, func(a, b Package) int { return comparePackages(b, a) })
		for _, p := range g[min(keep, len(g)):] {
			if protect != nil && protect(p) {
				continue
			}
			delete(ix.pkgs, keyOf(p))
			delete(ix.byFile, p.Filename())
			removed = append(removed, p.Filename())
		}
	}
	slices.Sort(removed)
	return removed
}

// comparePackages orders packages by name, version (dpkg's order, then the
// strings, for versions dpkg holds equal) and architecture.
func comparePackages(a, b Package) int {
	if c := strings.Compare(a.Name(), b.Name()); c != 0 {
		return c
	}
	if c := CompareVersions(a.Version(), b.Version()); c != 0 {
		return c
	}
	if c := strings.Compare(a.Version(), b.Version()); c != 0 {
		return c
	}
	return strings.Compare(a.Arch(), b.Arch())
}

// Packages are the index's packages, in the order of its Packages files:
// by name, version and architecture.
func (ix *Index) Packages() []Package {
	ps := make([]Package, 0, len(ix.pkgs))
	for _, p := range ix.pkgs {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, comparePackages)
	return ps
}

// Architectures are the binary-<arch> indexes Files writes: those the index
// had when opened and those of its packages (all aside), sorted; amd64 when
// there is none of either.
func (ix *Index) Architectures() []string {
	arches := slices.Clone(ix.arches)
	for k := range ix.pkgs {
		if k.arch != "all" && !slices.Contains(arches, k.arch) {
			arches = append(arches, k.arch)
		}
	}
	if len(arches) == 0 {
		arches = []string{"amd64"}
	}
	slices.Sort(arches)
	return arches
}

// Files returns every index file of the codename: for each architecture
// the by-hash copies of Packages and Packages.gz, then those
// files, and last the Release file naming them with their sizes and SHA-256s
// (unsigned: the caller signs it into InRelease and Release.gpg). Writing
// them in this order, the Release last, a client never reads a Release
// naming a file that is not there yet. by-hash copies of earlier indexes are
// left to the caller (clients may still be fetching them).
func (ix *Index) Files(r Release) ([]File, error) {
	for _, v := range []string{r.Origin, r.Label, r.Description} {
		if strings.ContainsAny(v, "\n\r") {
			return nil, fmt.Errorf("release field %q has a line break", v)
		}
	}
	if r.Date.IsZero() {
		return nil, errors.New("release date is not set")
	}
	dir := ix.dir()
	arches := ix.Architectures()
	pkgs := ix.Packages()
	var hashed, canonical []File
	var sums strings.Builder
	for _, arch := range arches {
		var plain bytes.Buffer
		for _, p := range pkgs {
			if p.Arch() == arch || p.Arch() == "all" {
				writeFields(&plain, p.Fields)
				plain.WriteByte('\n')
			}
		}
		gz, err := gzipBytes(plain.Bytes())
		if err != nil {
			return nil, err
		}
		// No Packages.xz: apt reads Packages.gz as well, and compressing the
		// whole index with xz was 70% of a publish into a large release.
		for _, f := range []File{{"Packages", plain.Bytes()}, {"Packages.gz", gz}} {
			name := "main/binary-" + arch + "/" + f.Name
			sum := sha256Hex(f.Data)
			fmt.Fprintf(&sums, "\n%s %16d %s", sum, len(f.Data), name)
			hashed = append(hashed, File{byHash(dir+"/"+name, sum), f.Data})
			canonical = append(canonical, File{dir + "/" + name, f.Data})
		}
	}
	date := r.Date.UTC()
	const rfc2822 = "Mon, 02 Jan 2006 15:04:05 -0700" // apt-ftparchive's: +0000
	fields := []Field{
		{"Origin", r.Origin},
		{"Label", r.Label},
		{"Suite", ix.codename},
		{"Codename", ix.codename},
		{"Date", date.Format(rfc2822)},
	}
	if r.ValidFor > 0 {
		fields = append(fields, Field{"Valid-Until", date.Add(r.ValidFor).Format(rfc2822)})
	}
	fields = append(fields,
		Field{"Acquire-By-Hash", "yes"},
		Field{"Architectures", strings.Join(arches, " ")},
		Field{"Components", "main"},
		Field{"Description", r.Description},
		Field{"SHA256", sums.String()})
	var release bytes.Buffer
	writeFields(&release, fields)
	files := append(hashed, canonical...)
	return append(files, File{dir + "/Release", release.Bytes()}), nil
}

func (ix *Index) dir() string { return "dists/" + ix.codename }

// byHash is the by-hash name of file with SHA-256 sum.
func byHash(file, sum string) string {
	return path.Dir(file) + "/by-hash/SHA256/" + sum
}

func sha256Hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// gzipBytes compresses data with no name and no time in the header.
func gzipBytes(data []byte) ([]byte, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
