package sign

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// readKeys reads the key ring that spec (Options.Key) gives or names.
func readKeys(spec string) (openpgp.EntityList, error) {
	const fix = "set WSGIPACK_SIGNING_KEY to an armored private key (gpg --armor --export-secret-keys ID) or to @path of a file holding one"
	var data []byte
	from := "WSGIPACK_SIGNING_KEY"
	switch {
	case strings.TrimSpace(spec) == "":
		return nil, fmt.Errorf("no signing key: %s", fix)
	case strings.HasPrefix(spec, "@"):
		path := spec[1:]
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("cannot read the signing key file that WSGIPACK_SIGNING_KEY names: %w", err)
		}
		from = path
	default:
		data = []byte(spec)
		if !bytes.Contains(data, []byte("-----BEGIN PGP")) {
			if info, err := os.Stat(spec); err == nil && info.Mode().IsRegular() {
				return nil, fmt.Errorf("WSGIPACK_SIGNING_KEY names a file: write @%s to read the key from it", spec)
			}
			return nil, fmt.Errorf("WSGIPACK_SIGNING_KEY is not an armored OpenPGP key: %s", fix)
		}
	}
	publicKey := fmt.Errorf("%s holds a public key; signing needs the private key: export it with gpg --armor --export-secret-keys ID", from)
	var keys openpgp.EntityList
	begin := []byte("-----BEGIN PGP ")
	if !bytes.Contains(data, begin) {
		var err error
		if keys, err = openpgp.ReadKeyRing(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("%s is not a usable OpenPGP private key: %v", from, err)
		}
	}
	// Each armored block in turn: a file may hold several keys.
	for rest := data; bytes.Contains(rest, begin); {
		rest = rest[bytes.Index(rest, begin):]
		block, err := armor.Decode(bytes.NewReader(rest))
		if err != nil {
			if !bytes.Contains(rest, []byte("\n")) && bytes.Contains(rest, []byte(`\n`)) {
				return nil, fmt.Errorf("%s holds the two characters \\n instead of line breaks: store the key with real line breaks (or as a file, given as @path)", from)
			}
			return nil, fmt.Errorf("%s: broken armor: %v", from, err)
		}
		switch block.Type {
		case openpgp.PrivateKeyType:
		case openpgp.PublicKeyType:
			return nil, publicKey
		default:
			return nil, fmt.Errorf("%s holds a %q block, not a private key: %s", from, block.Type, fix)
		}
		ks, err := openpgp.ReadKeyRing(block.Body)
		if err != nil {
			return nil, fmt.Errorf("%s is not a usable OpenPGP private key: %v", from, err)
		}
		keys = append(keys, ks...)
		rest = rest[len(begin):]
		if i := bytes.Index(rest, []byte("-----END PGP ")); i >= 0 {
			rest = rest[i:]
		}
	}
	var private openpgp.EntityList
	for _, e := range keys {
		if hasPrivate(e) {
			private = append(private, e)
		}
	}
	if len(private) == 0 {
		return nil, publicKey
	}
	return private, nil
}

// hasPrivate says whether e came from a private key export: it has a
// private key packet, if only a gpg stub (which pick then skips).
func hasPrivate(e *openpgp.Entity) bool {
	if e.PrivateKey != nil {
		return true
	}
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil {
			return true
		}
	}
	return false
}

// candidate is one key of an entity, primary or subkey, with the
// signature that gives it its properties.
type candidate struct {
	entity  *openpgp.Entity
	pub     *packet.PublicKey
	priv    *packet.PrivateKey // nil for keys read by GPG
	sig     *packet.Signature  // primary self-signature or subkey binding
	revoked bool
	primary bool
}

func (c candidate) name() string {
	return keyName(c.entity, c.pub)
}

// keyName names a key by id and, for the primary key's user ID, e.g.
// "0123456789ABCDEF (Ops <ops@example.com>)" or "subkey 0123456789ABCDEF of
// FEDCBA9876543210 (Ops <ops@example.com>)".
func keyName(e *openpgp.Entity, pub *packet.PublicKey) string {
	uid := ""
	if id := e.PrimaryIdentity(); id != nil {
		uid = " (" + id.Name + ")"
	}
	if pub == e.PrimaryKey || pub.KeyId == e.PrimaryKey.KeyId {
		return fmt.Sprintf("%016X%s", pub.KeyId, uid)
	}
	return fmt.Sprintf("subkey %016X of %016X%s", pub.KeyId, e.PrimaryKey.KeyId, uid)
}

// canSign says whether c's algorithm and key flags allow signing. A key
// without key flags signs if its algorithm can, as in gpg.
func (c candidate) canSign() bool {
	if !c.pub.PubKeyAlgo.CanSign() || c.sig == nil {
		return false
	}
	return !c.sig.FlagsValid || c.sig.FlagSign
}

