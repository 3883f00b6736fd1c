package yum

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"github.com/wsgipack/wsgipack/internal/publish/publishtest"
	"github.com/wsgipack/wsgipack/internal/publish/store"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

var now = time.Unix(1700000000, 0)

func allRPMs(t testing.TB) []string {
	var all []string
	for _, f := range testRPMs(t) {
		all = append(all, f)
	}
	sort.Strings(all)
	return all
}

func readAll(t testing.TB, files []string) []Package {
	t.Helper()
	var out []Package
	for _, f := range files {
		p, err := ReadRPM(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Location < out[j].Location })
	return out
}

// TestAgainstCreaterepo: for the same rpms, every package's entry in
// primary, filelists and other is the one createrepo_c writes (compared as
// parsed XML: elements, attributes, text), the document roots agree, and
// both repositories read back (Open) into the Packages ReadRPM gives.
func TestAgainstCreaterepo(t *testing.T) {
	all := allRPMs(t)
	tmp := t.TempDir()
	crDir := filepath.Join(tmp, "cr", "el9", "x86_64")
	createrepo(t, crDir, all...)
	st := store.Dir(filepath.Join(tmp, "ours"))
	publish(t, st, "el9/x86_64", now, all...)

	ours, theirs := repoDocs(t, filepath.Join(tmp, "ours", "el9", "x86_64")), repoDocs(t, crDir)
	for _, typ := range dataTypes {
		o, c := ours[typ], theirs[typ]
		if o == nil || c == nil {
			t.Fatalf("%s: ours %v, createrepo_c's %v", typ, o != nil, c != nil)
		}
		if o.Name != c.Name || !reflect.DeepEqual(o.Attrs, c.Attrs) {
			t.Errorf("%s root: ours %s %v, createrepo_c's %s %v", typ, o.Name, o.Attrs, c.Name, c.Attrs)
		}
		op, cp := byPkgid(o), byPkgid(c)
		if len(cp) != len(all) || len(op) != len(all) {
			t.Fatalf("%s: %d packages, createrepo_c %d, rpms %d", typ, len(op), len(cp), len(all))
		}
		for id, cn := range cp {
			on := op[id]
			if on == nil {
				t.Errorf("%s: package %s missing", typ, id)
				continue
			}
			if on.String() != cn.String() {
				t.Errorf("%s: package %s differs\n--- ours\n%s--- createrepo_c\n%s", typ, id, on, cn)
			}
		}
	}

	// The comparison covered what the test rpms are made for.
	pkgs := readAll(t, all)
	var alpha Package
	for _, p := range pkgs {
		if p.Name == "alpha" {
			alpha = p
		}
	}
	want := []Relation{
		{Name: "/bin/sh", Pre: true},
		{Name: "/opt/alpha/data"},
		{Name: "alpha-libs(x86-64)", Flags: "LT", Epoch: "3", Version: "2.0", Release: "1"},
		{Name: "bash", Flags: "GE", Epoch: "0", Version: "4.0"},
		{Name: "coreutils"},
		{Name: "python3", Flags: "EQ", Epoch: "0", Version: "3.9", Release: "1"},
		{Name: "shadow-utils", Pre: true},
		{Name: "libc.so.6(GLIBC_2.34)(64bit)"},
	}
	if !reflect.DeepEqual(alpha.Requires, want) {
		t.Errorf("alpha requires\n%+v, want\n%+v", alpha.Requires, want)
	}
	if len(alpha.Changelog) != 10 || alpha.Changelog[0].Text != "- three" || alpha.Changelog[9].Author != "Ops Team <ops@example.com>   - 1.2-3" {
		t.Errorf("alpha changelog %+v", alpha.Changelog)
	}
	if alpha.Epoch != "2" || len(alpha.Suggests) != 1 || len(alpha.Supplements) != 1 || len(alpha.Enhances) != 1 ||
		len(alpha.Recommends) != 1 || len(alpha.Conflicts) != 1 || len(alpha.Obsoletes) != 1 {
		t.Errorf("alpha %+v", alpha)
	}

	for _, repo := range []struct {
		name string
		st   store.Files
	}{{"ours", st}, {"createrepo_c's", store.Dir(filepath.Join(tmp, "cr"))}} {
		r, err := Open(repo.st, "el9/x86_64")
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Packages(); !reflect.DeepEqual(got, pkgs) {
			for i := range got {
				if i < len(pkgs) && !reflect.DeepEqual(got[i], pkgs[i]) {
					t.Errorf("%s read back\n%+v\nReadRPM\n%+v", repo.name, got[i], pkgs[i])
				}
			}
			t.Fatalf("%s repository reads back into other packages", repo.name)
		}
	}
}

