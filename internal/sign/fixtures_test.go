package sign

import (
	"bytes"
	"crypto"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/wsgipack/wsgipack/internal/testtool"
)

var (
	need = testtool.Need
	run  = testtool.Run
)

// base is the time test keys are made around: a day ago, so that
// signatures at signTime are in the past for every verifier.
var base = time.Now().Add(-24 * time.Hour).Truncate(time.Second)

func at(d time.Duration) func() time.Time {
	t := base.Add(d)
	return func() time.Time { return t }
}

// signTime is the Options.Now of the tests' signers.
var signTime = at(time.Hour)

// genKey makes a v4 key made at base+created: a primary key that certifies
// and signs, and an encryption subkey. edit may change it before it is
// serialized (its cfg makes signatures at the key's time).
func genKey(t testing.TB, name string, algo packet.PublicKeyAlgorithm, bits int, created time.Duration, lifetime uint32, edit func(e *openpgp.Entity, cfg *packet.Config)) *openpgp.Entity {
	t.Helper()
	cfg := &packet.Config{Algorithm: algo, RSABits: bits, Time: at(created), KeyLifetimeSecs: lifetime, DefaultHash: crypto.SHA256}
	e, err := openpgp.NewEntity(name, "", strings.ToLower(strings.Fields(name)[0])+"@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(e, cfg)
	}
	return e
}

// private is e's private key, armored.
func private(t testing.TB, e *openpgp.Entity) string {
	t.Helper()
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SerializePrivateWithoutSigning(w, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// rsaFixture is an RSA key made by gpg, as users make theirs: a primary
// key that certifies and signs (made at base-3h), an encryption subkey
// (cv25519: quicker to make than RSA),
// and two signing subkeys made at base-2h and base-1h: a signer without
// KeyID must pick the newer. It lives in home, a GNUPGHOME that TestGPG
// signs from.
type rsaFixture struct {
	home          string
	armored       string
	entity        *openpgp.Entity
	older, newer  *packet.PublicKey
	encryptionKey *packet.PublicKey
}

var (
	rsaOnce sync.Once
	rsaKey  rsaFixture
	rsaErr  error
)

func rsaKeyFixture(t testing.TB) rsaFixture {
	t.Helper()
	need(t, "gpg", "gpg-agent")
	rsaOnce.Do(func() { rsaKey, rsaErr = makeRSAKey() })
	if rsaErr != nil {
		t.Fatal(rsaErr)
	}
	return rsaKey
}

func makeRSAKey() (rsaFixture, error) {
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		return rsaFixture{}, err
	}
	f := rsaFixture{home: home}
	cleanups = append(cleanups, func() { stopAgent(home); os.RemoveAll(home) })
	gpg := func(d time.Duration, args ...string) ([]byte, error) { return gpgAt(home, d, "", args...) }
	if _, err := gpg(-3*time.Hour, "--quick-gen-key", "Repo Signing <repo@example.com>", "rsa2048", "sign", "never"); err != nil {
		return f, err
	}
	out, err := gpg(-3*time.Hour, "--with-colons", "--list-keys")
	if err != nil {
		return f, err
	}
	var fpr string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "fpr:") {
			fpr = strings.Split(line, ":")[9]
			break
		}
	}
	for _, k := range []struct {
		at          time.Duration
		algo, usage string
	}{{-3 * time.Hour, "cv25519", "encr"}, {-2 * time.Hour, "rsa2048", "sign"}, {-time.Hour, "rsa2048", "sign"}} {
		if _, err := gpg(k.at, "--quick-add-key", fpr, k.algo, k.usage, "never"); err != nil {
			return f, err
		}
	}
	out, err = gpg(-time.Hour, "--armor", "--export-secret-keys", fpr)
	if err != nil {
		return f, err
	}
	f.armored = string(out)
	keys, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(out))
	if err != nil {
		return f, err
	}
	if len(keys) != 1 || len(keys[0].Subkeys) != 3 {
		return f, fmt.Errorf("gpg made %d keys, want one with 3 subkeys", len(keys))
	}
	f.entity = keys[0]
	f.encryptionKey, f.older, f.newer = f.entity.Subkeys[0].PublicKey, f.entity.Subkeys[1].PublicKey, f.entity.Subkeys[2].PublicKey
	return f, nil
}

