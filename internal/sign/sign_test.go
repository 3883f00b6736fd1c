package sign

import (
	"bytes"
	"crypto"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// release is a small apt Release file; the leading dash and the trailing
// spaces test the cleartext framework's escaping.
const release = "Origin: wsgipack\nLabel: wsgipack\nSuite: stable\nCodename: bookworm\nDate: Sat, 21 Nov 2026 10:00:00 UTC\n" +
	"Architectures: amd64\nComponents: main\n- a line with a dash  \nSHA256:\n 0123456789abcdef 1234 main/binary-amd64/Packages\n"

// TestSignaturesVerify signs InRelease, Release.gpg (armored and binary)
// with an RSA signing subkey and with an ed25519 primary key, then has
// gpgv, apt's own gpgv method, gpg and rpmkeys check them against the
// exported public key (binary for gpgv and apt, armored for gpg and rpm).
func TestSignaturesVerify(t *testing.T) {
	t.Parallel()
	need(t, "gpgv", "gpg", "rpmkeys", "rpm", aptGPGV)
	rk := rsaKeyFixture(t)
	ed := edKey(t, 0)
	dir := t.TempDir()
	for _, tc := range []struct {
		name     string
		opts     Options
		signer   *packet.PublicKey
		primary  *packet.PublicKey
		algo     string
		warnings []string
	}{
		{"rsa-subkey", Options{Key: rk.armored, Now: signTime}, rk.newer, rk.entity.PrimaryKey, "RSA", nil},
		{"ed25519", Options{Key: "@" + writeFile(t, dir, "ed.key", []byte(private(t, ed))), Now: signTime}, ed.PrimaryKey, ed.PrimaryKey, "EdDSA", []string{"EdDSA", "el8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			home := gnupgHome(t)
			s, err := Load(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if s.KeyID() != tc.signer.KeyId || !bytes.Equal(s.Fingerprint(), tc.signer.Fingerprint) || s.Algorithm() != tc.algo {
				t.Fatalf("signer %016X %X %s, want %016X %X %s", s.KeyID(), s.Fingerprint(), s.Algorithm(), tc.signer.KeyId, tc.signer.Fingerprint, tc.algo)
			}
			w := strings.Join(s.Warnings(), "\n")
			if (w == "") != (len(tc.warnings) == 0) {
				t.Errorf("warnings %q, want ones mentioning %q", w, tc.warnings)
			}
			for _, want := range tc.warnings {
				if !strings.Contains(w, want) {
					t.Errorf("warnings %q lack %q", w, want)
				}
			}
			pubGPG, err := s.PublicKey(false)
			if err != nil {
				t.Fatal(err)
			}
			pubASC, err := s.PublicKey(true)
			if err != nil {
				t.Fatal(err)
			}
			keyring := writeFile(t, home, "repo.gpg", pubGPG)
			asc := writeFile(t, home, "repo.asc", pubASC)
			releasePath := writeFile(t, home, "Release", []byte(release))
			fpr := fmt.Sprintf("%X", tc.signer.Fingerprint)
			when := signTime()

			// apt: gpgv --keyring repo.gpg InRelease, and the signed text
			// is the Release file, byte for byte.
			inRelease, err := s.ClearSign([]byte(release))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(inRelease, []byte("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n")) {
				t.Errorf("InRelease starts with %q", inRelease[:min(60, len(inRelease))])
			}
			out := filepath.Join(home, "Release.out")
			status := run(t, "gpgv", "--homedir", home, "--status-fd", "1", "--keyring", keyring, "--output", out, writeFile(t, home, "InRelease", inRelease))
			checkValidSig(t, status, fpr, when, tc.primary)
			if got, err := os.ReadFile(out); err != nil || string(got) != trimLines(release) {
				t.Errorf("gpgv's signed text differs from the Release file (%v):\n%q\n%q", err, got, trimLines(release))
			}
			aptVerify(t, filepath.Join(home, "InRelease"), filepath.Join(home, "InRelease"), keyring, tc.signer.KeyId)
			block, _ := clearsign.Decode(inRelease)
			if block == nil {
				t.Fatalf("no cleartext signature in:\n%s", inRelease)
			}
			raw, err := io.ReadAll(block.ArmoredSignature.Body)
			if err != nil {
				t.Fatal(err)
			}
			checkSubpackets(t, raw, tc.signer.KeyId, when)

			// Release.gpg, armored and binary (the binary one is what an
			// rpm header signature holds).
			for _, armor := range []bool{true, false} {
				sig, err := s.DetachSign([]byte(release), armor)
				if err != nil {
					t.Fatal(err)
				}
				if armor != bytes.HasPrefix(sig, []byte("-----BEGIN PGP SIGNATURE-----\n")) {
					t.Errorf("armor %v: signature starts with %q", armor, sig[:min(40, len(sig))])
				}
				status := run(t, "gpgv", "--homedir", home, "--status-fd", "1", "--keyring", keyring, writeFile(t, home, "Release.gpg", sig), releasePath)
				checkValidSig(t, status, fpr, when, tc.primary)
				if armor { // apt reads Release.gpg as text: binary ones are NODATA
					aptVerify(t, filepath.Join(home, "Release.gpg"), releasePath, keyring, tc.signer.KeyId)
				}
				raw := sig
				if armor {
					raw = dearmor(t, sig)
				}
				checkSubpackets(t, raw, tc.signer.KeyId, when)
				if p := parseSignature(t, raw); p.sigType != 0 {
					t.Errorf("signature type %#x, want 0 (binary document)", p.sigType)
				}
			}

			// gpg --import of the armored export, then gpg --verify.
			run(t, "gpg", "--homedir", home, "--batch", "--import", asc)
			sig, _ := s.DetachSign([]byte(release), true)
			status = run(t, "gpg", "--homedir", home, "--batch", "--status-fd", "1", "--verify", writeFile(t, home, "repomd.xml.asc", sig), releasePath)
			checkValidSig(t, status, fpr, when, tc.primary)

			// rpm --import of the armored export.
			db := filepath.Join(home, "rpmdb")
			run(t, "rpmkeys", "--dbpath", db, "--import", asc)
			q := run(t, "rpm", "--dbpath", db, "-q", "gpg-pubkey", "--qf", "%{version}\n")
			if want := fmt.Sprintf("%08x", uint32(tc.primary.KeyId)); strings.TrimSpace(q) != want {
				t.Errorf("rpm -q gpg-pubkey: %q, want %q", q, want)
			}
		})
	}
}

// aptGPGV is apt's verifier: the acquire method that checks InRelease and
// Release.gpg (it runs gpgv with the source's Signed-By keyring and applies
// apt's own rules, such as refusing weak digests).
const aptGPGV = "/usr/lib/apt/methods/gpgv"

// aptVerify has apt's gpgv method check signature (a clearsigned file when
// it is file) over file with keyring, and checks that keyID made it.
func aptVerify(t *testing.T, signature, file, keyring string, keyID uint64) {
	t.Helper()
	cmd := exec.Command(aptGPGV)
	cmd.Stdin = strings.NewReader(fmt.Sprintf("600 URI Acquire\nURI: gpgv:%s\nFilename: %s\nSigned-By: %s\n\n", signature, file, keyring))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "201 URI Done") || !strings.Contains(string(out), fmt.Sprintf("GOODSIG %016X", keyID)) {
		t.Errorf("apt's gpgv method does not accept %s (%v):\n%s", filepath.Base(signature), err, out)
	}
}

// trimLines drops trailing spaces and tabs from each line, as the
// cleartext signature framework does.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

// checkValidSig checks gpg's status output for a good v4 SHA-256 signature
// by fpr made at when (unless zero), whose primary key is primary.
func checkValidSig(t *testing.T, status, fpr string, when time.Time, primary *packet.PublicKey) {
	t.Helper()
	// VALIDSIG <fpr> <date> <timestamp> <expire> <version> <reserved> <pubkey-algo> <hash-algo> <class> <primary-fpr>
	m := regexp.MustCompile(`(?m)^\[GNUPG:\] VALIDSIG (\S+) \S+ (\d+) \d+ 4 \d+ \d+ 8 0[01] (\S+)$`).FindStringSubmatch(status)
	if m == nil {
		t.Fatalf("no VALIDSIG of a v4 SHA-256 signature:\n%s", status)
	}
	if m[1] != fpr || (!when.IsZero() && m[2] != fmt.Sprint(when.Unix())) || m[3] != fmt.Sprintf("%X", primary.Fingerprint) {
		t.Errorf("VALIDSIG by %s at %s (primary %s), want %s at %d (primary %X)", m[1], m[2], m[3], fpr, when.Unix(), primary.Fingerprint)
	}
	if !strings.Contains(status, "[GNUPG:] GOODSIG ") {
		t.Errorf("no GOODSIG:\n%s", status)
	}
}

// TestKeyChoice checks that without KeyID the newest valid signing subkey
// signs (as gpg chooses; TestGPG checks gpg agrees), and that KeyID picks
// exactly the (sub)key it names, in any of the spellings gpg prints.
func TestKeyChoice(t *testing.T) {
	t.Parallel()
	rk := rsaKeyFixture(t)
	primary := rk.entity.PrimaryKey
	for _, tc := range []struct {
		keyID string
		want  *packet.PublicKey
	}{
		{"", rk.newer},
		{hexID(rk.older.KeyId), rk.older},
		{"0x" + strings.ToLower(hexID(rk.older.KeyId)), rk.older},
		{fmt.Sprintf("%X", rk.newer.Fingerprint), rk.newer},
		{spaced(primary.Fingerprint) + "!", primary},
	} {
		s, err := Load(Options{Key: rk.armored, KeyID: tc.keyID, Now: signTime})
		if err != nil {
			t.Errorf("KeyID %q: %v", tc.keyID, err)
			continue
		}
		if s.KeyID() != tc.want.KeyId {
			t.Errorf("KeyID %q: signs with %016X, want %016X", tc.keyID, s.KeyID(), tc.want.KeyId)
		}
	}

	// A key exported with --export-secret-subkeys OLDER! (the primary key
	// kept offline: a gpg stub; the other subkeys left out): the older
	// subkey signs; asking for the primary key is refused.
	stub, err := gpgAt(rk.home, 0, "", "--armor", "--export-secret-subkeys", hexID(rk.older.KeyId)+"!")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := Load(Options{Key: string(stub), Now: signTime}); err != nil || s.KeyID() != rk.older.KeyId {
		t.Errorf("stub key: %v, want the older subkey %016X", err, rk.older.KeyId)
	}
	if _, err := Load(Options{Key: string(stub), KeyID: hexID(primary.KeyId), Now: signTime}); err == nil || !strings.Contains(err.Error(), "no private part") {
		t.Errorf("stub key, primary key: %v", err)
	}

	// The public key holds the primary key, its user ID and both signing
	// subkeys, and nothing private and no encryption subkey.
	s, err := Load(Options{Key: rk.armored, Now: signTime})
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := s.PublicKey(false)
	keys, err := openpgp.ReadKeyRing(bytes.NewReader(pub))
	if err != nil || len(keys) != 1 {
		t.Fatalf("exported public key: %d keys, %v", len(keys), err)
	}
	e := keys[0]
	var subs []uint64
	for _, sk := range e.Subkeys {
		subs = append(subs, sk.PublicKey.KeyId)
		if sk.PrivateKey != nil {
			t.Error("exported subkey has a private part")
		}
	}
	if e.PrivateKey != nil || e.PrimaryKey.KeyId != primary.KeyId || !slices.Equal(subs, []uint64{rk.older.KeyId, rk.newer.KeyId}) || len(e.Identities) != 1 {
		t.Errorf("exported %016X with subkeys %X and %d user IDs; want %016X with %016X, %016X and 1", e.PrimaryKey.KeyId, subs, len(e.Identities), primary.KeyId, rk.older.KeyId, rk.newer.KeyId)
	}
}

func spaced(fpr []byte) string {
	h := fmt.Sprintf("%X", fpr)
	var parts []string
	for i := 0; i < len(h); i += 4 {
		parts = append(parts, h[i:i+4])
	}
	return strings.Join(parts, " ")
}

// TestRefused checks every key Load must refuse: the error names the
// problem and the fix, and never holds key material or the passphrase.
func TestRefused(t *testing.T) {
	t.Parallel()
	rk := rsaKeyFixture(t)
	const pass = "correct horse battery staple"
	dir := t.TempDir()

	encrypted := edKey(t, 0)
	if err := encrypted.EncryptPrivateKeys([]byte(pass), nil); err != nil {
		t.Fatal(err)
	}
	sha1UID := genKey(t, "Old Hash", packet.PubKeyAlgoEdDSA, 0, -time.Hour, 0, func(e *openpgp.Entity, cfg *packet.Config) {
		id := e.PrimaryIdentity()
		id.SelfSignature.Hash = crypto.SHA1
		if err := id.SelfSignature.SignUserId(id.UserId.Id, e.PrimaryKey, e.PrivateKey, noSalt(cfg)); err != nil {
			t.Fatal(err)
		}
	})
	sha1Binding := genKey(t, "Old Binding", packet.PubKeyAlgoEdDSA, 0, -time.Hour, 0, func(e *openpgp.Entity, cfg *packet.Config) {
		if err := e.AddSigningSubkey(cfg); err != nil {
			t.Fatal(err)
		}
		sk := &e.Subkeys[len(e.Subkeys)-1]
		sk.Sig.Hash = crypto.SHA1
		if err := sk.Sig.SignKey(sk.PublicKey, e.PrivateKey, noSalt(cfg)); err != nil {
			t.Fatal(err)
		}
	})
	revoked := genKey(t, "Revoked Key", packet.PubKeyAlgoEdDSA, 0, -time.Hour, 0, func(e *openpgp.Entity, cfg *packet.Config) {
		if err := e.RevokeKey(packet.KeySuperseded, "superseded", cfg); err != nil {
			t.Fatal(err)
		}
	})
	var revokedSub uint64
	revokedSubkey := genKey(t, "Revoked Subkey", packet.PubKeyAlgoEdDSA, 0, -time.Hour, 0, func(e *openpgp.Entity, cfg *packet.Config) {
		if err := e.AddSigningSubkey(cfg); err != nil {
			t.Fatal(err)
		}
		sk := &e.Subkeys[len(e.Subkeys)-1]
		revokedSub = sk.PublicKey.KeyId
		if err := e.RevokeSubkey(sk, packet.KeyRetired, "retired", cfg); err != nil {
			t.Fatal(err)
		}
	})
	noSign := genKey(t, "Certify Only", packet.PubKeyAlgoEdDSA, 0, -time.Hour, 0, func(e *openpgp.Entity, cfg *packet.Config) {
		id := e.PrimaryIdentity()
		id.SelfSignature.FlagSign = false
		if err := id.SelfSignature.SignUserId(id.UserId.Id, e.PrimaryKey, e.PrivateKey, cfg); err != nil {
			t.Fatal(err)
		}
	})
	var pubOnly bytes.Buffer
	if err := edKey(t, 0).Serialize(&pubOnly); err != nil {
		t.Fatal(err)
	}
	var pubArmored bytes.Buffer
	pa, err := armor.Encode(&pubArmored, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := edKey(t, 0).Serialize(pa); err != nil {
		t.Fatal(err)
	}
	pa.Close()

	cases := []struct {
		name string
		opts Options
		want []string // all in the error
	}{
		{"empty", Options{}, []string{"no signing key", "WSGIPACK_SIGNING_KEY"}},
		{"garbage", Options{Key: "not a key at all"}, []string{"not an armored OpenPGP key", "gpg --armor --export-secret-keys"}},
		{"escaped line breaks", Options{Key: strings.ReplaceAll(rk.armored, "\n", `\n`)}, []string{`\n instead of line breaks`}},
		{"path without @", Options{Key: writeFile(t, dir, "k.asc", []byte(rk.armored))}, []string{"names a file", "@" + dir}},
		{"unreadable file", Options{Key: "@" + filepath.Join(dir, "missing.asc")}, []string{"cannot read the signing key file", "missing.asc", "no such file"}},
		{"armored public key", Options{Key: pubArmored.String()}, []string{"public key", "--export-secret-keys"}},
		{"binary public key", Options{Key: "@" + writeFile(t, dir, "pub.gpg", pubOnly.Bytes())}, []string{"public key", "--export-secret-keys"}},
		{"expired", Options{Key: private(t, genKey(t, "Expired Key", packet.PubKeyAlgoEdDSA, 0, -48*time.Hour, 3600, nil)), Now: signTime}, []string{"expired on", "gpg --quick-set-expire ", " 2y"}},
		{"revoked", Options{Key: private(t, revoked), Now: signTime}, []string{"is revoked", "new key"}},
		{"revoked subkey chosen", Options{Key: private(t, revokedSubkey), KeyID: hexID(revokedSub), Now: signTime}, []string{hexID(revokedSub), "is revoked"}},
		{"sha1 self-signature", Options{Key: private(t, sha1UID), Now: signTime}, []string{"SHA-1", "EL9", "gpg --cert-digest-algo SHA256 --quick-set-expire"}},
		{"sha1 binding", Options{Key: private(t, sha1Binding), Now: signTime}, []string{"binding signature uses SHA-1", "--cert-digest-algo SHA256"}},
		{"no passphrase", Options{Key: private(t, encrypted), Now: signTime}, []string{"protected by a passphrase", "WSGIPACK_SIGNING_PASSPHRASE"}},
		{"wrong passphrase", Options{Key: private(t, encrypted), Passphrase: "wrong " + pass, Now: signTime}, []string{"WSGIPACK_SIGNING_PASSPHRASE does not unlock"}},
		{"cannot sign", Options{Key: private(t, noSign), Now: signTime}, []string{"cannot sign", "--quick-add-key"}},
		{"encryption subkey chosen", Options{Key: rk.armored, KeyID: hexID(rk.encryptionKey.KeyId), Now: signTime}, []string{"cannot sign", hexID(rk.newer.KeyId)}},
		{"unknown key id", Options{Key: rk.armored, KeyID: "0123456789ABCDEF", Now: signTime}, []string{"no key or subkey with id 0123456789ABCDEF", hexID(rk.newer.KeyId)}},
		{"short key id", Options{Key: rk.armored, KeyID: "89ABCDEF", Now: signTime}, []string{"short key id"}},
		{"bad key id", Options{Key: rk.armored, KeyID: "ops@example.com", Now: signTime}, []string{"not a key id", "40-digit fingerprint"}},
		{"time before the key", Options{Key: rk.armored, Now: at(-72 * time.Hour)}, []string{"after the signature time", "SOURCE_DATE_EPOCH"}},
		{"two keys", Options{Key: rk.armored + private(t, edKey(t, 0)), Now: signTime}, []string{"holds 2 keys", "--sign-key-id", "(Repo Signing <repo@example.com>)", "(Ed Signing <ed@example.com>)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Load(tc.opts)
			if err == nil {
				t.Fatalf("Load accepted the key (signs with %016X)", s.KeyID())
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, pass) {
				t.Errorf("error %q holds the passphrase", msg)
			}
			for _, line := range strings.Split(tc.opts.Key, "\n") {
				if strings.Contains(tc.opts.Key, "-----BEGIN") && len(line) >= 16 && !strings.HasPrefix(line, "-----") && strings.Contains(msg, line) {
					t.Errorf("error %q holds key material", msg)
				}
			}
		})
	}
}

// noSalt is cfg without go-crypto's salt notation, which has no SHA-1 size.
func noSalt(cfg *packet.Config) *packet.Config {
	c := *cfg
	off := false
	c.NonDeterministicSignaturesViaNotation = &off
	return &c
}

// TestEncryptedKey loads a passphrase-protected key with its passphrase;
// a passphrase for a key without one is a warning.
func TestEncryptedKey(t *testing.T) {
	t.Parallel()
	const pass = "correct horse battery staple"
	e := edKey(t, 0)
	plain := private(t, e)
	if err := e.EncryptPrivateKeys([]byte(pass), nil); err != nil {
		t.Fatal(err)
	}
	s, err := Load(Options{Key: private(t, e), Passphrase: pass, Now: signTime})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DetachSign([]byte("x"), false); err != nil {
		t.Fatal(err)
	}
	s, err = Load(Options{Key: plain, Passphrase: pass, Now: signTime})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(s.Warnings(), "\n"); !strings.Contains(w, "not protected by a passphrase") {
		t.Errorf("warnings %q", w)
	}
}

// TestExpiresSoon warns about a key that expires within 30 days.
func TestExpiresSoon(t *testing.T) {
	t.Parallel()
	s, err := Load(Options{Key: private(t, edKey(t, 10*24*3600)), Now: signTime})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(s.Warnings(), "\n"); !strings.Contains(w, "expires on") {
		t.Errorf("warnings %q", w)
	}
}

// TestRPMImportWarning: a key made by go-crypto with a signing subkey marks
// the back-signature (embedded signature) critical, which rpm's own
// OpenPGP parser refuses. Load warns, and Debian's rpm (4.18, own parser)
// indeed refuses the key.
func TestRPMImportWarning(t *testing.T) {
	t.Parallel()
	need(t, "rpmkeys")
	e := genKey(t, "Go Made", packet.PubKeyAlgoEdDSA, 0, -time.Hour, 0, func(e *openpgp.Entity, cfg *packet.Config) {
		if err := e.AddSigningSubkey(cfg); err != nil {
			t.Fatal(err)
		}
	})
	s, err := Load(Options{Key: private(t, e), Now: signTime})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(s.Warnings(), "\n"); !strings.Contains(w, "marks the embedded signature subpacket critical") || !strings.Contains(w, "refuses to import") {
		t.Errorf("warnings %q", w)
	}
	dir := t.TempDir()
	pub, _ := s.PublicKey(true)
	out, err := exec.Command("rpmkeys", "--dbpath", filepath.Join(dir, "db"), "--import", writeFile(t, dir, "key.asc", pub)).CombinedOutput()
	if err == nil {
		t.Errorf("rpmkeys imported a key with a critical embedded signature: the warning is wrong for this rpm\n%s", out)
	}
}