// TestMetadataFiles: repomd.xml describes the data files it names
// (checksum, open checksum, sizes, time); the gzip members have no name
// or time; the same packages give the same bytes, also after reading them
// back; nothing is stale until the packages change, then the old data is.
func TestMetadataFiles(t *testing.T) {
	all := allRPMs(t)
	st := publishtest.Mem{}
	r := publish(t, st, "el9/x86_64", now, all...)
	files, stale, err := r.Files(now)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 || files[3].Name != "el9/x86_64/repodata/repomd.xml" || len(stale) != 0 {
		t.Fatalf("files %d, last %s, stale %v", len(files), files[len(files)-1].Name, stale)
	}
	repomd := parseTree(t, files[3].Data)
	if got := repomd.child("revision").Text; got != "1700000000" {
		t.Errorf("revision %s", got)
	}
	var types []string
	for i, d := range repomd.Children[1:] {
		typ := d.attr(":type")
		types = append(types, typ)
		f := files[i]
		sum := fmt.Sprintf("%x", sha256.Sum256(f.Data))
		open := gunzip(t, f.Data)
		want := map[string]string{
			"checksum": sum, "open-checksum": fmt.Sprintf("%x", sha256.Sum256(open)), "timestamp": "1700000000",
			"size": fmt.Sprint(len(f.Data)), "open-size": fmt.Sprint(len(open)),
		}
		for el, v := range want {
			if got := d.child(el).Text; got != v {
				t.Errorf("%s %s = %s, want %s", typ, el, got, v)
			}
		}
		if href := d.child("location").attr(":href"); "el9/x86_64/"+href != f.Name || href != "repodata/"+sum+"-"+typ+".xml.gz" {
			t.Errorf("%s at %s, file %s", typ, href, f.Name)
		}
		if f.Data[3]&0x08 != 0 || !bytes.Equal(f.Data[4:8], []byte{0, 0, 0, 0}) {
			t.Errorf("%s: gzip header % x has a name or a time", typ, f.Data[:10])
		}
	}
	if !reflect.DeepEqual(types, dataTypes) {
		t.Errorf("data types %v", types)
	}
	again, err := Open(st, "el9/x86_64")
	if err != nil {
		t.Fatal(err)
	}
	files2, stale, err := again.Files(now)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(files, files2) || len(stale) != 0 {
		t.Error("metadata read back and written again differs")
	}
	if again.Prune(1, nil) == nil {
		t.Fatal("nothing pruned")
	}
	files3, stale, err := again.Files(now)
	if err != nil {
		t.Fatal(err)
	}
	var old []string
	for _, f := range files[:3] {
		old = append(old, f.Name)
	}
	if !reflect.DeepEqual(stale, old) || files3[0].Name == files[0].Name {
		t.Errorf("stale %v, want %v", stale, old)
	}
}

