package apt

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/wsgipack/wsgipack/internal/publish/publishtest"
	"github.com/wsgipack/wsgipack/internal/publish/store"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/testtool"
)

// controls are the test packages: all and amd64 (and one arm64), an epoch
// and '~', a lib* name with a Source field, fields dpkg knows and one it
// does not, a long description, two codenames.
var controls = []string{
	`Package: inventory
Version: 1.4.2-1+deb12
Section: web
Priority: optional
Architecture: all
Maintainer: Ops Team <ops@example.com>
Installed-Size: 36
Depends: python3.11, libapache2-mod-wsgi-py3, apache2
Homepage: https://example.com/inventory
Description: Web service that tracks stock (wsgipack example)
 Inventory keeps the stock of a warehouse.
 .
 It runs under Apache mod_wsgi.
`,
	`Package: inventory
Version: 2:1.5.0~rc1-1+deb12
Section: web
Priority: optional
Architecture: amd64
Maintainer: Ops Team <ops@example.com>
Installed-Size: 40
Depends: python3.11, libapache2-mod-wsgi-py3, apache2, libc6 (>= 2.34)
X-Wsgipack-Target: debian-12
Homepage: https://example.com/inventory
Description: Web service that tracks stock (wsgipack example)
 A release candidate.
`,
	`Package: libinventory-data
Source: inventory-data (1.0-1)
Version: 1.0-1+deb12
Architecture: all
Maintainer: Ops Team <ops@example.com>
Multi-Arch: foreign
Description: data of inventory
`,
	`Package: reports
Version: 0.9~beta.2-1+deb12
Section: web
Priority: optional
Architecture: arm64
Maintainer: Ops Team <ops@example.com>
Pre-Depends: dpkg (>= 1.19)
Depends: python3.11
Description: reports
 For arm64 only.
`,
	`Package: inventory
Version: 1.4.2-1+deb11
Section: web
Priority: optional
Architecture: all
Maintainer: Ops Team <ops@example.com>
Installed-Size: 36
Depends: python3.9, libapache2-mod-wsgi-py3, apache2
Homepage: https://example.com/inventory
Description: Web service that tracks stock (wsgipack example)
 For Debian 11.
`,
}

// published is a repository made of controls' packages, as the
// orchestrator would make it.
type published struct {
	root  string
	st    store.Dir
	debs  map[string]string // pool path -> .deb built by dpkg-deb
	index map[string]*Index // by codename
}

// publish builds the test packages with dpkg-deb, adds each to the index
// of the codename its version names, copies it into the pool and writes
// every index's files.
func publish(t *testing.T) *published {
	t.Helper()
	testtool.Need(t, "dpkg-deb")
	r := &published{root: t.TempDir(), debs: map[string]string{}, index: map[string]*Index{}}
	r.st = store.Dir(r.root)
	for _, control := range controls {
		deb := dpkgDeb(t, control)
		p, err := ReadDeb(deb)
		if err != nil {
			t.Fatal(err)
		}
		codename, err := Codename(p.Version())
		if err != nil {
			t.Fatal(err)
		}
		ix := r.index[codename]
		if ix == nil {
			if ix, err = Open(r.st, codename); err != nil {
				t.Fatal(err)
			}
			r.index[codename] = ix
		}
		added, err := ix.Add(p)
		if err != nil || !added {
			t.Fatalf("Add %s: %v, %v", p.Filename(), added, err)
		}
		data, err := os.ReadFile(deb)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.st.WriteFile(p.Filename(), data); err != nil {
			t.Fatal(err)
		}
		r.debs[p.Filename()] = deb
	}
	for _, ix := range r.index {
		files, err := ix.Files(testRelease)
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, r.st, files)
	}
	return r
}

