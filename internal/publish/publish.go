// Package publish adds packages to a static repository tree that any web
// server can serve: an apt repository (internal/publish/apt) and yum
// repositories per EL release and arch (internal/publish/yum), signed with
// one OpenPGP key (internal/sign), with the public key and ready-to-copy
// client files at the root.
//
// The repository's indexes are its state: a publish opens the indexes of
// the releases its packages belong to, adds the packages, prunes, and
// writes the new indexes; the pool is never rescanned. Files are written
// so that a client never sees a broken view, even if the publisher is
// killed at any point: pool files first, then the content-addressed
// indexes (by-hash copies, repodata files), then the canonical index
// names, then Release, Release.gpg and InRelease, and repomd.xml.asc and
// repomd.xml, each atomically (internal/publish/store). The index files of
// the previous generations stay for a while (Options.Generations) so that
// a client that read the old Release or repomd.xml mid-publish still finds
// what it names; pool files leave only when no kept generation names them.
// One publisher at a time holds the repository's lock; another waits.
package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	rpmfile "github.com/cavaliergopher/rpm"

	"github.com/wsgipack/wsgipack/internal/publish/apt"
	"github.com/wsgipack/wsgipack/internal/publish/store"
	"github.com/wsgipack/wsgipack/internal/publish/yum"
	"github.com/wsgipack/wsgipack/internal/rpm"
	"github.com/wsgipack/wsgipack/internal/sign"
)

// Options say where and how to publish.
type Options struct {
	Store store.Store
	// Signer signs the repository metadata and the rpm headers; nil only
	// with Unsigned (apt refuses unsigned repositories: tests only).
	Signer   sign.Signer
	Unsigned bool
	// Keep, when positive, keeps the newest Keep versions per name, arch
	// and release; the packages being published are always kept.
	Keep int
	// Generations of index files kept for clients mid-update (default 3).
	Generations int
	DryRun      bool
	// Codename is the apt codename of .deb files whose version does not
	// name one (packages wsgipack did not build); ELRelease the same for
	// .rpm files ("el9").
	Codename, ELRelease string
	// BaseURL is where clients will reach the tree, for the client files
	// (.sources, .repo); "" leaves them out.
	BaseURL string
	Origin  string // apt Release Origin and Label (default "wsgipack")
	// Now is the clock (index dates, signature times); nil is time.Now.
	Now func() time.Time
	// Log receives a line per step; may be nil.
	Log func(string)
}

// Result says what a publish did (or, with DryRun, would do).
type Result struct {
	Added     []string // pool paths of the packages added
	Unchanged []string // packages already published with the same content
	Pruned    []string // pool paths of the packages pruned from the indexes
	Removed   []string // files deleted (older generations, unreferenced pool files)
	Written   int      // files written
}

// The files a publish keeps at the root.
const (
	KeyGPG    = "wsgipack-archive-keyring.gpg" // binary public key, for apt's Signed-By
	KeyASC    = "wsgipack-archive-keyring.asc" // armored public key, for rpm --import and dnf's gpgkey
	stateFile = ".wsgipack/generations.json"
)

// incoming is one package to publish, read.
type incoming struct {
	file string // the file to copy into the pool (a signed copy for rpms)
	deb  *apt.Package
	rpm  *yum.Package
	// for debs the codename, for rpms the repository directories
	codename string
	dirs     []string
	pool     string // pool path(s): debs one, rpms one per dir
}

