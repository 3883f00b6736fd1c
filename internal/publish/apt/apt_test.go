package apt

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

// aptClient runs apt-get and apt-cache with a private configuration,
// state and cache: the host's sources, lists and status are not involved.
type aptClient struct {
	t    *testing.T
	dir  string
	opts []string
}

// newAptClient makes a client whose sources are sourcesList (one-line
// format) and sources (deb822 files, by name).
func newAptClient(t *testing.T, sourcesList string, sources map[string][]byte) *aptClient {
	t.Helper()
	testtool.Need(t, "apt-get", "apt-cache")
	dir := t.TempDir()
	for _, d := range []string{"etc/sources.list.d", "etc/preferences.d", "state/lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/sources.list", []byte(sourcesList))
	for name, data := range sources {
		write("etc/sources.list.d/"+name, data)
	}
	write("state/status", nil)
	c := &aptClient{t: t, dir: dir, opts: []string{
		"-o", "Dir::Etc::sourcelist=" + filepath.Join(dir, "etc/sources.list"),
		"-o", "Dir::Etc::sourceparts=" + filepath.Join(dir, "etc/sources.list.d"),
		"-o", "Dir::Etc::preferences=" + filepath.Join(dir, "etc/preferences"),
		"-o", "Dir::Etc::preferencesparts=" + filepath.Join(dir, "etc/preferences.d"),
		"-o", "Dir::State=" + filepath.Join(dir, "state"),
		"-o", "Dir::State::status=" + filepath.Join(dir, "state/status"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		"-o", "Debug::NoLocking=1",
		"-o", "APT::Architecture=amd64",
		"-o", "APT::Architectures::=amd64",
		"-o", "Acquire::Languages=none",
	}}
	if os.Getuid() == 0 {
		// the _apt user cannot read the test's temporary directories
		c.opts = append(c.opts, "-o", "APT::Sandbox::User=root")
	}
	return c
}

// run runs an apt command in dir; failure fails the test with its output.
func (c *aptClient) run(dir, tool string, args ...string) string {
	c.t.Helper()
	cmd := exec.Command(tool, append(append([]string{}, c.opts...), args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// candidate is apt-cache policy's candidate version of name.
func (c *aptClient) candidate(name string) string {
	c.t.Helper()
	out := c.run(c.dir, "apt-cache", "policy", name)
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Candidate: "); ok {
			return v
		}
	}
	c.t.Fatalf("apt-cache policy %s: no candidate\n%s", name, out)
	return ""
}

// TestApt serves the repository to apt from file: (no network): apt-get
// update with every warning an error, the candidates, apt-cache show and
// apt-get download of the pool file; then, the canonical Packages files of
// bookworm's amd64 index deleted, a fresh client still updates, fetching
// them by hash.
func TestApt(t *testing.T) {
	r := publish(t)
	oneLine := "deb [trusted=yes] file:" + r.root + " bookworm main\n"
	// bullseye through the deb822 file clients are given (trusted here:
	// signing is not this package's business).
	key := filepath.Join(t.TempDir(), "repo.gpg")
	os.WriteFile(key, nil, 0o644)
	sources := map[string][]byte{"wsgipack.sources": append(SourcesFile("file:"+r.root, "bullseye", key), "Trusted: yes\n"...)}

	c := newAptClient(t, oneLine, sources)
	out := c.run(c.dir, "apt-get", "update", "--error-on=any")
	t.Logf("apt-get update:\n%s", out)
	if got := c.candidate("inventory"); got != "2:1.5.0~rc1-1+deb12" {
		t.Errorf("candidate of inventory: %s", got)
	}
	if got := c.candidate("libinventory-data"); got != "1.0-1+deb12" {
		t.Errorf("candidate of libinventory-data: %s", got)
	}
	show := c.run(c.dir, "apt-cache", "show", "inventory=1.4.2-1+deb11")
	if !strings.Contains(show, "Filename: pool/main/i/inventory/inventory_1.4.2-1+deb11_all.deb\n") {
		t.Errorf("apt-cache show inventory=1.4.2-1+deb11:\n%s", show)
	}
	policy := c.run(c.dir, "apt-cache", "policy", "inventory")
	for _, v := range []string{"2:1.5.0~rc1-1+deb12", "1.4.2-1+deb12", "1.4.2-1+deb11"} {
		if !strings.Contains(policy, " "+v+" ") {
			t.Errorf("apt-cache policy inventory has no %s:\n%s", v, policy)
		}
	}
	dl := t.TempDir()
	c.run(dl, "apt-get", "download", "inventory=2:1.5.0~rc1-1+deb12")
	// apt-get download names the file with the epoch, escaped.
	got, err := os.ReadFile(filepath.Join(dl, "inventory_2%3a1.5.0~rc1-1+deb12_amd64.deb"))
	if err != nil {
		entries, _ := os.ReadDir(dl)
		t.Fatalf("%v (downloaded: %v)", err, entries)
	}
	want, _ := os.ReadFile(r.debs["pool/main/i/inventory/inventory_1.5.0~rc1-1+deb12_amd64.deb"])
	if !bytes.Equal(got, want) {
		t.Error("apt-get download gave other bytes than the pool file")
	}

	// By hash: the canonical files gone, a new client still gets them.
	for _, ext := range []string{"", ".gz", ".xz"} {
		if err := r.st.Remove("dists/bookworm/main/binary-amd64/Packages" + ext); err != nil {
			t.Fatal(err)
		}
	}
	fresh := newAptClient(t, oneLine, nil)
	fresh.run(fresh.dir, "apt-get", "update", "--error-on=any")
	if got := fresh.candidate("inventory"); got != "2:1.5.0~rc1-1+deb12" {
		t.Errorf("by hash: candidate of inventory: %s", got)
	}
	// Without Acquire-By-Hash in the Release the same client must fail:
	// the files really came by hash.
	rel := r.read(t, "dists/bookworm/Release")
	if err := r.st.WriteFile("dists/bookworm/Release", bytes.Replace(rel, []byte("Acquire-By-Hash: yes\n"), nil, 1)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("apt-get", append(append([]string{}, newAptClient(t, oneLine, nil).opts...), "update", "--error-on=any")...)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "binary-amd64/Packages") {
		t.Errorf("apt-get update without by-hash and without Packages files: %v\n%s", err, out)
	}
}
