package sign

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildRPM builds an empty noarch package with rpmbuild.
func buildRPM(t *testing.T) string {
	t.Helper()
	top := t.TempDir()
	spec := writeFile(t, top, "demo.spec", []byte("Name: demo\nVersion: 1.0\nRelease: 1\nSummary: demo\nLicense: MIT\nBuildArch: noarch\n%description\ndemo\n%files\n"))
	run(t, "rpmbuild", "--quiet", "--nodeps", "--define", "_topdir "+top, "-bb", spec)
	return filepath.Join(top, "RPMS", "noarch", "demo-1.0-1.noarch.rpm")
}

// TestRPMSign has rpmsign put DetachSign's binary signature into a
// package's header (rpmsign runs this test binary as its gpg, see
// TestMain), then has rpm check it against the exported public key: rpm
// must read the key ID, the algorithm and the signature time.
func TestRPMSign(t *testing.T) {
	t.Parallel()
	need(t, "rpmbuild", "rpmsign", "rpmkeys", "rpm")
	rk := rsaKeyFixture(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pkg := buildRPM(t)
	for _, tc := range []struct{ name, key, algo string }{
		{"rsa-subkey", rk.armored, "RSA"},
		{"ed25519", private(t, edKey(t, 0)), "EdDSA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s, err := Load(Options{Key: tc.key, Now: signTime})
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(pkg)
			if err != nil {
				t.Fatal(err)
			}
			p := writeFile(t, dir, "demo.rpm", data)
			cmd := exec.Command("rpmsign", "--define", "__gpg "+exe, "--define", "_gpg_name wsgipack", "--addsign", p)
			cmd.Env = append(os.Environ(), fakeGPGKey+"="+tc.key, fmt.Sprintf("%s=%d", fakeGPGTime, signTime().Unix()))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("rpmsign: %v\n%s", err, out)
			}
			pub, _ := s.PublicKey(true)
			db := filepath.Join(dir, "db")
			run(t, "rpmkeys", "--dbpath", db, "--import", writeFile(t, dir, "key.asc", pub))
			id := fmt.Sprintf("%016x", s.KeyID())
			k := run(t, "rpmkeys", "--dbpath", db, "-Kv", p)
			if want := fmt.Sprintf("Header V4 %s/SHA256 Signature, key ID %s: OK", tc.algo, id[8:]); !strings.Contains(k, want) {
				t.Errorf("rpmkeys -Kv lacks %q:\n%s", want, k)
			}
			q := run(t, "rpm", "--dbpath", db, "-qp", "--qf", "%|RSAHEADER?{%{RSAHEADER:pgpsig}}:{%{DSAHEADER:pgpsig}}|\n", p)
			if want := fmt.Sprintf("%s/SHA256, %s, Key ID %s", tc.algo, signTime().Format(time.ANSIC), id); !strings.Contains(q, want) {
				t.Errorf("rpm's signature line %q lacks %q", q, want)
			}
		})
	}
}