func (r *published) read(t testing.TB, name string) []byte {
	t.Helper()
	data, err := r.st.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// inCodename keeps the stanzas whose version belongs to codename.
func inCodename(t testing.TB, all map[string]string, codename string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for fn, s := range all {
		paras, _ := parseParagraphs([]byte(s), fn)
		if c, _ := Codename(Package{Fields: paras[0]}.Version()); c == codename {
			m[fn] = s
		}
	}
	return m
}

// TestPackagesLikeDpkgScanpackages: every stanza of every Packages file is
// byte for byte what dpkg-scanpackages -m writes for the same pool file, and
// each binary-<arch>/Packages holds exactly the codename's packages of that
// architecture and all.
func TestPackagesLikeDpkgScanpackages(t *testing.T) {
	testtool.Need(t, "dpkg-scanpackages")
	r := publish(t)
	for codename, arches := range map[string][]string{"bookworm": {"amd64", "arm64"}, "bullseye": {"amd64"}} {
		if got := r.index[codename].Architectures(); !slices.Equal(got, arches) {
			t.Errorf("%s: architectures %v, want %v", codename, got, arches)
		}
		for _, arch := range arches {
			cmd := exec.Command("dpkg-scanpackages", "-m", "-a", arch, "pool")
			cmd.Dir = r.root
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("dpkg-scanpackages: %v", err)
			}
			want := inCodename(t, stanzas(t, out), codename)
			got := stanzas(t, r.read(t, "dists/"+codename+"/main/binary-"+arch+"/Packages"))
			if len(want) == 0 || len(got) != len(want) {
				t.Errorf("%s %s: %d stanzas, dpkg-scanpackages has %d", codename, arch, len(got), len(want))
			}
			for fn, w := range want {
				if got[fn] != w {
					t.Errorf("%s %s: stanza of %s:\n%s\ndpkg-scanpackages:\n%s", codename, arch, fn, got[fn], w)
				}
			}
		}
	}
	// The pool layout: lib + 4th letter, the Source's directory, no epoch.
	for _, want := range []string{
		"pool/main/i/inventory/inventory_1.4.2-1+deb12_all.deb",
		"pool/main/i/inventory/inventory_1.5.0~rc1-1+deb12_amd64.deb",
		"pool/main/i/inventory-data/libinventory-data_1.0-1+deb12_all.deb",
		"pool/main/r/reports/reports_0.9~beta.2-1+deb12_arm64.deb",
		"pool/main/i/inventory/inventory_1.4.2-1+deb11_all.deb",
	} {
		if _, ok := r.debs[want]; !ok {
			t.Errorf("no %s in the pool (%v)", want, slices.Sorted(func(yield func(string) bool) {
				for k := range r.debs {
					if !yield(k) {
						return
					}
				}
			}))
		}
	}
	if got, err := PoolPath(Package{Fields: []Field{{"Package", "libfoo"}, {"Version", "1.0"}, {"Architecture", "all"}}}); err != nil || got != "pool/main/libf/libfoo/libfoo_1.0_all.deb" {
		t.Errorf("PoolPath(libfoo) = %q, %v", got, err)
	}
}

// TestPackagesLikeAptFtparchive: apt-ftparchive orders fields its own way
// and adds SHA512; otherwise every field and value is the same.
func TestPackagesLikeAptFtparchive(t *testing.T) {
	testtool.Need(t, "apt-ftparchive")
	r := publish(t)
	cmd := exec.Command("apt-ftparchive", "packages", "pool")
	cmd.Dir = r.root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("apt-ftparchive: %v", err)
	}
	theirs := stanzas(t, out)
	if len(theirs) != len(controls) {
		t.Fatalf("apt-ftparchive wrote %d stanzas", len(theirs))
	}
	for _, ix := range r.index {
		for _, p := range ix.Packages() {
			paras, err := parseParagraphs([]byte(theirs[p.Filename()]), "apt-ftparchive")
			if err != nil || len(paras) != 1 {
				t.Fatalf("%s: %v", p.Filename(), err)
			}
			var want []Field
			for _, f := range paras[0] {
				if f.Name != "SHA512" {
					want = append(want, f)
				}
			}
			got := slices.Clone(p.Fields)
			byName := func(a, b Field) int { return strings.Compare(a.Name, b.Name) }
			slices.SortFunc(got, byName)
			slices.SortFunc(want, byName)
			if !slices.Equal(got, want) {
				t.Errorf("%s: fields\n%q\napt-ftparchive (without SHA512)\n%q", p.Filename(), got, want)
			}
		}
	}
}

// TestRoundTrip: reading Packages files back gives the same files, byte
// for byte, and so do dpkg-scanpackages' and apt-ftparchive's output read
// and written again.
func TestRoundTrip(t *testing.T) {
	testtool.Need(t, "dpkg-scanpackages", "apt-ftparchive")
	r := publish(t)
	for codename, ix := range r.index {
		first, err := ix.Files(testRelease)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Open(r.st, codename)
		if err != nil {
			t.Fatal(err)
		}
		second, err := again.Files(testRelease)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != len(second) {
			t.Fatalf("%s: %d files, then %d", codename, len(first), len(second))
		}
		for i := range first {
			if first[i].Name != second[i].Name || !bytes.Equal(first[i].Data, second[i].Data) {
				t.Errorf("%s: %s changed when read back and written again", codename, first[i].Name)
			}
		}
	}
	for _, tool := range [][]string{{"dpkg-scanpackages", "-m", "pool"}, {"apt-ftparchive", "packages", "pool"}} {
		cmd := exec.Command(tool[0], tool[1:]...)
		cmd.Dir = r.root
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		paras, err := parseParagraphs(out, tool[0])
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for _, p := range paras {
			writeFields(&b, p)
			b.WriteByte('\n')
		}
		if !bytes.Equal(b.Bytes(), out) {
			t.Errorf("%s's output read and written again differs:\n%s\nwas\n%s", tool[0], b.Bytes(), out)
		}
	}
}