// unusable says why c cannot sign at t, or "" when it can. It checks what
// gpg checks when it picks a key: flags, revocation, expiry and, when
// private is set, that the private part is there.
func (c candidate) unusable(t time.Time, private bool) string {
	switch {
	case !c.canSign():
		return "cannot sign (no sign flag)"
	case c.revoked:
		return "is revoked"
	case c.pub.CreationTime.After(t):
		return fmt.Sprintf("was created on %s, after the signature time %s: check the clock (never sign at SOURCE_DATE_EPOCH)", day(c.pub.CreationTime), day(t))
	case c.pub.KeyExpired(c.sig, t) || c.sig.SigExpired(t):
		return fmt.Sprintf("expired on %s: extend it (%s) and export the key again", day(expiry(c)), setExpire(c, "2y"))
	case private && (c.priv == nil || c.priv.Dummy()):
		return "has no private part here (a gpg stub: the key is on a smartcard or was left out by --export-secret-subkeys); export its private part, or sign with gpg"
	}
	return ""
}

// expiry is when c expires (the zero time if it never does).
func expiry(c candidate) time.Time {
	var ends []time.Time
	if c.sig.KeyLifetimeSecs != nil && *c.sig.KeyLifetimeSecs != 0 {
		ends = append(ends, c.pub.CreationTime.Add(time.Duration(*c.sig.KeyLifetimeSecs)*time.Second))
	}
	if c.sig.SigLifetimeSecs != nil && *c.sig.SigLifetimeSecs != 0 {
		ends = append(ends, c.sig.CreationTime.Add(time.Duration(*c.sig.SigLifetimeSecs)*time.Second))
	}
	var first time.Time
	for _, e := range ends {
		if first.IsZero() || e.Before(first) {
			first = e
		}
	}
	return first
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// candidates lists the primary key and the subkeys of e.
func candidates(e *openpgp.Entity, t time.Time) []candidate {
	selfSig, _ := e.PrimarySelfSignature()
	cs := []candidate{{entity: e, pub: e.PrimaryKey, priv: e.PrivateKey, sig: selfSig, revoked: e.Revoked(t), primary: true}}
	for i := range e.Subkeys {
		s := &e.Subkeys[i]
		cs = append(cs, candidate{entity: e, pub: s.PublicKey, priv: s.PrivateKey, sig: s.Sig, revoked: s.Revoked(t)})
	}
	return cs
}

// choose picks the signing key: the one keyID names, else the one gpg would
// pick. It checks the key's entity and the key itself. private says the
// key's private part must be present (Load, not GPG).
func choose(keys openpgp.EntityList, keyID string, t time.Time, private bool) (candidate, error) {
	var picked candidate
	if keyID != "" {
		id, fpr, err := parseKeyID(keyID)
		if err != nil {
			return candidate{}, err
		}
		var found []candidate
		for _, e := range keys {
			for _, c := range candidates(e, t) {
				if c.pub.KeyId == id && (fpr == nil || bytes.Equal(c.pub.Fingerprint, fpr)) {
					found = append(found, c)
				}
			}
		}
		if len(found) == 0 {
			return candidate{}, fmt.Errorf("no key or subkey with id %s in the signing key; it holds: %s", keyID, listKeys(keys, t))
		}
		picked = found[0]
		if err := checkEntity(picked.entity, t); err != nil {
			return candidate{}, err
		}
		if why := picked.unusable(t, private); why != "" {
			return candidate{}, fmt.Errorf("signing key %s %s; signing keys here: %s", picked.name(), why, listKeys(keys, t))
		}
	} else {
		if len(keys) > 1 {
			var names []string
			for _, e := range keys {
				names = append(names, keyName(e, e.PrimaryKey))
			}
			return candidate{}, fmt.Errorf("the signing key holds %d keys: choose one with --sign-key-id; they are: %s", len(keys), strings.Join(names, ", "))
		}
		e := keys[0]
		if err := checkEntity(e, t); err != nil {
			return candidate{}, err
		}
		var err error
		if picked, err = pick(e, t, private); err != nil {
			return candidate{}, err
		}
	}
	return picked, checkKey(picked)
}

// pick chooses as gpg does: the newest (by creation time) usable signing
// subkey, else the primary key.
func pick(e *openpgp.Entity, t time.Time, private bool) (candidate, error) {
	cs := candidates(e, t)
	best := -1
	var why []string
	for i, c := range cs[1:] {
		if !c.canSign() {
			continue
		}
		if w := c.unusable(t, private); w != "" {
			why = append(why, fmt.Sprintf("signing subkey %016X %s", c.pub.KeyId, w))
			continue
		}
		if best < 0 || c.pub.CreationTime.After(cs[best].pub.CreationTime) {
			best = i + 1
		}
	}
	if best > 0 {
		return cs[best], nil
	}
	primary := cs[0]
	w := primary.unusable(t, private)
	if w == "" {
		return primary, nil
	}
	if !primary.canSign() && len(why) == 0 {
		return candidate{}, fmt.Errorf("signing key %s cannot sign: neither it nor a subkey has the sign flag; add a signing subkey: gpg --quick-add-key %X rsa3072 sign 2y", primary.name(), e.PrimaryKey.Fingerprint)
	}
	why = append(why, "primary key "+w)
	return candidate{}, fmt.Errorf("signing key %s has no usable signing key: %s", primary.name(), strings.Join(why, "; "))
}

// checkEntity refuses a primary key that no verifier would accept, whatever
// key of it signs: revoked, expired, no valid user ID, v5/v6, SHA-1 self-signatures.
func checkEntity(e *openpgp.Entity, t time.Time) error {
	name := keyName(e, e.PrimaryKey)
	if e.PrimaryKey.Version != 4 {
		return fmt.Errorf("signing key %s is a version %d key; rpm and gpg 2.2 (Debian 12, EL9) verify version 4 keys only: create a v4 key", name, e.PrimaryKey.Version)
	}
	if e.Revoked(t) {
		return fmt.Errorf("signing key %s is revoked: create a new key and publish its public key to the servers", name)
	}
	selfSig, id := e.PrimarySelfSignature()
	if selfSig == nil {
		return fmt.Errorf("signing key %s has no valid self-signature: re-sign its user ID with gpg", name)
	}
	if id != nil && id.Revoked(t) {
		return fmt.Errorf("signing key %s: every user ID is revoked: add a user ID (gpg --quick-add-uid)", name)
	}
	primary := candidate{entity: e, pub: e.PrimaryKey, sig: selfSig, primary: true}
	if e.PrimaryKey.CreationTime.After(t) {
		return fmt.Errorf("signing key %s was created on %s, after the signature time %s: check the clock (never sign at SOURCE_DATE_EPOCH)", name, day(e.PrimaryKey.CreationTime), day(t))
	}
	if e.PrimaryKey.KeyExpired(selfSig, t) || selfSig.SigExpired(t) {
		return fmt.Errorf("signing key %s expired on %s: extend it (%s) and export it again", name, day(expiry(primary)), setExpire(primary, "2y"))
	}
	for _, uid := range sortedIdentities(e) {
		if uid.SelfSignature == nil || uid.Revoked(t) {
			continue
		}
		if weak(uid.SelfSignature.Hash) {
			return fmt.Errorf("signing key %s: the self-signature on user ID %q uses %s, which EL9 rejects: re-sign it with SHA-256 (gpg --cert-digest-algo SHA256 %s) and export the key again", name, uid.Name, hashName(uid.SelfSignature.Hash), strings.TrimPrefix(setExpire(primary, "EXPIRY"), "gpg "))
		}
	}
	return nil
}

// checkKey refuses a signing key whose algorithm or binding rpm, apt or
// EL9 would reject.
func checkKey(c candidate) error {
	name := c.name()
	if !c.primary {
		if weak(c.sig.Hash) {
			return fmt.Errorf("signing key %s: its binding signature uses %s, which EL9 rejects: re-sign it with SHA-256 (gpg --cert-digest-algo SHA256 %s) and export the key again", name, hashName(c.sig.Hash), strings.TrimPrefix(setExpire(c, "EXPIRY"), "gpg "))
		}
		if b := c.sig.EmbeddedSignature; b != nil && weak(b.Hash) {
			return fmt.Errorf("signing key %s: its back-signature uses %s, which EL9 rejects: re-sign it with SHA-256 (gpg --cert-digest-algo SHA256 %s) and export the key again", name, hashName(b.Hash), strings.TrimPrefix(setExpire(c, "EXPIRY"), "gpg "))
		}
	}
	if c.pub.Version != 4 {
		return fmt.Errorf("signing key %s is a version %d key; rpm and gpg 2.2 verify version 4 keys only", name, c.pub.Version)
	}
	switch c.pub.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly:
		bits, err := c.pub.BitLength()
		if err != nil {
			return fmt.Errorf("signing key %s: %v", name, err)
		}
		if bits < 2048 {
			return fmt.Errorf("signing key %s is a %d-bit RSA key; EL9 and apt reject RSA keys under 2048 bits: create a 3072- or 4096-bit key", name, bits)
		}
	case packet.PubKeyAlgoEdDSA:
		curve, err := c.pub.Curve()
		if err != nil || curve != packet.Curve25519 {
			return fmt.Errorf("signing key %s is an EdDSA key on curve %s; rpm verifies ed25519 only: use an RSA (3072 bits) or ed25519 key", name, curve)
		}
	default:
		return fmt.Errorf("signing key %s uses public key algorithm %s; rpm verifies RSA and ed25519 (legacy EdDSA) signatures only: use an RSA (3072 bits) or ed25519 key", name, algoName(c.pub.PubKeyAlgo))
	}
	return nil
}