// Publish adds the packages in paths (files, or directories holding .deb
// and .rpm files) to the repository. All input is checked before the
// repository changes; a failure leaves it as it was.
func Publish(o Options, paths []string) (*Result, error) {
	if o.Store == nil {
		return nil, errors.New("publish: no repository")
	}
	if o.Signer == nil && !o.Unsigned {
		return nil, errors.New("no signing key: set WSGIPACK_SIGNING_KEY (apt refuses unsigned repositories), or pass --unsigned for tests")
	}
	if o.Generations <= 0 {
		o.Generations = 3
	}
	if o.Origin == "" {
		o.Origin = "wsgipack"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = func(string) {}
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	files, err := expand(paths)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "wsgipack-publish-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	unlock, err := o.Store.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()

	p := &publisher{o: o, tmp: tmp, res: &Result{}, debs: map[string]*apt.Index{}, rpms: map[string]*yum.Repo{}}
	if p.gens, err = p.readState(); err != nil {
		return nil, err
	}
	if err := p.read(files); err != nil {
		return nil, err
	}
	if err := p.add(); err != nil {
		return nil, err
	}
	if o.DryRun {
		return p.res, nil
	}
	if err := p.write(); err != nil {
		return nil, err
	}
	return p.res, nil
}

type publisher struct {
	o       Options
	tmp     string
	res     *Result
	in      []*incoming
	debs    map[string]*apt.Index // by codename
	rpms    map[string]*yum.Repo  // by directory (el9/x86_64)
	poolNew []*incoming           // packages whose files go into the pool
	gens    []generation          // the repository's state before this publish; nil for a new one
}

var (
	elReleaseRE = regexp.MustCompile(`^el[0-9]+$`)
	codenameRE  = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// check refuses options that would write outside the tree or break a line
// of a client file: the base URL goes into .sources and .repo files as is.
func (o Options) check() error {
	if o.ELRelease != "" && !elReleaseRE.MatchString(o.ELRelease) {
		return fmt.Errorf("EL release %q: want el followed by a number, e.g. el9", o.ELRelease)
	}
	if o.Codename != "" && !codenameRE.MatchString(o.Codename) {
		return fmt.Errorf("codename %q: want a lower-case name such as bookworm", o.Codename)
	}
	if o.BaseURL != "" {
		u, err := url.Parse(o.BaseURL)
		if err != nil || strings.ContainsFunc(o.BaseURL, func(r rune) bool { return r <= ' ' || r == 0x7f || r > 0x7e }) ||
			(u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") || (u.Scheme != "file" && u.Host == "") {
			return fmt.Errorf("base URL %q: want an http(s) or file URL without spaces or control characters, e.g. https://repo.example.com/apps", o.BaseURL)
		}
	}
	return nil
}

// expand lists the package files of paths: files as given, directories'
// *.deb and *.rpm files (not recursive), sorted.
func expand(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("nothing to publish: name .deb or .rpm files, or directories holding them")
	}
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, e := range entries {
			if e.Type().IsRegular() && (strings.HasSuffix(e.Name(), ".deb") || strings.HasSuffix(e.Name(), ".rpm")) {
				out = append(out, filepath.Join(p, e.Name()))
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("%s holds no .deb or .rpm file", p)
		}
	}
	return out, nil
}

// format tells a package file by its first bytes.
func format(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("!<arch>\ndebian-b")):
		return "deb", nil
	case bytes.HasPrefix(head, []byte{0xed, 0xab, 0xee, 0xdb}):
		return "rpm", nil
	}
	return "", fmt.Errorf("%s: not a .deb or .rpm package", file)
}

