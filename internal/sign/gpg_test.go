package sign

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// TestGPG signs with gpg from the GNUPGHOME the RSA fixture was made in.
// gpg, given the primary key, must pick the subkey Load picks, and its
// signatures must verify with gpgv against GPG's exported public key and
// carry no critical subpacket.
func TestGPG(t *testing.T) {
	need(t, "gpg", "gpg-agent", "gpgv")
	rk := rsaKeyFixture(t)
	t.Setenv("GNUPGHOME", rk.home)
	loaded, err := Load(Options{Key: rk.armored, Now: signTime})
	if err != nil {
		t.Fatal(err)
	}
	s, err := GPG(fmt.Sprintf("%X", rk.entity.PrimaryKey.Fingerprint))
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID() != rk.newer.KeyId || s.KeyID() != loaded.KeyID() || !bytes.Equal(s.Fingerprint(), rk.newer.Fingerprint) || s.Algorithm() != "RSA" {
		t.Errorf("gpg signs with %016X (%s), Load with %016X; want the newer subkey %016X", s.KeyID(), s.Algorithm(), loaded.KeyID(), rk.newer.KeyId)
	}
	if w := s.Warnings(); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
	pub, err := s.PublicKey(false)
	if err != nil {
		t.Fatal(err)
	}
	if lp, _ := loaded.PublicKey(false); !bytes.Equal(pub, lp) {
		t.Error("GPG's and Load's public keys differ")
	}

	dir := t.TempDir()
	keyring := writeFile(t, dir, "repo.gpg", pub)
	releasePath := writeFile(t, dir, "Release", []byte(release))
	fpr := fmt.Sprintf("%X", rk.newer.Fingerprint)
	start := time.Now().Add(-time.Second)
	check := func(raw []byte) {
		t.Helper()
		checkSubpackets(t, raw, s.KeyID(), time.Time{})
		if p, ok := parseSignature(t, raw).find(2); !ok || time.Unix(int64(binary.BigEndian.Uint32(p.data)), 0).Before(start.Truncate(time.Second)) {
			t.Error("gpg's signature time is not now")
		}
	}

	inRelease, err := s.ClearSign([]byte(release))
	if err != nil {
		t.Fatal(err)
	}
	status := run(t, "gpgv", "--homedir", dir, "--status-fd", "1", "--keyring", keyring, writeFile(t, dir, "InRelease", inRelease))
	checkValidSig(t, status, fpr, time.Time{}, rk.entity.PrimaryKey)
	block, _ := clearsign.Decode(inRelease)
	if block == nil || string(block.Plaintext) != strings.TrimSuffix(trimLines(release), "\n") {
		t.Fatalf("gpg's InRelease does not hold the Release file:\n%s", inRelease)
	}
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(block.ArmoredSignature.Body); err != nil {
		t.Fatal(err)
	}
	check(raw.Bytes())

	for _, armor := range []bool{true, false} {
		sig, err := s.DetachSign([]byte(release), armor)
		if err != nil {
			t.Fatal(err)
		}
		status := run(t, "gpgv", "--homedir", dir, "--status-fd", "1", "--keyring", keyring, writeFile(t, dir, "Release.gpg", sig), releasePath)
		checkValidSig(t, status, fpr, time.Time{}, rk.entity.PrimaryKey)
		if armor {
			sig = dearmor(t, sig)
		}
		check(sig)
	}

	// --sign-key-id names the older subkey: gpg must use exactly it.
	older, err := GPG(hexID(rk.older.KeyId) + "!")
	if err != nil {
		t.Fatal(err)
	}
	if older.KeyID() != rk.older.KeyId {
		t.Errorf("GPG(older subkey) signs with %016X, want %016X", older.KeyID(), rk.older.KeyId)
	}

	if _, err := GPG("nobody@example.com"); err == nil || !strings.Contains(err.Error(), "nobody@example.com") || !strings.Contains(err.Error(), "--list-secret-keys") {
		t.Errorf("GPG of an unknown key: %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := GPG(""); err == nil || !strings.Contains(err.Error(), "gpg is not installed") {
		t.Errorf("GPG without gpg: %v", err)
	}
}

// TestLoadGPGKeys loads keys as gpg exports them: a passphrase-protected
// ed25519 key (gpg's own key protection); and refuses one whose
// self-signature gpg made with SHA-1 (until it is re-signed as the error
// says), and a 1024-bit RSA key.
func TestLoadGPGKeys(t *testing.T) {
	t.Parallel()
	need(t, "gpg", "gpg-agent")
	home := gnupgHome(t)
	const pass = "gpg passphrase"
	gen := func(uid, algo, passphrase string, extra ...string) string {
		t.Helper()
		if _, err := gpgAt(home, -time.Hour, passphrase, append(extra, "--quick-gen-key", uid, algo, "sign", "never")...); err != nil {
			t.Fatal(err)
		}
		out, err := gpgAt(home, -time.Hour, passphrase, "--armor", "--export-secret-keys", uid)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	protected := gen("Ed Protected <ed@example.com>", "ed25519", pass)
	s, err := Load(Options{Key: protected, Passphrase: pass, Now: signTime})
	if err != nil {
		t.Fatal(err)
	}
	if s.Algorithm() != "EdDSA" || !strings.Contains(strings.Join(s.Warnings(), "\n"), "EdDSA") {
		t.Errorf("algorithm %s, warnings %q", s.Algorithm(), s.Warnings())
	}
	sig, err := s.DetachSign([]byte(release), false)
	if err != nil {
		t.Fatal(err)
	}
	if p := parseSignature(t, sig); p.pubKeyAlgo != uint8(packet.PubKeyAlgoEdDSA) {
		t.Errorf("signature algorithm %d", p.pubKeyAlgo)
	}
	if _, err := Load(Options{Key: protected, Passphrase: "not " + pass, Now: signTime}); err == nil || !strings.Contains(err.Error(), "does not unlock") {
		t.Errorf("wrong passphrase: %v", err)
	}

	old := gen("Old Hash <old@example.com>", "ed25519", "", "--cert-digest-algo", "SHA1")
	_, err = Load(Options{Key: old, Now: signTime})
	if err == nil || !strings.Contains(err.Error(), "uses SHA-1, which EL9 rejects") {
		t.Fatalf("SHA-1 self-signature: %v", err)
	}
	// The fix the error gives works.
	fix := regexp.MustCompile(`\(gpg (--cert-digest-algo SHA256 --quick-set-expire [0-9A-F]{40}) EXPIRY\)`).FindStringSubmatch(err.Error())
	if fix == nil {
		t.Fatalf("no gpg command in %q", err)
	}
	if _, err := gpgAt(home, -30*time.Minute, "", append(strings.Fields(fix[1]), "never")...); err != nil {
		t.Fatal(err)
	}
	fixed, err := gpgAt(home, -30*time.Minute, "", "--armor", "--export-secret-keys", "old@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(Options{Key: string(fixed), Now: signTime}); err != nil {
		t.Errorf("after the suggested fix: %v", err)
	}
	small := gen("Small RSA <small@example.com>", "rsa1024", "")
	if _, err := Load(Options{Key: small, Now: signTime}); err == nil || !strings.Contains(err.Error(), "1024-bit RSA key") || !strings.Contains(err.Error(), "3072") {
		t.Errorf("RSA 1024: %v", err)
	}
}