// TestDNF: Debian's dnf reads the repository: makecache, repoquery and
// list show every package and version, dnf downloads and installs the
// self-contained stub into an empty root, and the .repo file of RepoFile
// points dnf at the right directory.
func TestDNF(t *testing.T) {
	testtool.Need(t, "dnf", "rpm")
	all := allRPMs(t)
	tmp := t.TempDir()
	st := store.Dir(filepath.Join(tmp, "repo"))
	publish(t, st, "el9/x86_64", now, all...)
	root := filepath.Join(tmp, "root")
	repo := []string{"--setopt=reposdir=/dev/null", "--repofrompath=ours,file://" + filepath.Join(tmp, "repo", "el9", "x86_64"),
		"--repo", "ours", "--setopt=ours.gpgcheck=0"}
	dnf(t, root, append(repo, "makecache")...)

	var want []string
	for _, p := range readAll(t, all) {
		want = append(want, fmt.Sprintf("%s %s:%s-%s %s %s", p.Name, p.Epoch, p.Version, p.Release, p.Arch, p.Location))
	}
	sort.Strings(want)
	out := dnf(t, root, append(repo, "repoquery", "--qf", "%{name} %{epoch}:%{version}-%{release} %{arch} %{location}")...)
	if got := sortedLines(out); !reflect.DeepEqual(got, want) {
		t.Errorf("dnf repoquery:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	out = dnf(t, root, append(repo, "list", "--available", "--showduplicates")...)
	for _, w := range []string{"alpha.x86_64 2:1.2-3.el9", "beta.noarch 0.9-1.el9", "gamma.noarch 1:1.0-1.el9", "gamma.noarch 1.10~rc1-1.el9", "inventory.noarch 1.4.2-1.el9"} {
		name, evr, _ := strings.Cut(w, " ")
		found := false
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == name && f[1] == evr {
				found = true
			}
		}
		if !found {
			t.Errorf("dnf list --available does not show %s:\n%s", w, out)
		}
	}

	dnf(t, root, append(repo, "install", "--downloadonly", "--destdir", filepath.Join(tmp, "dl"), "beta")...)
	if _, err := os.Stat(filepath.Join(tmp, "dl", "beta-0.9-1.el9.noarch.rpm")); err != nil {
		t.Errorf("install --downloadonly: %v", err)
	}
	dnf(t, root, append(repo, "install", "beta")...)
	if data, err := os.ReadFile(filepath.Join(root, "etc/beta/beta.conf")); err != nil || string(data) != "conf\n" {
		t.Errorf("beta installed: %q, %v", data, err)
	}
	if out := testtool.Run(t, "rpm", "--root", root, "-q", "beta"); strings.TrimSpace(out) != "beta-0.9-1.el9.noarch" {
		t.Errorf("rpm -q beta: %s", out)
	}

	// The .repo file: dnf finds el9/x86_64 through baseurl and $basearch
	// (the signature checks are another package's; they are switched off
	// here).
	reposdir := filepath.Join(tmp, "repos.d")
	if err := os.MkdirAll(reposdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(reposdir, "apps.repo"), RepoFile("apps", "file://"+filepath.Join(tmp, "repo")+"/", "el9", "file:///etc/pki/apps.asc"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = dnf(t, filepath.Join(tmp, "root2"), "--setopt=reposdir="+reposdir, "--setopt=apps.gpgcheck=0", "--setopt=apps.repo_gpgcheck=0",
		"repoquery", "--qf", "%{name} %{epoch}:%{version}-%{release} %{arch} %{location}")
	if got := sortedLines(out); !reflect.DeepEqual(got, want) {
		t.Errorf("dnf repoquery through the .repo file:\n%s", out)
	}

	// Once el9/aarch64 exists, a noarch package goes into both arch
	// directories, and an aarch64 dnf finds it through the same .repo file.
	writeFiles(t, mustOpen(t, st, "el9/aarch64"), st, now)
	beta, err := ReadRPM(testRPMs(t)["beta"])
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := Dirs(st, "", beta)
	if err != nil || !reflect.DeepEqual(dirs, []string{"el9/x86_64", "el9/aarch64"}) {
		t.Fatalf("Dirs(beta) = %v, %v", dirs, err)
	}
	publish(t, st, "el9/aarch64", now, testRPMs(t)["beta"])
	out = dnfArch(t, "aarch64", filepath.Join(tmp, "root3"), "--setopt=reposdir="+reposdir, "--setopt=apps.gpgcheck=0", "--setopt=apps.repo_gpgcheck=0",
		"repoquery", "--qf", "%{name} %{epoch}:%{version}-%{release} %{arch} %{location}")
	if got := sortedLines(out); !reflect.DeepEqual(got, []string{"beta 0:0.9-1.el9 noarch packages/beta-0.9-1.el9.noarch.rpm"}) {
		t.Errorf("aarch64 dnf repoquery:\n%s", out)
	}
}

func mustOpen(t testing.TB, st store.Files, dir string) *Repo {
	t.Helper()
	r, err := Open(st, dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sortedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "Added ") {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

func TestRepoFile(t *testing.T) {
	got := string(RepoFile("apps", "https://repo.example.com/apps/", "el9", "https://repo.example.com/apps/RPM-GPG-KEY-apps"))
	want := `[apps]
name=apps el9 $basearch
baseurl=https://repo.example.com/apps/el9/$basearch
enabled=1
gpgcheck=1
repo_gpgcheck=1
gpgkey=https://repo.example.com/apps/RPM-GPG-KEY-apps
metadata_expire=5m
`
	if got != want {
		t.Errorf("RepoFile:\n%s\nwant\n%s", got, want)
	}
}

// TestPrune: of gamma's five versions, keep 2 keeps the two rpm (and dnf,
// with --latest-limit 2) rank newest: the epoch first, then 1.10 over
// 1.10~rc1, 1.9a and 1.9; protected packages stay too.
func TestPrune(t *testing.T) {
	rpms := testRPMs(t)
	var gs []string
	for _, g := range gammas {
		gs = append(gs, rpms["gamma-"+g.ver])
	}
	st := publishtest.Mem{}
	r := publish(t, st, "el9/x86_64", now, append(gs, rpms["beta"])...)
	removed := r.Prune(2, nil)
	want := []string{
		"el9/x86_64/packages/gamma-1.10~rc1-1.el9.noarch.rpm",
		"el9/x86_64/packages/gamma-1.9-1.el9.noarch.rpm",
		"el9/x86_64/packages/gamma-1.9a-1.el9.noarch.rpm",
	}
	if !reflect.DeepEqual(removed, want) {
		t.Errorf("Prune removed %v, want %v", removed, want)
	}
	var kept []string
	for _, p := range r.Packages() {
		kept = append(kept, p.NEVRA())
	}
	if w := []string{"beta-0:0.9-1.el9.noarch", "gamma-1:1.0-1.el9.noarch", "gamma-0:1.10-1.el9.noarch"}; !reflect.DeepEqual(kept, w) {
		t.Errorf("kept %v, want %v", kept, w)
	}

	// dnf agrees on the two newest.
	if _, err := os.Stat("/usr/bin/dnf"); err == nil || os.Getenv("CI") != "" {
		testtool.Need(t, "dnf")
		tmp := t.TempDir()
		publish(t, store.Dir(filepath.Join(tmp, "repo")), "el9/x86_64", now, gs...)
		out := dnf(t, filepath.Join(tmp, "root"), "--setopt=reposdir=/dev/null", "--repofrompath=ours,file://"+filepath.Join(tmp, "repo", "el9", "x86_64"),
			"--repo", "ours", "repoquery", "--latest-limit", "2", "--qf", "%{name}-%{epoch}:%{version}-%{release}.%{arch}", "gamma")
		if got, want := sortedLines(out), []string{kept[2], kept[1]}; !reflect.DeepEqual(got, want) {
			t.Errorf("dnf --latest-limit 2: %v, Prune kept %v", got, kept[1:])
		}
	}

	r = publish(t, publishtest.Mem{}, "el9/x86_64", now, gs...)
	removed = r.Prune(1, func(p Package) bool { return p.Version == "1.9" })
	if len(removed) != 3 || len(r.Packages()) != 2 || r.Packages()[0].Version != "1.0" || r.Packages()[1].Version != "1.9" {
		t.Errorf("Prune(1, protect 1.9) removed %v, kept %+v", removed, r.Packages())
	}
	if removed := r.Prune(0, nil); removed != nil || len(r.Packages()) != 2 {
		t.Errorf("Prune(0) removed %v", removed)
	}
}

// TestAdd: the same package again is a no-op; other bytes under a
// published NEVRA, or another package at a taken location, are errors; so
// are packages the metadata cannot carry.
func TestAdd(t *testing.T) {
	p, err := ReadRPM(testRPMs(t)["beta"])
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(publishtest.Mem{}, "el9/x86_64")
	if err != nil {
		t.Fatal(err)
	}
	if added, err := r.Add(p); !added || err != nil {
		t.Fatalf("Add = %v, %v", added, err)
	}
	if added, err := r.Add(p); added || err != nil {
		t.Errorf("Add again = %v, %v", added, err)
	}
	q := p
	q.Checksum = strings.Repeat("0", 64)
	if _, err := r.Add(q); err == nil || !strings.Contains(err.Error(), "never replaced") {
		t.Errorf("Add with other bytes: %v", err)
	}
	q.Epoch = "1"
	if _, err := r.Add(q); err == nil || !strings.Contains(err.Error(), "both live at") {
		t.Errorf("Add at a taken location: %v", err)
	}
	for _, bad := range []func(*Package){
		func(p *Package) { p.Summary = "bell\a" },
		func(p *Package) { p.Location = "../beta.rpm" },
		func(p *Package) { p.Location = "repodata/x.rpm" },
		func(p *Package) { p.Checksum = "abc" },
		func(p *Package) { p.Files = []PackageFile{{Path: "/x\xff"}} },
	} {
		q := p
		q.Release = "2.el9"
		q.Location = "packages/" + q.FileName()
		bad(&q)
		if _, err := r.Add(q); err == nil {
			t.Errorf("Add(%+v) accepted", q)
		}
	}
	if len(r.Packages()) != 1 {
		t.Errorf("%d packages", len(r.Packages()))
	}
}

func TestDirs(t *testing.T) {
	noarch := Package{Name: "app", Arch: "noarch", Version: "1", Release: "1.el9"}
	st := publishtest.Mem{}
	check := func(release string, p Package, want ...string) {
		t.Helper()
		got, err := Dirs(st, release, p)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Dirs(%q, %s) = %v, %v; want %v", release, p.FileName(), got, err, want)
		}
	}
	check("", noarch, "el9/x86_64")
	st["el9/aarch64/repodata/repomd.xml"] = nil
	check("", noarch, "el9/aarch64")
	st["el9/x86_64/repodata/repomd.xml"] = nil
	check("", noarch, "el9/x86_64", "el9/aarch64")
	check("el8", noarch, "el8/x86_64")
	check("", Package{Name: "app", Arch: "aarch64", Version: "1", Release: "1.el10_1"}, "el10/aarch64")
	check("", Package{Name: "app", Arch: "x86_64", Version: "1", Release: "3.el8"}, "el8/x86_64")
	if _, err := Dirs(st, "", Package{Name: "app", Arch: "noarch", Version: "1", Release: "1.fc40"}); err == nil {
		t.Error("Dirs of a release without .elN: no error")
	}
}

func TestReadRPMErrors(t *testing.T) {
	file := testRPMs(t)["beta"]
	data := mustRead(t, file)
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"empty": nil, "text": []byte("not an rpm at all, but long enough to hold a lead of ninety-six bytes................."),
		"cut in the header": data[:200], "cut in the signature": data[:120],
	} {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, content, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadRPM(f); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestAddOneReadsNoPackage: opening a repository of 2,000 packages, adding
// one and writing the metadata reads repomd.xml and the three data files,
// no rpm.
func TestAddOneReadsNoPackage(t *testing.T) {
	base, err := ReadRPM(testRPMs(t)["wsgipack"])
	if err != nil {
		t.Fatal(err)
	}
	st := publishtest.Mem{}
	r, err := Open(st, "el9/x86_64")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2001 {
		p := clone(base)
		p.Name = fmt.Sprintf("app%04d", i)
		p.Checksum = fmt.Sprintf("%x", sha256.Sum256([]byte(p.Name)))
		p.Location = "packages/" + p.FileName()
		if i == 2000 {
			base = p
			break
		}
		st["el9/x86_64/"+p.Location] = []byte("rpm")
		if _, err := r.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	writeFiles(t, r, st, now)
	cs := &publishtest.Counting{Files: st}
	r, err = Open(cs, "el9/x86_64")
	if err != nil {
		t.Fatal(err)
	}
	if added, err := r.Add(base); !added || err != nil {
		t.Fatal(added, err)
	}
	writeFiles(t, r, cs, now.Add(time.Minute))
	if len(cs.Reads) != 4 {
		t.Errorf("read %v", cs.Reads)
	}
	for _, name := range cs.Reads {
		if !strings.HasPrefix(name, "el9/x86_64/repodata/") {
			t.Errorf("read %s", name)
		}
	}
	r, err = Open(st, "el9/x86_64")
	if err != nil || len(r.Packages()) != 2001 {
		t.Fatalf("read back: %v", err)
	}
}

// TestOpenOtherMetadata: sqlite databases (derived from the XML) become
// stale; metadata wsgipack does not keep (updateinfo) is refused rather
// than dropped; a data file that does not match its checksum is an error.
func TestOpenOtherMetadata(t *testing.T) {
	st := publishtest.Mem{}
	publish(t, st, "el9/x86_64", now, testRPMs(t)["beta"])
	repomd := string(st["el9/x86_64/repodata/repomd.xml"])
	extra := func(typ string) string {
		return strings.Replace(repomd, "</repomd>", `  <data type="`+typ+`">
    <checksum type="sha256">00</checksum>
    <location href="repodata/00-`+typ+`.sqlite.bz2"/>
  </data>
</repomd>`, 1)
	}
	st["el9/x86_64/repodata/repomd.xml"] = []byte(extra("primary_db"))
	r, err := Open(st, "el9/x86_64")
	if err != nil {
		t.Fatal(err)
	}
	if _, stale, err := r.Files(now); err != nil || !reflect.DeepEqual(stale, []string{"el9/x86_64/repodata/00-primary_db.sqlite.bz2"}) {
		t.Errorf("stale %v, %v", stale, err)
	}
	st["el9/x86_64/repodata/repomd.xml"] = []byte(extra("updateinfo"))
	if _, err := Open(st, "el9/x86_64"); err == nil || !strings.Contains(err.Error(), "updateinfo metadata is not kept") {
		t.Errorf("Open with updateinfo: %v", err)
	}
	st["el9/x86_64/repodata/repomd.xml"] = []byte(repomd)
	for name, data := range st {
		if strings.HasSuffix(name, "-other.xml.gz") {
			st[name] = append(data[:len(data):len(data)], 0)
		}
	}
	if _, err := Open(st, "el9/x86_64"); err == nil || !strings.Contains(err.Error(), "but repomd.xml says") {
		t.Errorf("Open with a changed data file: %v", err)
	}
}

// TestOpenZstd: metadata that newer createrepo_c writes with zstd reads as
// the gzip one does (Files writes gzip again).
func TestOpenZstd(t *testing.T) {
	st := publishtest.Mem{}
	r := publish(t, st, "el9/x86_64", now, testRPMs(t)["alpha"])
	repomd := string(st["el9/x86_64/repodata/repomd.xml"])
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range maps.Clone(st) {
		if !strings.HasSuffix(name, ".xml.gz") {
			continue
		}
		z := zw.EncodeAll(gunzip(t, data), nil)
		href := strings.TrimPrefix(name, "el9/x86_64/")
		zhref := fmt.Sprintf("repodata/%x-%s.zst", sha256.Sum256(z), strings.TrimSuffix(href[strings.IndexByte(href, '-')+1:], ".gz"))
		repomd = strings.Replace(repomd, href, zhref, 1)
		repomd = strings.Replace(repomd, fmt.Sprintf("%x", sha256.Sum256(data)), fmt.Sprintf("%x", sha256.Sum256(z)), 1)
		st["el9/x86_64/"+zhref] = z
		delete(st, name)
	}
	st["el9/x86_64/repodata/repomd.xml"] = []byte(repomd)
	z, err := Open(st, "el9/x86_64")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(z.Packages(), r.Packages()) {
		t.Error("the zstd metadata reads back into other packages")
	}
}