func weak(h crypto.Hash) bool {
	return h == crypto.MD5 || h == crypto.SHA1 || h == crypto.RIPEMD160
}

func hashName(h crypto.Hash) string {
	switch h {
	case crypto.MD5:
		return "MD5"
	case crypto.SHA1:
		return "SHA-1"
	case crypto.RIPEMD160:
		return "RIPEMD-160"
	}
	return h.String()
}

func algoName(a packet.PublicKeyAlgorithm) string {
	switch a {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly:
		return "RSA"
	case packet.PubKeyAlgoEdDSA:
		return "EdDSA"
	case packet.PubKeyAlgoDSA:
		return "DSA"
	case packet.PubKeyAlgoECDSA:
		return "ECDSA"
	case packet.PubKeyAlgoEd25519:
		return "Ed25519 (RFC 9580)"
	case packet.PubKeyAlgoEd448:
		return "Ed448"
	}
	return fmt.Sprintf("%d", a)
}

// setExpire is the gpg command that sets c's expiry, which also makes its
// self-signature (or binding signature) anew.
func setExpire(c candidate, expire string) string {
	cmd := fmt.Sprintf("gpg --quick-set-expire %X %s", c.entity.PrimaryKey.Fingerprint, expire)
	if !c.primary {
		cmd += fmt.Sprintf(" %X", c.pub.Fingerprint)
	}
	return cmd
}

