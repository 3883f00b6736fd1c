package rpm

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/wsgipack/wsgipack/internal/rpm/rpmtag"
)

// The tests make OpenPGP keys and signatures with go-crypto, as
// internal/sign does, and check the signed packages with rpm.

var (
	keyTime = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	sigTime = time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)
)

type testKey struct {
	entity *openpgp.Entity
	name   string // RSA, EdDSA, ...
	public string // the armored public key's file
}

func newKey(t *testing.T, algo packet.PublicKeyAlgorithm) *testKey {
	t.Helper()
	cfg := &packet.Config{DefaultHash: crypto.SHA256, Algorithm: algo, RSABits: 2048, Time: func() time.Time { return keyTime }}
	e, err := openpgp.NewEntity("wsgipack test", "", "test@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	k := &testKey{entity: e, name: map[packet.PublicKeyAlgorithm]string{packet.PubKeyAlgoRSA: "RSA", packet.PubKeyAlgoEdDSA: "EdDSA"}[algo]}
	k.public = filepath.Join(t.TempDir(), "key.asc")
	if err := os.WriteFile(k.public, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

// signer signs as internal/sign does: one binary detached signature packet.
func (k *testKey) signer(change func(*packet.Config)) func([]byte) ([]byte, error) {
	return func(data []byte) ([]byte, error) {
		cfg := &packet.Config{DefaultHash: crypto.SHA256, Time: func() time.Time { return sigTime }}
		if change != nil {
			change(cfg)
		}
		var b bytes.Buffer
		err := openpgp.DetachSign(&b, k.entity, bytes.NewReader(data), cfg)
		return b.Bytes(), err
	}
}

// keyID is rpm's short key ID: the last 8 hex digits.
func (k *testKey) keyID() string { return fmt.Sprintf("%08x", uint32(k.entity.PrimaryKey.KeyId)) }

// db is a temporary rpm database holding the keys.
func keyDB(t *testing.T, keys ...*testKey) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range keys {
		run(t, "rpmkeys", "--dbpath", dir, "--import", k.public)
	}
	return dir
}

// checkSig runs rpm -Kv with the database and returns its output; rpm's
// exit status is in ok.
func checkSig(t *testing.T, db, rpm string) (string, bool) {
	t.Helper()
	out, err := exec.Command("rpm", "--dbpath", db, "-Kv", rpm).CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return string(out), err == nil
}

// sigEnd is where the signature header ends (with its padding): signing
// changes nothing after it.
func sigEnd(t *testing.T, data []byte) int {
	t.Helper()
	n, err := headerLen(data[leadSize:], "signature header")
	if err != nil || n == 0 {
		t.Fatalf("no signature header: %v", err)
	}
	return leadSize + n + (8-n%8)%8
}

func signPath(t *testing.T, path string, sign func([]byte) ([]byte, error)) error {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Sign(f, sign)
}

// signatureTags are the signature tags of the package file.
func signatureTags(t *testing.T, data []byte) *header {
	t.Helper()
	p, err := readPkg(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return p.sigh
}

func TestUnsignedReserves(t *testing.T) {
	_, data := write(t, testPackage(t, "zstd:fastest"))
	e, ok := signatureTags(t, data).entries[rpmtag.SigReservedSpace]
	if !ok || e.typ != typeBin || len(e.data) != SignatureReserve || !bytes.Equal(e.data, make([]byte, SignatureReserve)) {
		t.Fatalf("RESERVEDSPACE: %v, type %d, %d bytes, want %d zero bytes", ok, e.typ, len(e.data), SignatureReserve)
	}
	if s, err := ReadSignature(bytes.NewReader(data), int64(len(data))); s != nil || err != nil {
		t.Errorf("ReadSignature of an unsigned package = %v, %v", s, err)
	}
}

func TestSignVerifiedByRPM(t *testing.T) {
	need(t, "rpm", "rpmkeys")
	other := newKey(t, packet.PubKeyAlgoRSA)
	for _, algo := range []packet.PublicKeyAlgorithm{packet.PubKeyAlgoRSA, packet.PubKeyAlgoEdDSA} {
		key := newKey(t, algo)
		t.Run(key.name, func(t *testing.T) {
			rpm, unsigned := write(t, testPackage(t, "zstd:fastest"))
			end := sigEnd(t, unsigned)
			if err := signPath(t, rpm, func(data []byte) ([]byte, error) {
				if !bytes.Equal(data, unsigned[end:end+len(data)]) {
					t.Error("sign was not given the header as it is in the file")
				}
				return key.signer(nil)(data)
			}); err != nil {
				t.Fatal(err)
			}
			signed, err := os.ReadFile(rpm)
			if err != nil {
				t.Fatal(err)
			}
			if len(signed) != len(unsigned) || !bytes.Equal(signed[end:], unsigned[end:]) || !bytes.Equal(signed[:leadSize], unsigned[:leadSize]) {
				t.Fatalf("signing changed more than the signature header: %d bytes before, %d after", len(unsigned), len(signed))
			}
			if sigEnd(t, signed) != end {
				t.Error("the signature header's length changed")
			}
			tags := signatureTags(t, signed)
			wantTag := map[string]int{"RSA": rpmtag.SigRSA, "EdDSA": rpmtag.SigDSA}[key.name]
			if _, ok := tags.entries[wantTag]; !ok {
				t.Errorf("no signature tag %d", wantTag)
			}
			if r := tags.entries[rpmtag.SigReservedSpace]; len(r.data) >= SignatureReserve || !bytes.Equal(r.data, make([]byte, len(r.data))) {
				t.Errorf("RESERVEDSPACE has %d bytes after signing", len(r.data))
			}

			s, err := ReadSignature(bytes.NewReader(signed), int64(len(signed)))
			if err != nil || s == nil {
				t.Fatalf("ReadSignature: %v, %v", s, err)
			}
			want := fmt.Sprintf("%s/SHA256, key ID %016x, 2026-12-02 16:00:00 UTC", key.name, key.entity.PrimaryKey.KeyId)
			if s.String() != want || s.KeyID != key.entity.PrimaryKey.KeyId || !s.Created.Equal(sigTime) {
				t.Errorf("ReadSignature = %q, want %q", s, want)
			}

			db := keyDB(t, key)
			out, ok := checkSig(t, db, rpm)
			for _, w := range []string{
				fmt.Sprintf("Header V4 %s/SHA256 Signature, key ID %s: OK", key.name, key.keyID()),
				"Header SHA256 digest: OK", "Header SHA1 digest: OK", "Payload SHA256 digest: OK",
			} {
				if !strings.Contains(out, w) {
					t.Errorf("rpm -Kv lacks %q:\n%s", w, out)
				}
			}
			if !ok || strings.Contains(out, "BAD") || strings.Contains(out, "NOKEY") {
				t.Errorf("rpm -Kv failed:\n%s", out)
			}
			if q := run(t, "rpm", "--dbpath", db, "-qp", "--qf", "%{SIGPGP:pgpsig}|%{RSAHEADER:pgpsig}|%{DSAHEADER:pgpsig}", rpm); !strings.Contains(q, key.name+"/SHA256") || !strings.Contains(q, "Key ID "+fmt.Sprintf("%016x", key.entity.PrimaryKey.KeyId)) {
				t.Errorf("rpm -qp shows the signature as %q", q)
			}

			// Another key: rpm finds no key for the signature.
			if out, ok := checkSig(t, keyDB(t, other), rpm); ok || !strings.Contains(out, fmt.Sprintf("Signature, key ID %s: NOKEY", key.keyID())) {
				t.Errorf("rpm -Kv with another key:\n%s", out)
			}

			// A byte of the header changed: the signature is bad.
			bad := bytes.Clone(signed)
			i := bytes.Index(bad[end:], []byte("Demo package"))
			if i < 0 {
				t.Fatal("no summary in the header")
			}
			bad[end+i] = 'd'
			badFile := filepath.Join(t.TempDir(), "bad.rpm")
			if err := os.WriteFile(badFile, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, ok := checkSig(t, db, badFile); ok || !regexp.MustCompile(`Header V4 \S+ Signature, key ID \S+: BAD`).MatchString(out) {
				t.Errorf("rpm -Kv of a changed header:\n%s", out)
			}

			// Signing again with another key replaces the signature.
			if err := signPath(t, rpm, other.signer(nil)); err != nil {
				t.Fatal(err)
			}
			again, _ := os.ReadFile(rpm)
			if len(again) != len(unsigned) || !bytes.Equal(again[end:], unsigned[end:]) {
				t.Error("signing again changed more than the signature header")
			}
			tags = signatureTags(t, again)
			_, rsa := tags.entries[rpmtag.SigRSA]
			_, dsa := tags.entries[rpmtag.SigDSA]
			if !rsa || dsa {
				t.Errorf("after signing with an RSA key: RSA tag %v, DSA tag %v", rsa, dsa)
			}
			if out, ok := checkSig(t, keyDB(t, other), rpm); !ok || !strings.Contains(out, fmt.Sprintf("Header V4 RSA/SHA256 Signature, key ID %s: OK", other.keyID())) {
				t.Errorf("rpm -Kv after signing again:\n%s", out)
			}
			if out, _ := checkSig(t, db, rpm); !strings.Contains(out, "NOKEY") {
				t.Errorf("the first signature is still there:\n%s", out)
			}
			// Back to the first key, for the installation.
			if err := signPath(t, rpm, key.signer(nil)); err != nil {
				t.Fatal(err)
			}

			if os.Geteuid() != 0 {
				t.Skip("installing with rpm --root needs root")
			}
			root := t.TempDir()
			install := func() (string, error) {
				out, err := exec.Command("rpm", "--root", root, "--dbpath", "/rpmdb", "--define", "_pkgverify_level signature",
					"-i", "--nodeps", "--noscripts", rpm).CombinedOutput()
				return string(out), err
			}
			if out, err := install(); err == nil {
				t.Errorf("installed without the key, with _pkgverify_level signature:\n%s", out)
			}
			run(t, "rpmkeys", "--root", root, "--dbpath", "/rpmdb", "--import", key.public)
			if out, err := install(); err != nil {
				t.Fatalf("rpm -i: %v\n%s", err, out)
			}
			run(t, "rpm", "--root", root, "--dbpath", "/rpmdb", "-V", "--nodeps", "--noscripts", "demo")
			if q := run(t, "rpm", "--root", root, "--dbpath", "/rpmdb", "-q", "--qf", "%{RSAHEADER:pgpsig}|%{DSAHEADER:pgpsig}", "demo"); !strings.Contains(q, fmt.Sprintf("Key ID %016x", key.entity.PrimaryKey.KeyId)) {
				t.Errorf("the installed package's signature: %q", q)
			}
		})
	}
}

// The reserved space is the same as rpmbuild's, so rpmsign signs wsgipack's
// packages in place too, and Sign replaces rpmsign's signature.
func TestRpmsignInPlace(t *testing.T) {
	need(t, "rpm", "rpmsign", "gpg", "gpgconf")
	key := newKey(t, packet.PubKeyAlgoRSA)
	home := t.TempDir()
	var priv bytes.Buffer
	w, _ := armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	if err := key.entity.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	cmd := exec.Command("gpg", "--homedir", home, "--batch", "--import")
	cmd.Stdin = &priv
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gpg --import: %v\n%s", err, out)
	}
	// rpmsign starts gpg, which starts an agent for the home directory.
	t.Cleanup(func() { _ = exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run() })
	gpg, _ := exec.LookPath("gpg")
	rpm, unsigned := write(t, testPackage(t, "gzip:6"))
	run(t, "rpmsign", "--define", "__gpg "+gpg, "--define", "_gpg_path "+home, "--define", "_gpg_name "+key.entity.PrimaryKey.KeyIdString(), "--addsign", rpm)
	signed, _ := os.ReadFile(rpm)
	end := sigEnd(t, unsigned)
	if len(signed) != len(unsigned) || !bytes.Equal(signed[end:], unsigned[end:]) {
		t.Errorf("rpmsign rewrote the package: %d bytes, %d before", len(signed), len(unsigned))
	}
	s, err := ReadSignature(bytes.NewReader(signed), int64(len(signed)))
	if err != nil || s == nil || s.KeyID != key.entity.PrimaryKey.KeyId || !strings.HasPrefix(s.Algorithm(), "RSA/") {
		t.Fatalf("ReadSignature of rpmsign's signature: %v, %v", s, err)
	}
	db := keyDB(t, key)
	if out, ok := checkSig(t, db, rpm); !ok || !strings.Contains(out, "Signature, key ID "+key.keyID()+": OK") {
		t.Errorf("rpm -Kv after rpmsign:\n%s", out)
	}
	if err := signPath(t, rpm, key.signer(nil)); err != nil {
		t.Fatal(err)
	}
	if out, ok := checkSig(t, db, rpm); !ok || !strings.Contains(out, "Header V4 RSA/SHA256 Signature, key ID "+key.keyID()+": OK") {
		t.Errorf("rpm -Kv after replacing rpmsign's signature:\n%s", out)
	}
	if s3, err := readSig(t, rpm); err != nil || !s3.Created.Equal(sigTime) {
		t.Errorf("after Sign: %v, %v", s3, err)
	}
}

func readSig(t *testing.T, path string) (*Signature, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ReadSignature(bytes.NewReader(data), int64(len(data)))
}

// Sign refuses, leaving the file as it was.
func TestSignRefuses(t *testing.T) {
	rsa := newKey(t, packet.PubKeyAlgoRSA)
	ecdsa := func() *testKey {
		cfg := &packet.Config{DefaultHash: crypto.SHA256, Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256, Time: func() time.Time { return keyTime }}
		e, err := openpgp.NewEntity("ecdsa", "", "ecdsa@example.com", cfg)
		if err != nil {
			t.Fatal(err)
		}
		return &testKey{entity: e}
	}()
	good := rsa.signer(nil)
	pkg := func(change func(p *rpmFile)) func(t *testing.T) string {
		return func(t *testing.T) string {
			p := testPackage(t, "zstd:fastest")
			if change != nil {
				change(p)
			}
			path, _ := write(t, p)
			return path
		}
	}
	file := func(data []byte) func(t *testing.T) string {
		return func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "x.rpm")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}
	}
	edit := func(edit func(data []byte) []byte) func(t *testing.T) string {
		return func(t *testing.T) string {
			path := pkg(nil)(t)
			data, _ := os.ReadFile(path)
			if err := os.WriteFile(path, edit(data), 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}
	}
	_, valid := write(t, testPackage(t, "zstd:fastest"))
	for _, c := range []struct {
		name string
		file func(t *testing.T) string
		sign func([]byte) ([]byte, error)
		want string
		is   error
	}{
		{"text file", file([]byte("hello, world\n")), good, "not an rpm package", ErrNotRPM},
		{"empty file", file(nil), good, "not an rpm package", ErrNotRPM},
		{"deb", file([]byte("!<arch>\ndebian-binary   ")), good, "not an rpm package", ErrNotRPM},
		{"lead only", file(valid[:leadSize]), good, "signature header is cut off", ErrNotRPM},
		{"truncated header", file(valid[:sigEnd(t, valid)+100]), good, "header is cut off", ErrNotRPM},
		{"truncated payload", file(valid[:len(valid)-1]), good, "the package is damaged", nil},
		{"no reserved space", pkg(func(p *rpmFile) { p.reserve = -1 }), good, "no RESERVEDSPACE", ErrNoReservedSpace},
		{"too little reserved space", pkg(func(p *rpmFile) { p.reserve = 200 }), good, "package reserves 200", ErrNoReservedSpace},
		{"changed header", edit(func(d []byte) []byte {
			i := bytes.Index(d, []byte("Demo package"))
			d[i] = 'd'
			return d
		}), good, "does not match its digest", nil},
		{"sign fails", pkg(nil), func([]byte) ([]byte, error) { return nil, errors.New("no card") }, "no card", nil},
		{"armored", pkg(nil), func(data []byte) ([]byte, error) {
			var b bytes.Buffer
			err := openpgp.ArmoredDetachSign(&b, rsa.entity, bytes.NewReader(data), nil)
			return b.Bytes(), err
		}, "ASCII-armored", nil},
		{"two packets", pkg(nil), func(data []byte) ([]byte, error) {
			b, err := good(data)
			return append(b, b...), err
		}, "want one packet", nil},
		{"cut off", pkg(nil), func(data []byte) ([]byte, error) {
			b, err := good(data)
			return b[:len(b)-1], err
		}, "cut off", nil},
		{"empty signature", pkg(nil), func([]byte) ([]byte, error) { return nil, nil }, "not an OpenPGP packet", nil},
		{"other data", pkg(nil), func([]byte) ([]byte, error) { return good([]byte("something else")) }, "not over the header", nil},
		{"text signature", pkg(nil), func(data []byte) ([]byte, error) {
			var b bytes.Buffer
			err := openpgp.DetachSignText(&b, rsa.entity, bytes.NewReader(data), &packet.Config{DefaultHash: crypto.SHA256})
			return b.Bytes(), err
		}, "signature type 0x01", nil},
		{"SHA-1", pkg(nil), func(data []byte) ([]byte, error) {
			// go-crypto does not sign with SHA-1: the hash algorithm byte
			// after the 3-byte packet header, version, type and public-key
			// algorithm becomes SHA-1's.
			b, err := good(data)
			b[3+3] = 2
			return b, err
		}, "RSA/SHA1 signature; want a SHA-2 hash", nil},
		{"ECDSA", pkg(nil), ecdsa.signer(nil), "ECDSA/SHA256 signature; rpm header signatures are RSA or EdDSA", nil},
		{"public key packet", pkg(nil), func([]byte) ([]byte, error) {
			var b bytes.Buffer
			err := rsa.entity.PrimaryKey.Serialize(&b)
			return b.Bytes(), err
		}, "not a signature", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := c.file(t)
			before, _ := os.ReadFile(path)
			err := signPath(t, path, c.sign)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "signing "+path+": ") {
				t.Errorf("error %v, want %q", err, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the file changed")
			}
		})
	}
}

// A package signed once can be signed again whatever the sizes of the old
// and new signatures: the signature header keeps its length, however the
// data after the reserved space aligns.
func TestSignKeepsLength(t *testing.T) {
	rsa := newKey(t, packet.PubKeyAlgoRSA)
	ed := newKey(t, packet.PubKeyAlgoEdDSA)
	path, data := write(t, testPackage(t, "gzip:6"))
	end := sigEnd(t, data)
	for i, k := range []*testKey{rsa, ed, ed, rsa, rsa, ed} {
		// Notations of every length move the alignment of what follows.
		note := strings.Repeat("n", i*3+1)
		if err := signPath(t, path, k.signer(func(c *packet.Config) {
			c.SignatureNotations = []*packet.Notation{{Name: "note@example.com", Value: []byte(note), IsHumanReadable: true}}
		})); err != nil {
			t.Fatalf("signing %d: %v", i, err)
		}
		after, _ := os.ReadFile(path)
		if len(after) != len(data) || !bytes.Equal(after[end:], data[end:]) || sigEnd(t, after) != end {
			t.Fatalf("signing %d changed the layout", i)
		}
		s, err := ReadSignature(bytes.NewReader(after), int64(len(after)))
		if err != nil || s.KeyID != k.entity.PrimaryKey.KeyId {
			t.Fatalf("signing %d: %v %v", i, s, err)
		}
	}
}

func TestParseSignature(t *testing.T) {
	// A v3 signature, as old rpms carry: version 3, hash length 5, type,
	// time, key ID, RSA, SHA-1, left 16 bits, one MPI.
	v3 := []byte{0x88, 0, 3, 5, 0, 0x5f, 0x5e, 0x10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 0xab, 0xcd, 0, 1, 1}
	v3[1] = byte(len(v3) - 2)
	s, err := ParseSignature(v3)
	if err != nil || s.Version != 3 || s.String() != "RSA/SHA1, key ID 0102030405060708, 2020-09-13 12:26:40 UTC" {
		t.Errorf("v3: %v, %v", s, err)
	}
	for _, bad := range [][]byte{nil, {0x88}, {0x88, 5, 3}, {0xc2, 1, 7}, {0xc2, 0xe0, 0}, {0x8b, 0}, {0xc2, 3, 4, 0, 1}} {
		if s, err := ParseSignature(bad); err == nil {
			t.Errorf("% x parsed as %v", bad, s)
		}
	}
}

// FuzzParseSignature: any bytes give a signature or an error, never a panic.
func FuzzParseSignature(f *testing.F) {
	k := &testKey{}
	cfg := &packet.Config{DefaultHash: crypto.SHA256, Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return keyTime }}
	e, err := openpgp.NewEntity("fuzz", "", "fuzz@example.com", cfg)
	if err != nil {
		f.Fatal(err)
	}
	k.entity = e
	sig, err := k.signer(nil)([]byte("data"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sig)
	f.Add([]byte{0x88, 0, 3, 5})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSignature(b)
		if err == nil {
			_ = s.String()
		}
	})
}
