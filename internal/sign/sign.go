// Package sign holds the one OpenPGP key that signs everything wsgipack
// publishes: rpm header signatures, apt's InRelease and Release.gpg, and
// yum's repomd.xml.asc. It also exports the key's public part for apt's
// signed-by keyrings and for rpm --import.
//
// Load signs in Go with a private key given as text or as a file; GPG
// delegates to the gpg binary, for keys that live in gpg-agent or on a
// smartcard. Both give a Signer whose signatures are alike: version 4,
// SHA-256, and no critical subpacket that rpm 4.14 (el8) or 4.16 (el9)
// misreads.
//
// Load refuses, naming what to fix, keys that the distributions would reject
// later: expired or revoked keys, SHA-1 self-signatures (EL9 refuses them),
// RSA keys under 2048 bits, algorithms rpm cannot verify, and keys that
// cannot sign. Error messages never contain key material or the passphrase.
package sign

import (
	"bytes"
	"crypto"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Options say where the signing key comes from.
type Options struct {
	// Key is an armored private key, or "@path" to a file holding one
	// (binary or armored). wsgipack reads it from WSGIPACK_SIGNING_KEY.
	Key string
	// Passphrase unlocks an encrypted key; it may be empty. wsgipack reads
	// it from WSGIPACK_SIGNING_PASSPHRASE.
	Passphrase string
	// KeyID, when set, is the hex key id (16 digits) or fingerprint (40
	// digits) of the key or subkey to sign with (--sign-key-id). Empty
	// picks the key as gpg does: the newest valid signing subkey, else the
	// primary key.
	KeyID string
	// Now gives the signature time; nil means time.Now. It must be the
	// real time, never SOURCE_DATE_EPOCH: a signature older than its key
	// is invalid.
	Now func() time.Time
}

// Signer signs with one OpenPGP key. Every signature is a version 4
// signature with SHA-256, made at the time of the call. A Signer may be
// used by several goroutines at once.
type Signer interface {
	// KeyID is the id of the key or subkey that signs.
	KeyID() uint64
	// Fingerprint is the fingerprint of the key or subkey that signs.
	Fingerprint() []byte
	// Algorithm is the signing key's algorithm as rpm names it: "RSA" or
	// "EdDSA".
	Algorithm() string
	// ClearSign returns data with a cleartext signature around it, as
	// apt's InRelease file is.
	ClearSign(data []byte) ([]byte, error)
	// DetachSign returns a detached signature of data: armored for
	// Release.gpg and repomd.xml.asc, or, with armor false, the one binary
	// signature packet an rpm header signature holds.
	DetachSign(data []byte, armor bool) ([]byte, error)
	// PublicKey returns the primary key with its user IDs and its signing
	// subkeys, public parts only: binary for apt's signed-by keyring
	// (.gpg), armored for rpm --import and dnf's gpgkey (.asc).
	PublicKey(armor bool) ([]byte, error)
	// Warnings are problems that do not stop signing, such as an EdDSA key
	// that el8's rpm cannot verify.
	Warnings() []string
}

// Load reads the private key that o describes, checks it and returns a
// Signer that signs with it in Go.
func Load(o Options) (Signer, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	keys, err := readKeys(o.Key)
	if err != nil {
		return nil, err
	}
	t := now()
	c, err := choose(keys, o.KeyID, t, true)
	if err != nil {
		return nil, err
	}
	s := &keySigner{key: c.priv, now: now}
	s.public, err = exportPublic(c.entity, t)
	if err != nil {
		return nil, err
	}
	s.warnings = append(warnings(c, t), rpmWarnings(c.entity, t)...)
	if c.priv.Encrypted {
		if o.Passphrase == "" {
			return nil, fmt.Errorf("signing key %s is protected by a passphrase: set WSGIPACK_SIGNING_PASSPHRASE", c.name())
		}
		if err := c.priv.Decrypt([]byte(o.Passphrase)); err != nil {
			return nil, fmt.Errorf("signing key %s: WSGIPACK_SIGNING_PASSPHRASE does not unlock it (wrong passphrase?)", c.name())
		}
	} else if o.Passphrase != "" {
		s.warnings = append(s.warnings, fmt.Sprintf("signing key %s is not protected by a passphrase, yet WSGIPACK_SIGNING_PASSPHRASE is set", c.name()))
	}
	return s, nil
}

func armored(data []byte, blockType string) ([]byte, error) {
	var b bytes.Buffer
	w, err := armor.Encode(&b, blockType, nil)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// keySigner signs in Go with a decrypted private key.
type keySigner struct {
	key      *packet.PrivateKey
	public   []byte
	now      func() time.Time
	warnings []string
}

func (s *keySigner) KeyID() uint64       { return s.key.KeyId }
func (s *keySigner) Fingerprint() []byte { return bytes.Clone(s.key.Fingerprint) }
func (s *keySigner) Algorithm() string   { return algoName(s.key.PubKeyAlgo) }
func (s *keySigner) Warnings() []string  { return append([]string(nil), s.warnings...) }

// config is the signature configuration: SHA-256 at the signer's time,
// and a non-critical creation time subpacket. go-crypto marks the creation
// time critical by default; rpm 4.14 and 4.16 (el8, el9) compare the
// subpacket type byte with the critical bit still set, so they skip the
// time and show the signature as made in 1970. gpg writes it non-critical
// too. (go-crypto writes the issuer key id and issuer fingerprint
// subpackets of v4 signatures non-critical; a test checks all three.)
func (s *keySigner) config() *packet.Config {
	return &packet.Config{
		DefaultHash: crypto.SHA256,
		Time:        s.now,
		InsecureGenerateNonCriticalSignatureCreationTime: true,
	}
}

// ClearSign implements Signer. As with gpg, the line break that ends data
// is the one before the signature, so verifiers give back data as it was
// (the cleartext format ignores trailing spaces and tabs on each line).
func (s *keySigner) ClearSign(data []byte) ([]byte, error) {
	var b bytes.Buffer
	w, err := clearsign.Encode(&b, s.key, s.config())
	if err != nil {
		return nil, s.fail(err)
	}
	if _, err := w.Write(bytes.TrimSuffix(data, []byte("\n"))); err != nil {
		return nil, s.fail(err)
	}
	if err := w.Close(); err != nil {
		return nil, s.fail(err)
	}
	return b.Bytes(), nil
}

// DetachSign implements Signer.
func (s *keySigner) DetachSign(data []byte, armor bool) ([]byte, error) {
	cfg := s.config()
	sig := &packet.Signature{
		Version:           4,
		SigType:           packet.SigTypeBinary,
		PubKeyAlgo:        s.key.PubKeyAlgo,
		Hash:              crypto.SHA256,
		CreationTime:      cfg.Now(),
		IssuerKeyId:       &s.key.KeyId,
		IssuerKeyVersion:  4,
		IssuerFingerprint: s.key.Fingerprint,
	}
	h, err := sig.PrepareSign(cfg)
	if err != nil {
		return nil, s.fail(err)
	}
	h.Write(data)
	if err := sig.Sign(h, s.key, cfg); err != nil {
		return nil, s.fail(err)
	}
	var b bytes.Buffer
	if err := sig.Serialize(&b); err != nil {
		return nil, s.fail(err)
	}
	if armor {
		return armored(b.Bytes(), "PGP SIGNATURE")
	}
	return b.Bytes(), nil
}

// PublicKey implements Signer.
func (s *keySigner) PublicKey(armor bool) ([]byte, error) {
	if armor {
		return armored(s.public, openpgp.PublicKeyType)
	}
	return bytes.Clone(s.public), nil
}

func (s *keySigner) fail(err error) error {
	return fmt.Errorf("signing with key %016X: %w", s.key.KeyId, err)
}
