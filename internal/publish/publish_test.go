package publish

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/wsgipack/wsgipack/internal/packager/packagertest"
	"github.com/wsgipack/wsgipack/internal/publish/publishtest"
	"github.com/wsgipack/wsgipack/internal/publish/store"
	"github.com/wsgipack/wsgipack/internal/sign"
	"github.com/wsgipack/wsgipack/internal/testtool"
	"github.com/wsgipack/wsgipack/internal/version"

	_ "github.com/wsgipack/wsgipack/internal/deb"
	_ "github.com/wsgipack/wsgipack/internal/rpm"
)

func signer(t *testing.T, uid string) sign.Signer {
	t.Helper()
	private, _ := testtool.GPGKey(t, uid)
	s, err := sign.Load(sign.Options{Key: string(private)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// packages writes the deb (debian-12) and rpm (el9) of demo at version v
// into a new directory and returns it.
func packages(t *testing.T, v string) string {
	t.Helper()
	dir := t.TempDir()
	for _, rel := range []string{"debian-12", "el9"} {
		p := packagertest.Package(t, rel)
		pv, err := version.Parse(v)
		if err != nil {
			t.Fatal(err)
		}
		p.Version = pv
		file := packagertest.Write(t, p)
		if err := os.Rename(file, filepath.Join(dir, filepath.Base(file))); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func publishTo(t *testing.T, repo string, s sign.Signer, keep int, paths ...string) *Result {
	t.Helper()
	res, err := Publish(Options{Store: store.Dir(repo), Signer: s, Keep: keep, BaseURL: "file://" + repo}, paths)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// aptClient trusts the repository's published key.
func aptClient(t *testing.T, repo string) *publishtest.Apt {
	return publishtest.NewApt(t, "deb [signed-by="+filepath.Join(repo, KeyGPG)+"] file:"+repo+" bookworm main\n", nil)
}

// dnfRepo serves the repository over loopback HTTP (librepo does not
// check repomd.xml's signature for a file: repository, which it reads in
// place) and returns the dnf options for its el9/x86_64 with both checks
// on and the published key.
func dnfRepo(t *testing.T, repo string) []string {
	srv := httptest.NewServer(http.FileServer(http.Dir(repo)))
	t.Cleanup(srv.Close)
	return []string{"--setopt=reposdir=/dev/null", "--repofrompath=ours," + srv.URL + "/el9/x86_64", "--repo=ours",
		"--setopt=ours.gpgcheck=1", "--setopt=ours.repo_gpgcheck=1", "--setopt=ours.gpgkey=" + srv.URL + "/" + KeyASC,
		"--setopt=skip_if_unavailable=False"} // else dnf only warns about a repository it cannot verify
}

// TestPublishAptAndDNF publishes the deb and rpm of 1.2.0, then 1.3.0, and
// has apt and dnf read the signed repository; every refusal a client must
// make is made.
func TestPublishAptAndDNF(t *testing.T) {
	testtool.Need(t, "apt-get", "dnf", "rpm", "rpmkeys")
	repo := t.TempDir()
	s := signer(t, "Repo <repo@example.com>")
	res := publishTo(t, repo, s, 0, packages(t, "1.2.0"))
	if len(res.Added) != 2 {
		t.Fatalf("added %v", res.Added)
	}
	apt := aptClient(t, repo)
	apt.Run(apt.Dir, "apt-get", "update", "--error-on=any")
	if got := apt.Candidate("demo"); got != "1.2.0-1+deb12" {
		t.Errorf("apt candidate %q", got)
	}
	for _, f := range []string{"wsgipack-bookworm.sources", "wsgipack-el9.repo", KeyGPG, KeyASC, "dists/bookworm/InRelease", "dists/bookworm/Release.gpg", "el9/x86_64/repodata/repomd.xml.asc"} {
		if _, err := os.Stat(filepath.Join(repo, f)); err != nil {
			t.Errorf("repository lacks %s", f)
		}
	}

	// The rpm in the pool carries the key's header signature.
	db := t.TempDir()
	testtool.Run(t, "rpmkeys", "--dbpath", db, "--import", filepath.Join(repo, KeyASC))
	rpms, _ := filepath.Glob(filepath.Join(repo, "el9/x86_64/packages/*.rpm"))
	if len(rpms) != 1 {
		t.Fatalf("rpms in the pool: %v", rpms)
	}
	if out := testtool.Run(t, "rpm", "--dbpath", db, "-Kv", rpms[0]); !regexp.MustCompile(`Header V4 RSA/SHA256 Signature, key ID [0-9a-f]+: OK`).MatchString(out) {
		t.Errorf("rpm -Kv:\n%s", out)
	}

	root := t.TempDir()
	if out, err := publishtest.DNF(t, root, append(dnfRepo(t, repo), "repoquery", "--qf", "%{name}-%{version}-%{release}")...); err != nil || !strings.Contains(out, "demo-1.2.0-1.el9") {
		t.Errorf("dnf repoquery: %v\n%s", err, out)
	}

	// A new version: apt and dnf see it.
	publishTo(t, repo, s, 0, packages(t, "1.3.0"))
	apt.Run(apt.Dir, "apt-get", "update", "--error-on=any")
	if got := apt.Candidate("demo"); got != "1.3.0-1+deb12" {
		t.Errorf("apt candidate after the second publish %q", got)
	}
	if out, err := publishtest.DNF(t, root, append(dnfRepo(t, repo), "--refresh", "repoquery", "--qf", "%{name}-%{version}")...); err != nil || !strings.Contains(out, "demo-1.3.0") || !strings.Contains(out, "demo-1.2.0") {
		t.Errorf("dnf repoquery after the second publish: %v\n%s", err, out)
	}

	// Refusals, each on a copy of the repository.
	refuse := func(name string, change func(copyDir string), client func(copyDir string) (string, error)) {
		t.Run(name, func(t *testing.T) {
			c := t.TempDir()
			testtool.Run(t, "cp", "-a", repo+"/.", c)
			change(c)
			if out, err := client(c); err == nil {
				t.Errorf("accepted:\n%s", out)
			}
		})
	}
	aptUpdate := func(c string) (string, error) {
		a := aptClient(t, c)
		return a.Try(a.Dir, "apt-get", "update", "--error-on=any")
	}
	tamper := func(file string) func(string) {
		return func(c string) {
			p := filepath.Join(c, file)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			data = []byte(strings.Replace(string(data), "Label: wsgipack", "Label: wsgipacK", 1))
			data = []byte(strings.Replace(string(data), "<revision>", "<revision>1", 1))
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	refuse("apt: tampered InRelease", func(c string) {
		tamper("dists/bookworm/InRelease")(c)
		os.Remove(filepath.Join(c, "dists/bookworm/Release.gpg"))
	}, aptUpdate)
	refuse("apt: another key", func(c string) {
		other, err := signer(t, "Other <other@example.com>").PublicKey(false)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(c, KeyGPG), other, 0o644)
	}, aptUpdate)
	refuse("apt: unsigned", func(c string) {
		os.Remove(filepath.Join(c, "dists/bookworm/InRelease"))
		os.Remove(filepath.Join(c, "dists/bookworm/Release.gpg"))
	}, aptUpdate)
	dnfCache := func(c string) (string, error) {
		return publishtest.DNF(t, t.TempDir(), append(dnfRepo(t, c), "makecache")...)
	}
	refuse("dnf: tampered repomd.xml", tamper("el9/x86_64/repodata/repomd.xml"), dnfCache)
	refuse("dnf: no repomd.xml.asc", func(c string) { os.Remove(filepath.Join(c, "el9/x86_64/repodata/repomd.xml.asc")) }, dnfCache)
	refuse("dnf: another key", func(c string) {
		other, err := signer(t, "Other <other@example.com>").PublicKey(true)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(c, KeyASC), other, 0o644)
	}, dnfCache)
}

// TestRepublishAndConflict: publishing the same files again changes
// nothing; other bytes under a published name-version-arch are refused
// and leave the repository as it was.
func TestRepublishAndConflict(t *testing.T) {
	repo := t.TempDir()
	s := signer(t, "Repo <repo@example.com>")
	pkgs := packages(t, "1.2.0")
	publishTo(t, repo, s, 0, pkgs)
	before := testtool.TreeHash(t, repo)
	res := publishTo(t, repo, s, 0, pkgs)
	if len(res.Added) != 0 || len(res.Unchanged) != 2 {
		t.Errorf("republish: added %v, unchanged %v", res.Added, res.Unchanged)
	}
	// Other bytes under the published name, version and arch.
	p := packagertest.Package(t, "debian-12")
	pv, _ := version.Parse("1.2.0")
	p.Version, p.Summary = pv, "Something else entirely"
	conflicting := packagertest.Write(t, p)
	before = testtool.TreeHash(t, repo)
	_, err := Publish(Options{Store: store.Dir(repo), Signer: s}, []string{conflicting})
	if err == nil {
		t.Fatal("other bytes under a published version were accepted")
	}
	if after := testtool.TreeHash(t, repo); after != before {
		t.Error("a refused publish changed the repository")
	}
	if _, err := Publish(Options{Store: store.Dir(repo)}, []string{pkgs}); err == nil || !strings.Contains(err.Error(), "WSGIPACK_SIGNING_KEY") {
		t.Errorf("publish without a key: %v", err)
	}
	// A repository another tool made (here: ours without its state).
	foreign := t.TempDir()
	testtool.Run(t, "cp", "-a", repo+"/.", foreign)
	os.Remove(filepath.Join(foreign, stateFile))
	before = testtool.TreeHash(t, foreign)
	if _, err := Publish(Options{Store: store.Dir(foreign), Signer: s}, []string{packages(t, "1.4.0")}); err == nil || !strings.Contains(err.Error(), "another tool") {
		t.Errorf("publish into another tool's repository: %v", err)
	}
	if after := testtool.TreeHash(t, foreign); after != before {
		t.Error("a refused publish changed another tool's repository")
	}
	notPkg := filepath.Join(t.TempDir(), "notes.deb")
	os.WriteFile(notPkg, []byte("notes\n"), 0o644)
	if _, err := Publish(Options{Store: store.Dir(repo), Signer: s}, []string{notPkg}); err == nil || !strings.Contains(err.Error(), "not a .deb or .rpm") {
		t.Errorf("publish of a text file: %v", err)
	}
}

// TestKeepAndGenerations publishes five versions with --keep 2: the
// indexes list the newest two, apt can still install the older one, and
// pool files leave once no kept generation names them.
func TestKeepAndGenerations(t *testing.T) {
	repo := t.TempDir()
	s := signer(t, "Repo <repo@example.com>")
	for _, v := range []string{"1.0.0", "1.1.0~rc1", "1.1.0", "1:0.9.0", "1.2.0"} {
		pv := strings.TrimPrefix(v, "1:")
		if pv != v {
			pv = "1!" + pv
		}
		pv = strings.Replace(pv, "~rc1", "rc1", 1)
		publishTo(t, repo, s, 2, packages(t, pv))
	}
	apt := aptClient(t, repo)
	apt.Run(apt.Dir, "apt-get", "update", "--error-on=any")
	policy := apt.Run(apt.Dir, "apt-cache", "policy", "demo")
	for _, want := range []string{"1:0.9.0-1+deb12", "1.2.0-1+deb12"} {
		if !strings.Contains(policy, want) {
			t.Errorf("apt-cache policy lacks %s:\n%s", want, policy)
		}
	}
	for _, gone := range []string{"1.0.0-1", "1.1.0-1", "1.1.0~rc1"} {
		if strings.Contains(policy, gone) {
			t.Errorf("apt-cache policy still lists %s:\n%s", gone, policy)
		}
	}
	debs, _ := filepath.Glob(filepath.Join(repo, "pool/main/d/demo/*.deb"))
	if len(debs) > 2+3 {
		t.Errorf("pool holds %d debs: pruned files are never removed", len(debs))
	}
	// Two more publishes of the kept versions end every generation that
	// named the pruned ones.
	for _, v := range []string{"1.2.0", "1.2.0", "1.2.0"} {
		publishTo(t, repo, s, 2, packages(t, v))
	}
	debs, _ = filepath.Glob(filepath.Join(repo, "pool/main/d/demo/*.deb"))
	if len(debs) != 2 {
		t.Errorf("pool holds %v, want the two kept versions", debs)
	}
}

// TestConcurrentPublishers: two publishers at once into one directory;
// both packages land.
func TestConcurrentPublishers(t *testing.T) {
	repo := t.TempDir()
	s := signer(t, "Repo <repo@example.com>")
	a, b := packages(t, "2.0.0"), packages(t, "2.1.0")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, dir := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Publish(Options{Store: store.Dir(repo), Signer: s}, []string{dir})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	apt := aptClient(t, repo)
	apt.Run(apt.Dir, "apt-get", "update", "--error-on=any")
	policy := apt.Run(apt.Dir, "apt-cache", "policy", "demo")
	if !strings.Contains(policy, "2.0.0-1+deb12") || !strings.Contains(policy, "2.1.0-1+deb12") {
		t.Errorf("one publisher's package is missing:\n%s", policy)
	}
}

// failingStore fails every write of a file whose name has the suffix,
// as a publisher killed just before writing it.
type failingStore struct {
	store.Dir
	suffix string
}

func (f failingStore) WriteFile(name string, data []byte) error {
	if strings.HasSuffix(name, f.suffix) {
		return errors.New("killed")
	}
	return f.Dir.WriteFile(name, data)
}

// TestKilledBeforeRelease: a publisher stops after the new indexes but
// before Release and InRelease; clients still update to the old view, and
// every file the Release names has its by-hash copy.
func TestKilledBeforeRelease(t *testing.T) {
	repo := t.TempDir()
	s := signer(t, "Repo <repo@example.com>")
	publishTo(t, repo, s, 0, packages(t, "1.2.0"))
	if _, err := Publish(Options{Store: failingStore{store.Dir(repo), "/Release"}, Signer: s}, []string{packages(t, "1.3.0")}); err == nil {
		t.Fatal("the failing store did not fail")
	}
	apt := aptClient(t, repo)
	apt.Run(apt.Dir, "apt-get", "update", "--error-on=any")
	if got := apt.Candidate("demo"); got != "1.2.0-1+deb12" {
		t.Errorf("candidate after the killed publish: %q, want the old view", got)
	}
	release, err := os.ReadFile(filepath.Join(repo, "dists/bookworm/Release"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^ ([0-9a-f]{64}) +\d+ (\S+)$`).FindAllStringSubmatch(string(release), -1) {
		p := filepath.Join(repo, "dists/bookworm", filepath.Dir(m[2]), "by-hash/SHA256", m[1])
		if _, err := os.Stat(p); err != nil {
			t.Errorf("Release names %s, whose by-hash copy is missing", m[2])
		}
	}
}

// TestDryRun says what would be added and writes nothing.
func TestDryRun(t *testing.T) {
	repo := t.TempDir()
	s := signer(t, "Repo <repo@example.com>")
	publishTo(t, repo, s, 0, packages(t, "1.2.0"))
	before := testtool.TreeHash(t, repo)
	res, err := Publish(Options{Store: store.Dir(repo), Signer: s, DryRun: true, Keep: 1}, []string{packages(t, "1.3.0")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 2 || len(res.Pruned) != 2 || res.Written != 0 {
		t.Errorf("dry run: added %v, pruned %v, written %d", res.Added, res.Pruned, res.Written)
	}
	if after := testtool.TreeHash(t, repo); after != before {
		t.Error("a dry run changed the repository")
	}
}

// TestBadOptions: options that would break a client file's line or write
// outside the tree are refused before anything is read.
func TestBadOptions(t *testing.T) {
	for _, o := range []Options{
		{BaseURL: "https://repo.example.com/apps\nSigned-By: /tmp/evil.gpg"},
		{BaseURL: "https://repo.example.com/a pps"},
		{BaseURL: "ftp://repo.example.com/apps"},
		{BaseURL: "https:///apps"},
		{ELRelease: "../../etc"},
		{ELRelease: "el9/x86_64"},
		{Codename: "bookworm main"},
	} {
		o.Store, o.Unsigned = store.Dir(t.TempDir()), true
		if _, err := Publish(o, []string{"nothing.deb"}); err == nil || strings.Contains(err.Error(), "nothing.deb") {
			t.Errorf("%+v: %v", o, err)
		}
	}
}
