//go:build e2e

package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/publish"
	"github.com/wsgipack/wsgipack/internal/publish/store"
	"github.com/wsgipack/wsgipack/internal/sign"
	"github.com/wsgipack/wsgipack/internal/testtool"
)

// repoSigner makes a signing key with gpg (as an operator would) and loads
// it as publish does.
func repoSigner(t *testing.T) sign.Signer {
	t.Helper()
	private, _ := testtool.GPGKey(t, "Apps Repository <repo@example.com>")
	s, err := sign.Load(sign.Options{Key: string(private)})
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

// stubRPMs builds, with rpmbuild, empty noarch packages that stand in for
// what EL's own repositories provide (names, or "name: provides").
func stubRPMs(t *testing.T, stubs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, provides := range stubs {
		spec := filepath.Join(dir, name+".spec")
		text := "Name: " + name + "\nVersion: 1\nRelease: 1.el9\nSummary: stand-in for EL's " + name + "\nLicense: MIT\nBuildArch: noarch\n"
		if provides != "" {
			text += "Provides: " + provides + "\n"
		}
		text += "%description\nA stand-in.\n%files\n"
		if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("rpmbuild", "--quiet", "-bb", "--define", "_topdir "+filepath.Join(dir, "top"),
			"--define", "_rpmdir "+filepath.Join(dir, "rpms"), "--define", "_build_name_fmt %{NAME}.rpm", spec).CombinedOutput(); err != nil {
			t.Fatalf("rpmbuild %s: %v\n%s", name, err, out)
		}
	}
	return filepath.Join(dir, "rpms")
}

// TestDNFRepository: the example app's el9 rpm published to a signed
// repository served over loopback HTTP; Debian's dnf, in an install root
// of its own with gpgcheck and repo_gpgcheck on and a second repository of
// stand-ins for EL's Python, mod_wsgi and Apache, installs it, upgrades it
// after a second publish, and refuses an unsigned package.
func TestDNFRepository(t *testing.T) {
	for _, tool := range []string{"dnf", "rpmbuild", "rpm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: make deps installs it", tool)
		}
	}
	s := repoSigner(t)
	apps, base := t.TempDir(), t.TempDir()
	srv := httptest.NewServer(http.FileServer(http.Dir(apps)))
	defer srv.Close()
	if _, err := publish.Publish(publish.Options{Store: store.Dir(base), Unsigned: true, ELRelease: "el9"}, []string{stubRPMs(t, map[string]string{
		"python3.11": "", "python3.11-mod_wsgi": "", "httpd": "", "acl": "", "stub-sh": "/bin/sh",
	})}); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dnf := func(repo string, args ...string) (string, error) {
		argv := append([]string{"-y", "--installroot", root, "--releasever=9", "--forcearch", "x86_64", "--setopt=reposdir=/dev/null",
			"--setopt=skip_if_unavailable=False", "--setopt=tsflags=noscripts", // an empty root has no shell for the scriptlets
			"--repofrompath=apps," + repo + "/el9/x86_64", "--setopt=apps.gpgcheck=1", "--setopt=apps.repo_gpgcheck=1",
			"--setopt=apps.gpgkey=" + srv.URL + "/" + publish.KeyASC,
			"--repofrompath=base,file://" + base + "/el9/x86_64", "--setopt=base.gpgcheck=0"}, args...)
		out, err := exec.Command("dnf", argv...).CombinedOutput()
		return string(out), err
	}
	installed := func() string {
		out, _ := exec.Command("rpm", "--root", root, "-q", "--qf", "%{VERSION}-%{RELEASE}", "inventory").CombinedOutput()
		return string(out)
	}
	pub := func(rpm string) {
		t.Helper()
		if _, err := publish.Publish(publish.Options{Store: store.Dir(apps), Signer: s}, []string{rpm}); err != nil {
			t.Fatal(err)
		}
	}
	pub(inventory1.pkg(t, "el9"))
	if out, err := dnf(srv.URL, "install", "inventory"); err != nil || installed() != "1.4.2-1.el9" {
		t.Fatalf("dnf install: %v, installed %q\n%s", err, installed(), out)
	}
	report(t, "dnf install (gpgcheck, repo_gpgcheck, key from the repository) from the published repository: 1.4.2-1.el9")
	pub(inventory2.pkg(t, "el9"))
	if out, err := dnf(srv.URL, "--refresh", "upgrade", "inventory"); err != nil || installed() != "1.5.0-1.el9" {
		t.Fatalf("dnf upgrade: %v, installed %q\n%s", err, installed(), out)
	}
	report(t, "second publish, dnf --refresh upgrade: 1.5.0-1.el9")

	// An unsigned package in a repository whose metadata is signed.
	unsigned := t.TempDir()
	if _, err := publish.Publish(publish.Options{Store: store.Dir(unsigned), Unsigned: true}, []string{inventory1.pkg(t, "el9")}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(unsigned, "el9/x86_64/repodata/repomd.xml.asc"), mustDetach(t, s, filepath.Join(unsigned, "el9/x86_64/repodata/repomd.xml")), 0o644)
	srv2 := httptest.NewServer(http.FileServer(http.Dir(unsigned)))
	defer srv2.Close()
	root = t.TempDir()
	if out, err := dnf(srv2.URL, "install", "inventory"); err == nil {
		t.Fatalf("dnf installed an unsigned package:\n%s", out)
	} else if !strings.Contains(out, "not signed") && !strings.Contains(out, "GPG check FAILED") {
		t.Errorf("dnf refused, but not for the signature:\n%s", out)
	}
	report(t, "an unsigned rpm under gpgcheck=1: dnf refuses it")
}

// mustDetach signs file with s, armored, as publish signs repomd.xml.
func mustDetach(t *testing.T, s sign.Signer, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.DetachSign(data, true)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}