// gpgAt runs gpg in home as if it were base+d, with passphrase for
// every key it makes or exports, and returns its output.
func gpgAt(home string, d time.Duration, passphrase string, args ...string) ([]byte, error) {
	all := append([]string{"--batch", "--pinentry-mode", "loopback", "--passphrase", passphrase, "--faked-system-time", fmt.Sprintf("%d!", base.Add(d).Unix())}, args...)
	cmd := exec.Command("gpg", all...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("gpg %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// cleanups run after all tests (TestMain).
var cleanups []func()

// stopAgent stops the gpg-agent that gpg started for home, if any.
func stopAgent(home string) {
	if _, err := exec.LookPath("gpgconf"); err == nil {
		cmd := exec.Command("gpgconf", "--kill", "gpg-agent")
		cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
		_ = cmd.Run()
	}
}

// edKey is an ed25519 key without subkeys for signing: the primary signs.
func edKey(t testing.TB, lifetime uint32) *openpgp.Entity {
	return genKey(t, "Ed Signing", packet.PubKeyAlgoEdDSA, 0, -time.Hour, lifetime, nil)
}

// writeFile writes data to name in dir and returns the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// gnupgHome makes an empty GNUPGHOME for gpg and gpgv (given as --homedir
// or in their environment, never set for the whole test process) and
// stops its gpg-agent at the end if one was started.
func gnupgHome(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopAgent(dir)
		os.RemoveAll(dir)
	})
	return dir
}

// subpacket is one signature subpacket as it is on the wire.
type subpacket struct {
	typ      byte
	critical bool
	hashed   bool
	data     []byte
}

// signature is the parsed fixed fields and subpackets of one v4 signature
// packet. It reads the bytes itself, so that nothing in go-crypto can hide
// how a subpacket is flagged.
type signature struct {
	version, sigType, pubKeyAlgo, hash byte
	subpackets                         []subpacket
}

func (s signature) find(typ byte) (subpacket, bool) {
	for _, p := range s.subpackets {
		if p.typ == typ {
			return p, true
		}
	}
	return subpacket{}, false
}

// parseSignature reads data, which must be exactly one signature packet.
func parseSignature(t testing.TB, data []byte) signature {
	t.Helper()
	if len(data) < 2 || data[0]&0x80 == 0 {
		t.Fatalf("not an OpenPGP packet: % x", data[:min(len(data), 8)])
	}
	var tag byte
	var body []byte
	if data[0]&0x40 != 0 { // new format
		tag = data[0] & 0x3f
		n, l := newLength(t, data[1:])
		body = data[1+n:]
		if len(body) != l {
			t.Fatalf("packet length %d, %d bytes follow: want exactly one packet", l, len(body))
		}
	} else { // old format
		tag = (data[0] >> 2) & 0x0f
		var l int
		switch data[0] & 3 {
		case 0:
			l, body = int(data[1]), data[2:]
		case 1:
			l, body = int(binary.BigEndian.Uint16(data[1:])), data[3:]
		case 2:
			l, body = int(binary.BigEndian.Uint32(data[1:])), data[5:]
		default:
			t.Fatal("indeterminate length signature packet")
		}
		if len(body) != l {
			t.Fatalf("packet length %d, %d bytes follow: want exactly one packet", l, len(body))
		}
	}
	if tag != 2 {
		t.Fatalf("packet tag %d, want 2 (signature)", tag)
	}
	s := signature{version: body[0], sigType: body[1], pubKeyAlgo: body[2], hash: body[3]}
	if s.version != 4 {
		t.Fatalf("signature version %d, want 4", s.version)
	}
	rest := body[4:]
	for _, hashed := range []bool{true, false} {
		n := int(binary.BigEndian.Uint16(rest))
		area := rest[2 : 2+n]
		rest = rest[2+n:]
		for len(area) > 0 {
			var l, hl int
			switch {
			case area[0] < 192:
				l, hl = int(area[0]), 1
			case area[0] < 255:
				l, hl = (int(area[0])-192)<<8+int(area[1])+192, 2
			default:
				l, hl = int(binary.BigEndian.Uint32(area[1:])), 5
			}
			p := area[hl : hl+l]
			s.subpackets = append(s.subpackets, subpacket{typ: p[0] & 0x7f, critical: p[0]&0x80 != 0, hashed: hashed, data: p[1:]})
			area = area[hl+l:]
		}
	}
	return s
}

func newLength(t testing.TB, b []byte) (int, int) {
	switch {
	case b[0] < 192:
		return 1, int(b[0])
	case b[0] < 224:
		return 2, (int(b[0])-192)<<8 + int(b[1]) + 192
	case b[0] == 255:
		return 5, int(binary.BigEndian.Uint32(b[1:]))
	}
	t.Fatal("partial body length in a signature packet")
	return 0, 0
}

// dearmor returns the body of the first armored block in data.
func dearmor(t testing.TB, data []byte) []byte {
	t.Helper()
	block, err := armor.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%v:\n%s", err, data)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(block.Body); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// checkSubpackets checks what rpm 4.14 and 4.16 need of a signature: v4,
// SHA-256, and the creation time, issuer key id and issuer fingerprint
// present and not critical (those rpm versions compare the type byte with
// the critical bit set: a critical issuer reads as key ID 00000000, a
// critical creation time as 1970). It also checks the issuer is keyID and
// the time is when (unless when is zero).
func checkSubpackets(t testing.TB, sig []byte, keyID uint64, when time.Time) {
	t.Helper()
	s := parseSignature(t, sig)
	if s.hash != 8 {
		t.Errorf("hash algorithm %d, want 8 (SHA-256)", s.hash)
	}
	for _, typ := range []byte{2, 16, 33} {
		p, ok := s.find(typ)
		if !ok {
			t.Errorf("no subpacket %d", typ)
			continue
		}
		if p.critical {
			t.Errorf("subpacket %d is critical", typ)
		}
		switch typ {
		case 2:
			if got := time.Unix(int64(binary.BigEndian.Uint32(p.data)), 0); !when.IsZero() && !got.Equal(when) {
				t.Errorf("signature time %v, want %v", got, when)
			}
			if !p.hashed {
				t.Error("creation time is not in the hashed area")
			}
		case 16:
			if got := binary.BigEndian.Uint64(p.data); got != keyID {
				t.Errorf("issuer %016X, want %016X", got, keyID)
			}
		case 33:
			if got := binary.BigEndian.Uint64(p.data[len(p.data)-8:]); got != keyID {
				t.Errorf("issuer fingerprint ends in %016X, want %016X", got, keyID)
			}
		}
	}
	for _, p := range s.subpackets {
		if p.critical {
			t.Errorf("subpacket %d is critical; rpm 4.14/4.16 would not know it", p.typ)
		}
	}
}

func hexID(id uint64) string { return fmt.Sprintf("%016X", id) }