// read reads every input and, for rpms, signs a copy; it opens the
// indexes the packages belong to. Nothing is written.
func (p *publisher) read(files []string) error {
	var errs []error
	for _, file := range files {
		in, err := p.readOne(file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.in = append(p.in, in)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// arch rpms before noarch ones: yum.Dirs places noarch packages in the
	// arch directories that exist.
	sort.SliceStable(p.in, func(i, j int) bool {
		return p.in[i].rpm != nil && p.in[j].rpm != nil && p.in[i].rpm.Arch != "noarch" && p.in[j].rpm.Arch == "noarch"
	})
	return nil
}

func (p *publisher) readOne(file string) (*incoming, error) {
	kind, err := format(file)
	if err != nil {
		return nil, err
	}
	if kind == "deb" {
		d, err := apt.ReadDeb(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		codename := p.o.Codename
		if codename == "" {
			if codename, err = apt.Codename(d.Version()); err != nil {
				return nil, fmt.Errorf("%s: %w (--codename)", file, err)
			}
		}
		return &incoming{file: file, deb: &d, codename: codename}, nil
	}
	if !p.o.Unsigned {
		if file, err = p.signed(file); err != nil {
			return nil, err
		}
	}
	r, err := yum.ReadRPM(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &incoming{file: file, rpm: &r}, nil
}

// signed returns file, or a copy of it signed with the key when it does
// not carry the key's signature yet.
func (p *publisher) signed(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if sig, err := rpm.ReadSignature(f, fi.Size()); err == nil && sig != nil && sig.KeyID == p.o.Signer.KeyID() {
		return file, nil
	}
	out, err := os.CreateTemp(p.tmp, "*-"+filepath.Base(file))
	if err != nil {
		return "", err
	}
	defer out.Close()
	if _, err := io.Copy(out, f); err != nil {
		return "", err
	}
	if err := rpm.Sign(out, func(data []byte) ([]byte, error) { return p.o.Signer.DetachSign(data, false) }); err != nil {
		return "", fmt.Errorf("%s: signing: %w", file, err)
	}
	return out.Name(), out.Close()
}

// headerDigest is the SHA-256 of an rpm's header from its signature
// header: equal for a package and its signed copy.
func headerDigest(r io.Reader) (string, error) {
	pkg, err := rpmfile.Read(r)
	if err != nil {
		return "", err
	}
	t := pkg.Signature.GetTag(273) // RPMSIGTAG_SHA256
	if t == nil {
		return "", errors.New("no header SHA-256 in the signature header")
	}
	return t.String(), nil
}

// add puts every package into its indexes and prunes them, refusing a
// package that conflicts with a published one.
func (p *publisher) add() error {
	var errs []error
	for _, in := range p.in {
		var err error
		if in.deb != nil {
			err = p.addDeb(in)
		} else {
			err = p.addRPM(in)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", in.file, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if p.o.Keep > 0 {
		p.prune()
	}
	return nil
}

func (p *publisher) addDeb(in *incoming) error {
	ix, err := p.aptIndex(in.codename)
	if err != nil {
		return err
	}
	pool, err := apt.PoolPath(*in.deb)
	if err != nil {
		return err
	}
	in.pool = pool
	added, err := ix.Add(*in.deb)
	if err != nil {
		return err
	}
	if added {
		p.res.Added = append(p.res.Added, pool)
		p.poolNew = append(p.poolNew, in)
	} else {
		p.res.Unchanged = append(p.res.Unchanged, pool)
	}
	return nil
}

func (p *publisher) addRPM(in *incoming) error {
	dirs, err := yum.Dirs(p.o.Store, p.o.ELRelease, *in.rpm)
	if err != nil {
		return err
	}
	in.dirs = dirs
	for _, dir := range dirs {
		repo, err := p.yumRepo(dir)
		if err != nil {
			return err
		}
		pkg := *in.rpm
		pool := path.Join(dir, pkg.Location)
		if same, err := p.samePublished(repo, dir, pkg); err != nil {
			return err
		} else if same {
			p.res.Unchanged = append(p.res.Unchanged, pool)
			continue
		}
		added, err := repo.Add(pkg)
		if err != nil {
			return err
		}
		if added {
			p.res.Added = append(p.res.Added, pool)
			p.poolNew = append(p.poolNew, &incoming{file: in.file, rpm: in.rpm, pool: pool})
		} else {
			p.res.Unchanged = append(p.res.Unchanged, pool)
		}
	}
	return nil
}

// samePublished reports whether repo holds pkg's NEVRA already with the
// same header (signed again, the file differs; the package does not).
func (p *publisher) samePublished(repo *yum.Repo, dir string, pkg yum.Package) (bool, error) {
	for _, q := range repo.Packages() {
		if q.NEVRA() != pkg.NEVRA() || q.Checksum == pkg.Checksum {
			continue
		}
		old, err := p.o.Store.ReadFile(path.Join(dir, q.Location))
		if err != nil {
			return false, err
		}
		f, err := os.Open(p.fileOf(pkg))
		if err != nil {
			return false, err
		}
		defer f.Close()
		a, err1 := headerDigest(bytes.NewReader(old))
		b, err2 := headerDigest(f)
		if err1 != nil || err2 != nil {
			return false, errors.Join(err1, err2)
		}
		return a == b, nil
	}
	return false, nil
}

// fileOf is the local file of an incoming rpm.
func (p *publisher) fileOf(pkg yum.Package) string {
	for _, in := range p.in {
		if in.rpm != nil && in.rpm.Checksum == pkg.Checksum {
			return in.file
		}
	}
	return ""
}

func (p *publisher) aptIndex(codename string) (*apt.Index, error) {
	if ix, ok := p.debs[codename]; ok {
		return ix, nil
	}
	ix, err := apt.Open(p.o.Store, codename)
	if err != nil {
		return nil, fmt.Errorf("apt repository %s: %w", codename, err)
	}
	if p.gens == nil && len(ix.Packages()) > 0 {
		return nil, p.foreign("dists/" + codename)
	}
	p.debs[codename] = ix
	return ix, nil
}

func (p *publisher) yumRepo(dir string) (*yum.Repo, error) {
	if r, ok := p.rpms[dir]; ok {
		return r, nil
	}
	r, err := yum.Open(p.o.Store, dir)
	if err != nil {
		return nil, fmt.Errorf("yum repository %s: %w", dir, err)
	}
	if p.gens == nil && len(r.Packages()) > 0 {
		return nil, p.foreign(dir + "/repodata")
	}
	p.rpms[dir] = r
	return r, nil
}

// foreign is the error for indexes in a repository wsgipack has no state
// of: another tool's (aptly, reprepro, createrepo_c), which publishing
// would silently take over.
func (p *publisher) foreign(where string) error {
	return fmt.Errorf("the repository already holds %s, but no %s: another tool (or a first publish that did not finish) made it; publish into an empty directory or one that wsgipack publish made", where, stateFile)
}

// prune keeps the newest Keep versions in every index opened, never one
// being published.
func (p *publisher) prune() {
	publishing := map[string]bool{}
	for _, in := range p.in {
		if in.deb != nil {
			publishing["deb "+in.deb.SHA256()] = true
		} else {
			publishing["rpm "+in.rpm.Checksum] = true
		}
	}
	for _, codename := range slices.Sorted(maps.Keys(p.debs)) {
		pruned := p.debs[codename].Prune(p.o.Keep, func(d apt.Package) bool { return publishing["deb "+d.SHA256()] })
		p.res.Pruned = append(p.res.Pruned, pruned...)
	}
	for _, dir := range slices.Sorted(maps.Keys(p.rpms)) {
		pruned := p.rpms[dir].Prune(p.o.Keep, func(r yum.Package) bool { return publishing["rpm "+r.Checksum] })
		for _, f := range pruned {
			p.res.Pruned = append(p.res.Pruned, path.Join(dir, f))
		}
	}
}

// generation is what one publish wrote that a later one removes: the
// content-addressed index files, and the pool files its indexes name.
type generation struct {
	Time    time.Time `json:"time"`
	Indexes []string  `json:"indexes"`
	Pool    []string  `json:"pool"`
}

func (p *publisher) readState() ([]generation, error) {
	data, err := p.o.Store.ReadFile(stateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var gens []generation
	if err := json.Unmarshal(data, &gens); err != nil {
		return nil, fmt.Errorf("%s: %w (written by another tool?)", stateFile, err)
	}
	return gens, nil
}

// write writes the pool files, the indexes in the safe order, the root
// files and the generation record, then removes what no kept generation
// names.
func (p *publisher) write() error {
	st := p.o.Store
	gens := p.gens
	now := p.o.Now().UTC().Truncate(time.Second)
	put := func(name string, data []byte) error {
		p.res.Written++
		return st.WriteFile(name, data)
	}
	if gens == nil {
		// A new repository is marked as wsgipack's first, so that a first
		// publish stopped half-way is not taken for another tool's.
		if err := put(stateFile, []byte("[]\n")); err != nil {
			return err
		}
	}
	for _, in := range p.poolNew {
		if err := p.copyToPool(in.file, in.pool); err != nil {
			return err
		}
		p.res.Written++
		p.o.Log("added " + in.pool)
	}
	gen := generation{Time: now}
	var last []struct { // written after every index: Release and repomd.xml, with their signatures
		name string
		data []byte
	}
	for _, codename := range slices.Sorted(maps.Keys(p.debs)) {
		ix := p.debs[codename]
		files, err := ix.Files(apt.Release{Origin: p.o.Origin, Label: p.o.Origin, Date: now,
			Description: "wsgipack apps for " + codename})
		if err != nil {
			return err
		}
		for _, f := range files {
			if strings.HasSuffix(f.Name, "/Release") {
				last = append(last, struct {
					name string
					data []byte
				}{f.Name, f.Data})
				continue
			}
			if strings.Contains(f.Name, "/by-hash/") {
				gen.Indexes = append(gen.Indexes, f.Name)
			}
			if err := put(f.Name, f.Data); err != nil {
				return err
			}
		}
		for _, d := range ix.Packages() {
			gen.Pool = append(gen.Pool, d.Filename())
		}
	}
	for _, dir := range slices.Sorted(maps.Keys(p.rpms)) {
		repo := p.rpms[dir]
		files, _, err := repo.Files(now)
		if err != nil {
			return err
		}
		for _, f := range files {
			if strings.HasSuffix(f.Name, "/repomd.xml") {
				last = append(last, struct {
					name string
					data []byte
				}{f.Name, f.Data})
				continue
			}
			gen.Indexes = append(gen.Indexes, f.Name)
			if err := put(f.Name, f.Data); err != nil {
				return err
			}
		}
		for _, r := range repo.Packages() {
			gen.Pool = append(gen.Pool, path.Join(dir, r.Location))
		}
	}
	if err := p.rootFiles(put); err != nil {
		return err
	}
	for _, f := range last {
		if err := p.writeSigned(put, f.name, f.data); err != nil {
			return err
		}
	}
	kept := append(slices.Clone(gens), gen)
	if len(kept) > p.o.Generations {
		kept = kept[len(kept)-p.o.Generations:]
	}
	keep := map[string]bool{}
	for _, g := range kept {
		for _, n := range append(slices.Clone(g.Indexes), g.Pool...) {
			keep[n] = true
		}
	}
	state, err := json.MarshalIndent(kept, "", "  ")
	if err != nil {
		return err
	}
	if err := put(stateFile, state); err != nil {
		return err
	}
	// What the generations no longer kept named, and no kept one does.
	var old []string
	for _, g := range gens[:len(gens)+1-len(kept)] {
		old = append(old, g.Indexes...)
		old = append(old, g.Pool...)
	}
	slices.Sort(old)
	for _, name := range slices.Compact(old) {
		if keep[name] {
			continue
		}
		if err := st.Remove(name); err != nil {
			return err
		}
		p.res.Removed = append(p.res.Removed, name)
	}
	return nil
}

// copyToPool copies a package file into the repository, streaming it when
// the store can.
func (p *publisher) copyToPool(file, name string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if s, ok := p.o.Store.(store.Streamer); ok {
		return s.WriteFrom(name, f)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	return p.o.Store.WriteFile(name, data)
}

// writeSigned writes a Release or repomd.xml with its signatures: Release,
// Release.gpg, then InRelease (what apt reads first); repomd.xml.asc, then
// repomd.xml.
func (p *publisher) writeSigned(put func(string, []byte) error, name string, data []byte) error {
	if p.o.Unsigned {
		return put(name, data)
	}
	s := p.o.Signer
	if strings.HasSuffix(name, "/repomd.xml") {
		asc, err := s.DetachSign(data, true)
		if err != nil {
			return err
		}
		if err := put(name+".asc", asc); err != nil {
			return err
		}
		return put(name, data)
	}
	detached, err := s.DetachSign(data, true)
	if err != nil {
		return err
	}
	clear, err := s.ClearSign(data)
	if err != nil {
		return err
	}
	dir := path.Dir(name)
	for _, f := range []struct {
		name string
		data []byte
	}{{name, data}, {dir + "/Release.gpg", detached}, {dir + "/InRelease", clear}} {
		if err := put(f.name, f.data); err != nil {
			return err
		}
	}
	return nil
}

// rootFiles writes the public key and, with a base URL, the client files:
// a deb822 .sources per codename and a .repo per EL release.
func (p *publisher) rootFiles(put func(string, []byte) error) error {
	if p.o.Signer != nil && !p.o.Unsigned {
		for _, k := range []struct {
			name  string
			armor bool
		}{{KeyGPG, false}, {KeyASC, true}} {
			data, err := p.o.Signer.PublicKey(k.armor)
			if err != nil {
				return err
			}
			if err := put(k.name, data); err != nil {
				return err
			}
		}
	}
	if p.o.BaseURL == "" {
		return nil
	}
	base := strings.TrimSuffix(p.o.BaseURL, "/")
	for _, codename := range slices.Sorted(maps.Keys(p.debs)) {
		data := apt.SourcesFile(base, codename, "/etc/apt/keyrings/"+KeyGPG)
		if err := put("wsgipack-"+codename+".sources", data); err != nil {
			return err
		}
	}
	releases := map[string]bool{}
	for dir := range p.rpms {
		releases[path.Dir(dir)] = true
	}
	for _, rel := range slices.Sorted(maps.Keys(releases)) {
		data := yum.RepoFile("wsgipack-"+rel, base, rel, base+"/"+KeyASC)
		if err := put("wsgipack-"+rel+".repo", data); err != nil {
			return err
		}
	}
	return nil
}