// TestReleaseAndByHash: the Release file's fields and that every file it
// names exists, has the size and SHA-256 it says, and has its by-hash copy;
// Packages.gz decompresses (gzip) to Packages; the gzip
// header has no name and no time; the same index gives the same bytes.
func TestReleaseAndByHash(t *testing.T) {
	testtool.Need(t, "gzip")
	r := publish(t)
	rel := string(r.read(t, "dists/bookworm/Release"))
	head, sums, ok := strings.Cut(rel, "SHA256:\n")
	if !ok {
		t.Fatalf("no SHA256 in Release:\n%s", rel)
	}
	wantHead := `Origin: wsgipack-test
Label: wsgipack test
Suite: bookworm
Codename: bookworm
Date: Mon, 23 Nov 2026 10:00:00 +0000
Acquire-By-Hash: yes
Architectures: amd64 arm64
Components: main
Description: wsgipack test repository
`
	if head != wantHead {
		t.Errorf("Release starts\n%s\nwant\n%s", head, wantHead)
	}
	var named []string
	for _, line := range strings.Split(strings.TrimSuffix(sums, "\n"), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasPrefix(line, " ") {
			t.Fatalf("Release line %q", line)
		}
		named = append(named, f[2])
		data := r.read(t, "dists/bookworm/"+f[2])
		if sha256Hex(data) != f[0] || fmt.Sprint(len(data)) != f[1] {
			t.Errorf("%s: Release says %s %s, the file is %s %d", f[2], f[0], f[1], sha256Hex(data), len(data))
		}
		hashed := r.read(t, "dists/bookworm/"+filepath.Dir(f[2])+"/by-hash/SHA256/"+f[0])
		if !bytes.Equal(hashed, data) {
			t.Errorf("%s: by-hash copy differs", f[2])
		}
	}
	var want []string
	for _, arch := range []string{"amd64", "arm64"} {
		for _, ext := range []string{"", ".gz"} {
			want = append(want, "main/binary-"+arch+"/Packages"+ext)
		}
	}
	if !slices.Equal(named, want) {
		t.Errorf("Release names %v, want %v", named, want)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		dir := filepath.Join(r.root, "dists/bookworm/main/binary-"+arch)
		plain := r.read(t, "dists/bookworm/main/binary-"+arch+"/Packages")
		if out := testtool.Run(t, "gzip", "-dc", filepath.Join(dir, "Packages.gz")); out != string(plain) {
			t.Error("gzip -dc Packages.gz is not Packages")
		}
		gz := r.read(t, "dists/bookworm/main/binary-"+arch+"/Packages.gz")
		if gz[3]&0x08 != 0 || !bytes.Equal(gz[4:8], []byte{0, 0, 0, 0}) {
			t.Errorf("Packages.gz header has a name or a time: % x", gz[:10])
		}
	}
	// Deterministic: a second index made the same way writes the same bytes.
	ix := r.index["bookworm"]
	again, err := Open(publishtest.Mem{}, "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range slices.Backward(ix.Packages()) {
		if _, err := again.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := ix.Files(testRelease)
	b, _ := again.Files(testRelease)
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Errorf("%s differs between two indexes of the same packages", a[i].Name)
		}
	}
	// Files come by-hash first, Release last.
	if last := a[len(a)-1].Name; last != "dists/bookworm/Release" || !strings.Contains(a[0].Name, "/by-hash/SHA256/") {
		t.Errorf("files in the wrong order: first %s, last %s", a[0].Name, last)
	}
	// Valid-Until.
	rv := testRelease
	rv.ValidFor = 7 * 24 * 3600e9
	files, _ := ix.Files(rv)
	if rel := string(files[len(files)-1].Data); !strings.Contains(rel, "Date: Mon, 23 Nov 2026 10:00:00 +0000\nValid-Until: Mon, 30 Nov 2026 10:00:00 +0000\nAcquire-By-Hash: yes\n") {
		t.Errorf("Release with ValidFor:\n%s", rel)
	}
}

// TestAllOnly: a codename with only architecture all packages gets amd64.
func TestAllOnly(t *testing.T) {
	r := publish(t)
	rel := string(r.read(t, "dists/bullseye/Release"))
	if !strings.Contains(rel, "\nArchitectures: amd64\n") {
		t.Errorf("bullseye Release:\n%s", rel)
	}
	if s := stanzas(t, r.read(t, "dists/bullseye/main/binary-amd64/Packages")); len(s) != 1 {
		t.Errorf("bullseye amd64 has %d packages, want 1", len(s))
	}
}

