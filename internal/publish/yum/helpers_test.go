package yum

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"fmt"
	"github.com/wsgipack/wsgipack/internal/publish/store"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/packager"
	_ "github.com/wsgipack/wsgipack/internal/rpm"
	"github.com/wsgipack/wsgipack/internal/testtool"
	"github.com/wsgipack/wsgipack/internal/version"
)

// publish adds rpms to the repository dir of st, copies them to their
// locations and writes the metadata.
func publish(t testing.TB, st store.Files, dir string, now time.Time, rpms ...string) *Repo {
	t.Helper()
	r, err := Open(st, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range rpms {
		p, err := ReadRPM(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Add(p); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.WriteFile(dir+"/"+p.Location, data); err != nil {
			t.Fatal(err)
		}
	}
	writeFiles(t, r, st, now)
	return r
}

func writeFiles(t testing.TB, r *Repo, st store.Files, now time.Time) {
	t.Helper()
	files, _, err := r.Files(now)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := st.WriteFile(f.Name, f.Data); err != nil {
			t.Fatal(err)
		}
	}
}

// The test rpms, built once per test binary by rpmbuild (and wsgipack's
// own writer), in rpmDir.
var (
	rpmOnce  sync.Once
	rpmDir   string
	rpmFiles map[string]string
	rpmErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{rpmDir, benchRepo.dir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// specs are the rpmbuild spec files of the test rpms. alpha has every kind
// of dependency (versioned, epochs, pre/post, files inside and outside
// primary.xml's list, libc.so.6 ones of which only the newest is listed,
// a requirement on what it provides), config files, directories, a %ghost
// file and twelve changelog entries (two on one day, authors with
// trailing spaces); beta is a self-contained noarch stub dnf can install;
// gamma comes in five versions for Prune.
var specs = map[string]string{
	"alpha": `Name: alpha
Version: 1.2
Release: 3.el9
Epoch: 2
Summary: Alpha & <test> "package"
License: MIT and BSD
URL: https://example.com/alpha?a=1&b=2
Packager: Ops Team <ops@example.com>
Vendor: Example Corp
Group: Applications/Internet
BuildArch: x86_64
Requires: bash >= 4.0
Requires: python3 = 3.9-1
Requires: alpha-libs(x86-64) < 3:2.0-1
Requires(pre): shadow-utils
Requires(post): /bin/sh
Requires(postun): coreutils
Requires: /etc/alpha/alpha.conf
Requires: /usr/bin/alpha
Requires: /opt/alpha/data
Requires: webapp(alpha)
Requires: libc.so.6(GLIBC_2.2.5)(64bit)
Requires: libc.so.6(GLIBC_2.34)(64bit)
Requires: libc.so.6()(64bit)
Provides: alpha-web = 1.2
Provides: webapp(alpha)
Conflicts: beta < 1.0
Obsoletes: alpha-old <= 1.1
Recommends: gamma
Suggests: delta > 0.5
Supplements: epsilon
Enhances: zeta >= 1:1
%description
Alpha is a test package.
It has two lines & an <angle>.
%install
mkdir -p %{buildroot}/etc/alpha %{buildroot}/usr/bin %{buildroot}/opt/alpha/data %{buildroot}/usr/sbin %{buildroot}/var/log
echo conf > %{buildroot}/etc/alpha/alpha.conf
echo conf > %{buildroot}/etc/alpha/other.conf
printf '#!/bin/sh\necho alpha\n' > %{buildroot}/usr/bin/alpha
echo data > %{buildroot}/opt/alpha/data/file.txt
echo x > %{buildroot}/usr/sbin/alphad
%pre
true
%post
true
%files
%dir /etc/alpha
%config(noreplace) /etc/alpha/alpha.conf
%config /etc/alpha/other.conf
%attr(0755,root,root) /usr/bin/alpha
/usr/sbin/alphad
/opt/alpha
%ghost /var/log/alpha.log
%changelog
* Fri Jan 12 2024 Ops Team <ops@example.com>   - 1.2-3
- twelve & <last>
* Thu Jan 11 2024 Ops Team <ops@example.com> - 1.2-2
- eleven
* Thu Jan 11 2024 Ops Team <ops@example.com> - 1.1-9
- ten
* Tue Jan 09 2024 Ops Team <ops@example.com> - 1.1-8
- nine
* Mon Jan 08 2024 Ops Team <ops@example.com> - 1.1-7
- eight
* Sun Jan 07 2024 Ops Team <ops@example.com> - 1.1-6
- seven
* Sat Jan 06 2024 Ops Team <ops@example.com> - 1.1-5
- six
* Fri Jan 05 2024 Ops Team <ops@example.com> - 1.1-4
- five
* Thu Jan 04 2024 Ops Team <ops@example.com> - 1.1-3
- four
* Wed Jan 03 2024 Ops Team <ops@example.com> - 1.1-2
- three
* Wed Jan 03 2024 Someone Else <se@example.com> - 1.1-1
- two
* Mon Jan 01 2024 Someone Else <se@example.com> - 1.0-1
- one
`,
	"beta": `Name: beta
Version: 0.9
Release: 1.el9
Summary: Beta stub
License: MIT
BuildArch: noarch
%description
A self-contained stub.
%install
mkdir -p %{buildroot}/etc/beta %{buildroot}/usr/share/beta
echo conf > %{buildroot}/etc/beta/beta.conf
echo hello > %{buildroot}/usr/share/beta/README
%files
%config(noreplace) /etc/beta/beta.conf
/usr/share/beta
%changelog
* Mon Jan 01 2024 Ops Team <ops@example.com> - 0.9-1
- first
`,
	"gamma": `Name: gamma
Version: %{ver}
Release: %{rel}
%{?ep:Epoch: %{ep}}
Summary: Gamma of many versions
License: MIT
BuildArch: noarch
%description
Gamma.
%files
`,
}

// gammas are the versions of gamma, oldest first in rpm's order: an
// epoch beats any version, 1.10 beats 1.9, 1.10~rc1 comes before 1.10,
// 1.9a after 1.9.
var gammas = []struct{ epoch, ver, rel string }{
	{"", "1.9", "1.el9"},
	{"", "1.9a", "1.el9"},
	{"", "1.10~rc1", "1.el9"},
	{"", "1.10", "1.el9"},
	{"1", "1.0", "1.el9"},
}

// testRPMs builds the test rpms once, named alpha, beta, gamma-<ver> and
// wsgipack (a package of wsgipack's own rpm writer, with install scripts).
func testRPMs(t testing.TB) map[string]string {
	t.Helper()
	testtool.Need(t, "rpmbuild")
	rpmOnce.Do(func() { rpmFiles, rpmErr = buildRPMs() })
	if rpmErr != nil {
		t.Fatal(rpmErr)
	}
	return rpmFiles
}

func buildRPMs() (map[string]string, error) {
	var err error
	if rpmDir, err = os.MkdirTemp("", "wsgipack-yum-test-"); err != nil {
		return nil, err
	}
	type job struct {
		key, spec string
		defines   []string
	}
	jobs := []job{{key: "alpha", spec: "alpha"}, {key: "beta", spec: "beta"}}
	for _, g := range gammas {
		d := []string{"ver " + g.ver, "rel " + g.rel}
		if g.epoch != "" {
			d = append(d, "ep "+g.epoch)
		}
		jobs = append(jobs, job{key: "gamma-" + g.ver, spec: "gamma", defines: d})
	}
	files := map[string]string{}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 3)
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			top := filepath.Join(rpmDir, fmt.Sprintf("top%d", i))
			spec := filepath.Join(rpmDir, fmt.Sprintf("%s-%d.spec", j.spec, i))
			err := os.WriteFile(spec, []byte(specs[j.spec]), 0o644)
			args := []string{"-bb", "--quiet", "--define", "_topdir " + top, "--define", "_buildhost build.example.com"}
			for _, d := range j.defines {
				args = append(args, "--define", d)
			}
			var out []byte
			if err == nil {
				out, err = exec.Command("rpmbuild", append(args, spec)...).CombinedOutput()
			}
			var found []string
			if err == nil {
				found, err = filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
				if err == nil && len(found) != 1 {
					err = fmt.Errorf("rpmbuild made %d rpms", len(found))
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("rpmbuild %s: %v\n%s", j.key, err, out)
				}
				return
			}
			files[j.key] = found[0]
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	file := filepath.Join(rpmDir, "wsgipack", "")
	if err := os.MkdirAll(file, 0o755); err != nil {
		return nil, err
	}
	name, err := writeWsgipackRPM(file, "inventory", "1.4.2", true)
	if err != nil {
		return nil, err
	}
	files["wsgipack"] = name
	return files, nil
}

var el9 = func() distro.Release {
	r, err := distro.Lookup("el9")
	if err != nil {
		panic(err)
	}
	return r
}()

// writeWsgipackRPM writes a small noarch package of wsgipack's own writer
// into dir and returns its path: a config file, an app file, a directory,
// and install scripts when scripts is set.
func writeWsgipackRPM(dir, name, ver string, scripts bool) (string, error) {
	v, err := version.Parse(ver)
	if err != nil {
		return "", err
	}
	conf, app := []byte("Alias /"+name+" /opt/"+name+"/app\n"), []byte("print('"+name+"')\n")
	p := &packager.Package{
		Name: name, Summary: "Web app " + name, Description: "The " + name + " app.", Maintainer: "Ops Team <ops@example.com>",
		License: "MIT", Homepage: "https://example.com/" + name, Version: v, Release: 1, Distro: el9, Machine: "all",
		System: []string{"httpd"}, Depends: []string{"libpq >= 13"}, MTime: time.Unix(1700000000, 0).UTC(),
		Entries: []archive.Entry{
			{Path: "/etc/" + name + "/site.conf", Kind: archive.File, Mode: 0o644, Data: conf, Size: int64(len(conf)), Config: true},
			{Path: "/opt/" + name, Kind: archive.Dir, Mode: 0o755},
			{Path: "/opt/" + name + "/app", Kind: archive.Dir, Mode: 0o755},
			{Path: "/opt/" + name + "/app/app.py", Kind: archive.File, Mode: 0o644, Data: app, Size: int64(len(app))},
		},
	}
	if scripts {
		p.Scripts = packager.Scripts{PreInstall: "#!/bin/sh\necho pre\n", PostInstall: "#!/bin/sh\necho post\n",
			PreRemove: "#!/bin/sh\necho preun\n", PostRemove: "#!/bin/sh\necho postun\n"}
	}
	f, err := packager.Get("rpm")
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, f.FileName(p))
	out, err := os.Create(file)
	if err != nil {
		return "", err
	}
	if err := f.Write(p, out); err != nil {
		out.Close()
		return "", err
	}
	return file, out.Close()
}

// createrepo runs createrepo_c (gzip, no sqlite) on a repository directory
// whose packages/ holds links to rpms.
func createrepo(t testing.TB, dir string, rpms ...string) {
	t.Helper()
	testtool.Need(t, "createrepo_c")
	if err := os.MkdirAll(filepath.Join(dir, "packages"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range rpms {
		// A hard link keeps the modification time that time file= shows.
		if err := os.Link(f, filepath.Join(dir, "packages", filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	testtool.Run(t, "createrepo_c", "--quiet", "--no-database", "--general-compress-type", "gz", dir)
}

// node is an XML element as the tests compare it: name with namespace,
// attributes sorted, text (whitespace between elements dropped), children
// in order.
type node struct {
	Name     string
	Attrs    []string
	Text     string
	Children []*node
}

func (n *node) String() string {
	var b strings.Builder
	var walk func(n *node, indent string)
	walk = func(n *node, indent string) {
		fmt.Fprintf(&b, "%s%s %v %q\n", indent, n.Name, n.Attrs, n.Text)
		for _, c := range n.Children {
			walk(c, indent+"  ")
		}
	}
	walk(n, "")
	return b.String()
}

func (n *node) attr(name string) string {
	for _, a := range n.Attrs {
		if k, v, _ := strings.Cut(a, "="); k == name {
			return v
		}
	}
	return ""
}

func (n *node) child(name string) *node {
	for _, c := range n.Children {
		if strings.HasSuffix(c.Name, " "+name) || c.Name == name {
			return c
		}
	}
	return nil
}

// parseTree reads an XML document into nodes.
func parseTree(t testing.TB, data []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parsing XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{Name: tok.Name.Space + " " + tok.Name.Local}
			for _, a := range tok.Attr {
				n.Attrs = append(n.Attrs, a.Name.Space+":"+a.Name.Local+"="+a.Value)
			}
			sort.Strings(n.Attrs)
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			if len(n.Children) > 0 && strings.TrimSpace(n.Text) == "" {
				n.Text = ""
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(tok)
			}
		}
	}
	return root
}

func gunzip(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// repoDocs reads the repository in dir through its repomd.xml: the root
// node of each data type's XML.
func repoDocs(t testing.TB, dir string) map[string]*node {
	t.Helper()
	repomd := parseTree(t, mustRead(t, filepath.Join(dir, "repodata", "repomd.xml")))
	docs := map[string]*node{}
	for _, d := range repomd.Children {
		if !strings.HasSuffix(d.Name, " data") {
			continue
		}
		href := d.child("location").attr(":href")
		docs[d.attr(":type")] = parseTree(t, gunzip(t, mustRead(t, filepath.Join(dir, href))))
	}
	return docs
}

func mustRead(t testing.TB, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// byPkgid indexes a metadata document's packages by package id.
func byPkgid(doc *node) map[string]*node {
	out := map[string]*node{}
	for _, p := range doc.Children {
		id := p.attr(":pkgid")
		if id == "" {
			id = p.child("checksum").Text
		}
		out[id] = p
	}
	return out
}

// dnf runs Debian's dnf on an empty install root with only the repositories
// the arguments name, as EL9 x86_64.
func dnf(t testing.TB, root string, args ...string) string {
	t.Helper()
	return dnfArch(t, "x86_64", root, args...)
}

// dnfArch is dnf as EL9 on another arch.
func dnfArch(t testing.TB, arch, root string, args ...string) string {
	t.Helper()
	base := []string{"-q", "-y", "--installroot", root, "--releasever=9", "--forcearch", arch}
	out, err := exec.Command("dnf", append(base, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("dnf %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
