package apt

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/publish/publishtest"
)

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

	c := publishtest.NewApt(t, oneLine, sources)
	out := c.Run(c.Dir, "apt-get", "update", "--error-on=any")
	t.Logf("apt-get update:\n%s", out)
	if got := c.Candidate("inventory"); got != "2:1.5.0~rc1-1+deb12" {
		t.Errorf("candidate of inventory: %s", got)
	}
	if got := c.Candidate("libinventory-data"); got != "1.0-1+deb12" {
		t.Errorf("candidate of libinventory-data: %s", got)
	}
	show := c.Run(c.Dir, "apt-cache", "show", "inventory=1.4.2-1+deb11")
	if !strings.Contains(show, "Filename: pool/main/i/inventory/inventory_1.4.2-1+deb11_all.deb\n") {
		t.Errorf("apt-cache show inventory=1.4.2-1+deb11:\n%s", show)
	}
	policy := c.Run(c.Dir, "apt-cache", "policy", "inventory")
	for _, v := range []string{"2:1.5.0~rc1-1+deb12", "1.4.2-1+deb12", "1.4.2-1+deb11"} {
		if !strings.Contains(policy, " "+v+" ") {
			t.Errorf("apt-cache policy inventory has no %s:\n%s", v, policy)
		}
	}
	dl := t.TempDir()
	c.Run(dl, "apt-get", "download", "inventory=2:1.5.0~rc1-1+deb12")
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
	for _, ext := range []string{"", ".gz"} {
		if err := r.st.Remove("dists/bookworm/main/binary-amd64/Packages" + ext); err != nil {
			t.Fatal(err)
		}
	}
	fresh := publishtest.NewApt(t, oneLine, nil)
	fresh.Run(fresh.Dir, "apt-get", "update", "--error-on=any")
	if got := fresh.Candidate("inventory"); got != "2:1.5.0~rc1-1+deb12" {
		t.Errorf("by hash: candidate of inventory: %s", got)
	}
	// Without Acquire-By-Hash in the Release the same client must fail:
	// the files really came by hash.
	rel := r.read(t, "dists/bookworm/Release")
	if err := r.st.WriteFile("dists/bookworm/Release", bytes.Replace(rel, []byte("Acquire-By-Hash: yes\n"), nil, 1)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("apt-get", append(append([]string{}, publishtest.NewApt(t, oneLine, nil).Opts...), "update", "--error-on=any")...)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "binary-amd64/Packages") {
		t.Errorf("apt-get update without by-hash and without Packages files: %v\n%s", err, out)
	}
}
