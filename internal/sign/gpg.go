package sign

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// GPG returns a Signer that has the gpg binary sign (gpg --batch
// --local-user keyID), for keys kept in gpg-agent or on a smartcard. keyID
// is anything gpg's --local-user takes; empty means gpg's default key.
// GPG makes one test signature to learn which (sub)key gpg signs with,
// pins that key for every later signature, and checks it as Load does
// (from its exported public key: revocation, expiry, SHA-1 self-signatures,
// algorithm). gpg finds its keys in GNUPGHOME, as usual.
func GPG(keyID string) (Signer, error) {
	path, err := exec.LookPath("gpg")
	if err != nil {
		return nil, errors.New("gpg is not installed: install it (apt-get install gpg gpg-agent), or give the key in WSGIPACK_SIGNING_KEY")
	}
	s := &gpgSigner{gpg: path, user: keyID}
	probe, err := s.run(nil, "--detach-sign")
	if err != nil {
		return nil, err
	}
	p, err := packet.Read(bytes.NewReader(probe))
	sig, ok := p.(*packet.Signature)
	if err != nil || !ok {
		return nil, fmt.Errorf("gpg --detach-sign did not write a signature packet: %v", err)
	}
	if sig.Version != 4 || sig.Hash != crypto.SHA256 || sig.IssuerKeyId == nil {
		return nil, fmt.Errorf("gpg made a version %d signature with %s: wsgipack needs version 4 signatures with SHA-256 and an issuer (use a v4 key)", sig.Version, hashName(sig.Hash))
	}
	pub, err := s.run(nil, "--export", "--export-options", "export-minimal", fmt.Sprintf("%016X", *sig.IssuerKeyId))
	if err != nil {
		return nil, err
	}
	keys, err := openpgp.ReadKeyRing(bytes.NewReader(pub))
	if err != nil || len(keys) == 0 {
		return nil, fmt.Errorf("gpg --export %016X: cannot read the exported public key: %v", *sig.IssuerKeyId, err)
	}
	now := time.Now()
	c, err := choose(keys, fmt.Sprintf("%016X", *sig.IssuerKeyId), now, false)
	if err != nil {
		return nil, err
	}
	s.key = c.pub
	s.user = fmt.Sprintf("%X!", c.pub.Fingerprint) // "!": exactly this (sub)key
	if s.public, err = exportPublic(c.entity, now); err != nil {
		return nil, err
	}
	s.warnings = append(warnings(c, now), rpmWarnings(c.entity, now)...)
	return s, nil
}

// gpgSigner signs by running gpg.
type gpgSigner struct {
	gpg      string
	user     string
	key      *packet.PublicKey
	public   []byte
	warnings []string
}

func (s *gpgSigner) KeyID() uint64       { return s.key.KeyId }
func (s *gpgSigner) Fingerprint() []byte { return bytes.Clone(s.key.Fingerprint) }
func (s *gpgSigner) Algorithm() string   { return algoName(s.key.PubKeyAlgo) }
func (s *gpgSigner) Warnings() []string  { return append([]string(nil), s.warnings...) }

// ClearSign implements Signer.
func (s *gpgSigner) ClearSign(data []byte) ([]byte, error) {
	return s.run(data, "--clearsign")
}

// DetachSign implements Signer.
func (s *gpgSigner) DetachSign(data []byte, armor bool) ([]byte, error) {
	if armor {
		return s.run(data, "--armor", "--detach-sign")
	}
	return s.run(data, "--detach-sign")
}

// PublicKey implements Signer.
func (s *gpgSigner) PublicKey(armor bool) ([]byte, error) {
	if armor {
		return armored(s.public, openpgp.PublicKeyType)
	}
	return bytes.Clone(s.public), nil
}

// run has gpg sign stdin (or export keys) with the options every call
// shares and returns what gpg writes to stdout.
func (s *gpgSigner) run(stdin []byte, args ...string) ([]byte, error) {
	all := []string{"--batch", "--no-tty", "--yes", "--quiet", "--digest-algo", "SHA256"}
	if s.user != "" {
		all = append(all, "--local-user", s.user)
	}
	all = append(all, args...)
	cmd := exec.Command(s.gpg, all...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		hint := "is the key in this GNUPGHOME (gpg --list-secret-keys), and can gpg-agent unlock it without a prompt?"
		return nil, fmt.Errorf("gpg %s: %s (%s)", strings.Join(args, " "), msg, hint)
	}
	if out.Len() == 0 {
		return nil, fmt.Errorf("gpg %s wrote nothing: %s", strings.Join(args, " "), strings.TrimSpace(stderr.String()))
	}
	return out.Bytes(), nil
}