// TestAdd: the same file again is a no-op, another file under the same
// name, version and architecture is refused, and so is a version differing
// only by its epoch (it would have the same pool file).
func TestAdd(t *testing.T) {
	testtool.Need(t, "dpkg-deb")
	ix, err := Open(publishtest.Mem{}, "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	deb := dpkgDeb(t, controls[0])
	p, err := ReadDeb(deb)
	if err != nil {
		t.Fatal(err)
	}
	if added, err := ix.Add(p); !added || err != nil {
		t.Fatalf("first Add: %v %v", added, err)
	}
	same, _ := ReadDeb(deb)
	if added, err := ix.Add(same); added || err != nil {
		t.Errorf("same file again: added %v, %v", added, err)
	}
	rebuilt, err := ReadDeb(dpkgDeb(t, controls[0]+"X-Rebuilt: yes\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(rebuilt); err == nil || !strings.Contains(err.Error(), "other content") {
		t.Errorf("other bytes under the same version: %v", err)
	}
	epoch, err := ReadDeb(dpkgDeb(t, strings.Replace(controls[0], "Version: 1.4.2", "Version: 3:1.4.2", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(epoch); err == nil || !strings.Contains(err.Error(), "already that of") {
		t.Errorf("same pool file, other epoch: %v", err)
	}
	if n := len(ix.Packages()); n != 1 {
		t.Errorf("%d packages after refused adds", n)
	}
	bad := p
	bad.Fields = slices.Clone(p.Fields)
	for i := range bad.Fields {
		if bad.Fields[i].Name == "Filename" {
			bad.Fields[i].Value = "pool/../../etc/passwd.deb"
		}
	}
	if _, err := ix.Add(bad); err == nil {
		t.Error("a Filename outside pool/ was accepted")
	}
}

// TestOpenInterrupted: a Packages file that does not match the Release,
// with no by-hash copy to fall back on, is an error; with the copy, Open
// reads the copy.
func TestOpenInterrupted(t *testing.T) {
	r := publish(t)
	canonical := "dists/bullseye/main/binary-amd64/Packages"
	data := r.read(t, canonical)
	if err := r.st.WriteFile(canonical, []byte("Package: x\n")); err != nil {
		t.Fatal(err)
	}
	ix, err := Open(r.st, "bullseye")
	if err != nil || len(ix.Packages()) != 1 {
		t.Fatalf("Open with the by-hash copy: %v", err)
	}
	if err := r.st.Remove("dists/bullseye/main/binary-amd64/by-hash/SHA256/" + sha256Hex(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(r.st, "bullseye"); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("Open of a Packages file its Release does not know: %v", err)
	}
	if _, err := Open(r.st, "../etc"); err == nil {
		t.Error("codename ../etc accepted")
	}
	ix, err = Open(r.st, "trixie")
	if err != nil || len(ix.Packages()) != 0 {
		t.Errorf("Open of a new codename: %v", err)
	}
}

// TestCodenames: every deb release of internal/distro has a codename
// (the one in its title), and Codename reads wsgipack's versions.
func TestCodenames(t *testing.T) {
	for _, rel := range distro.All() {
		if (rel.Format == "deb") != (rel.Codename != "") || (rel.Codename != "" && !strings.Contains(rel.Title, "("+rel.Codename+")")) {
			t.Errorf("%s: format %s, codename %q, title %q", rel.Name, rel.Format, rel.Codename, rel.Title)
		}
	}
	for v, want := range map[string]string{
		"1.4.2-1+deb12": "bookworm", "2:1.4.2~rc1-3+deb11": "bullseye", "1.0-1+deb13": "trixie",
		"1.0-1+ubuntu20.04": "focal", "1.0-1+ubuntu22.04": "jammy", "1.0-1+ubuntu24.04": "noble",
	} {
		if got, err := Codename(v); got != want || err != nil {
			t.Errorf("Codename(%q) = %q, %v; want %s", v, got, err, want)
		}
	}
	for _, v := range []string{"1.0-1", "1.0", "1.0+deb12-1", "1.0-1.el9"} {
		if got, err := Codename(v); err == nil {
			t.Errorf("Codename(%q) = %q, want an error", v, got)
		}
	}
}

func TestReadDebErrors(t *testing.T) {
	dir := t.TempDir()
	notDeb := filepath.Join(dir, "x.deb")
	os.WriteFile(notDeb, []byte("hello"), 0o644)
	if _, err := ReadDeb(notDeb); err == nil {
		t.Error("ReadDeb of a text file")
	}
	if _, err := ReadDeb(filepath.Join(dir, "missing.deb")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDeb of a missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.deb")
	tinyDeb(t, bad, "Package: ../x\nVersion: 1.0\nArchitecture: all\n")
	if _, err := ReadDeb(bad); err == nil {
		t.Error("ReadDeb of package ../x")
	}
}
