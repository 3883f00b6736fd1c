//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/publish"
	"github.com/wsgipack/wsgipack/internal/publish/store"
	"github.com/wsgipack/wsgipack/internal/sign"
)

// repoSigner makes a signing key with gpg (as an operator would) and loads
// it as publish does.
func repoSigner(t *testing.T) sign.Signer {
	t.Helper()
	home := t.TempDir()
	gpg := func(args ...string) []byte {
		out, err := exec.Command("gpg", append([]string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
			"--faked-system-time", fmt.Sprintf("%d!", time.Now().Add(-time.Hour).Unix())}, args...)...).Output()
		if err != nil {
			t.Fatalf("gpg %v: %v", args, err)
		}
		return out
	}
	gpg("--quick-gen-key", "Apps Repository <repo@example.com>", "rsa3072", "sign", "never")
	s, err := sign.Load(sign.Options{Key: string(gpg("--armor", "--export-secret-keys"))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAptRepository: the example app published to a signed repository that
// the Debian 12 root reaches as file:/srv/repo (no network): apt-get update
// with Signed-By and every warning an error, apt-get install, an upgrade
// from a second publish, and a rollback to the first version.
func TestAptRepository(t *testing.T) {
	c := New(t)
	c.StartApache(t)
	repo := filepath.Join(t.TempDir(), "repo")
	s := repoSigner(t)
	publishAndSync := func(deb string) {
		t.Helper()
		if _, err := publish.Publish(publish.Options{Store: store.Dir(repo), Signer: s, BaseURL: "file:/srv/repo"}, []string{deb}); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(c.Path("/srv/repo"))
		if out, err := exec.Command("cp", "-a", repo, c.Path("/srv/repo")).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v\n%s", err, out)
		}
	}
	publishAndSync(inventory1.pkg(t, "debian-12"))
	// The client files as published, the key where the .sources says.
	c.MustRun(t, "mkdir", "-p", "/etc/apt/keyrings", "/etc/apt/wsgipack.d")
	c.MustRun(t, "cp", "/srv/repo/"+publish.KeyGPG, "/etc/apt/keyrings/")
	c.MustRun(t, "cp", "/srv/repo/wsgipack-bookworm.sources", "/etc/apt/wsgipack.d/")
	// Only our repository: the root's own mirror is out of reach.
	apt := func(args ...string) string {
		t.Helper()
		argv := append([]string{"apt-get", "-o", "Dir::Etc::sourcelist=/dev/null", "-o", "Dir::Etc::sourceparts=/etc/apt/wsgipack.d", "-y"}, args...)
		out, code := c.RunNoNet(t, argv...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
		return out
	}
	apt("update", "--error-on=any")
	apt("install", "inventory")
	expect(t, "after apt-get install", answer(t, c, "/inventory/"), map[string]string{"version": "1.4.2", "user": "inventory"})
	report(t, "apt-get update (signed, no network) and install from the published repository: app answers 1.4.2")

	publishAndSync(inventory2.pkg(t, "debian-12"))
	apt("update", "--error-on=any")
	apt("install", "--only-upgrade", "inventory")
	expect(t, "after the upgrade", answer(t, c, "/inventory/"), map[string]string{"version": "1.5.0"})
	report(t, "second publish, apt-get install --only-upgrade: app answers 1.5.0")

	apt("install", "--allow-downgrades", "inventory=1.4.2-1+deb12")
	expect(t, "after the rollback", answer(t, c, "/inventory/"), map[string]string{"version": "1.4.2"})
	report(t, "apt-get install inventory=1.4.2-1+deb12 --allow-downgrades: rollback answers 1.4.2")
}