// listKeys names the keys in keys that can sign at t, for errors.
func listKeys(keys openpgp.EntityList, t time.Time) string {
	var names []string
	for _, e := range keys {
		for _, c := range candidates(e, t) {
			if c.unusable(t, false) == "" {
				names = append(names, fmt.Sprintf("%016X", c.pub.KeyId))
			}
		}
	}
	if len(names) == 0 {
		return "no key that can sign"
	}
	return strings.Join(names, ", ")
}

// parseKeyID reads a 16-digit key id or a 40-digit fingerprint, with or
// without 0x, spaces and gpg's trailing "!".
func parseKeyID(s string) (uint64, []byte, error) {
	h := strings.ToUpper(strings.TrimSuffix(strings.ReplaceAll(strings.TrimSpace(s), " ", ""), "!"))
	h = strings.TrimPrefix(h, "0X")
	bad := func() (uint64, []byte, error) {
		return 0, nil, fmt.Errorf("--sign-key-id %q is not a key id: give the 16-digit key id or the 40-digit fingerprint (gpg --list-secret-keys --keyid-format long)", s)
	}
	if len(h) == 8 {
		return 0, nil, fmt.Errorf("--sign-key-id %q is a short key id, which many keys share: give the 16-digit key id or the 40-digit fingerprint", s)
	}
	if len(h) != 16 && len(h) != 40 {
		return bad()
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return bad()
	}
	var id uint64
	for _, x := range b[len(b)-8:] {
		id = id<<8 | uint64(x)
	}
	if len(b) == 20 {
		return id, b, nil
	}
	return id, nil, nil
}

// warnings are what the chosen key does not stop but should be known.
func warnings(c candidate, t time.Time) []string {
	var w []string
	if c.pub.PubKeyAlgo == packet.PubKeyAlgoEdDSA {
		w = append(w, fmt.Sprintf("signing key %s is an EdDSA (ed25519) key: el8's rpm 4.14 cannot verify EdDSA signatures (rpm 4.16, el9, can); sign packages for el8 with an RSA key (3072 bits)", c.name()))
	}
	for _, k := range []candidate{c, {entity: c.entity, pub: c.entity.PrimaryKey, sig: primarySig(c.entity), primary: true}} {
		if end := expiry(k); !end.IsZero() && end.Sub(t) < 30*24*time.Hour {
			w = append(w, fmt.Sprintf("signing key %s expires on %s: extend it soon (%s), or apt and dnf will refuse the repository", k.name(), day(end), setExpire(k, "2y")))
			break
		}
	}
	return w
}

func primarySig(e *openpgp.Entity) *packet.Signature {
	s, _ := e.PrimarySelfSignature()
	return s
}

// sortedIdentities lists e's user IDs, the primary one first, then by name.
func sortedIdentities(e *openpgp.Entity) []*openpgp.Identity {
	first := e.PrimaryIdentity()
	var ids []*openpgp.Identity
	for _, id := range e.Identities {
		if id != first {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Name < ids[j].Name })
	if first != nil {
		ids = append([]*openpgp.Identity{first}, ids...)
	}
	return ids
}
