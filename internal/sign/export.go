package sign

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// part is one packet of the exported public key; sig is set for
// signatures, with what names it for warnings.
type part struct {
	pkt  interface{ Serialize(io.Writer) error }
	sig  *packet.Signature
	what string
}

// publicParts lists the public parts of e that verifiers need: the primary
// key, its valid user IDs with their newest self-signature, and its signing
// subkeys that are not revoked, each with its newest binding signature.
func publicParts(e *openpgp.Entity, t time.Time) []part {
	parts := []part{{pkt: e.PrimaryKey}}
	for _, id := range sortedIdentities(e) {
		if id.SelfSignature == nil || id.Revoked(t) {
			continue
		}
		parts = append(parts, part{pkt: id.UserId},
			part{pkt: id.SelfSignature, sig: id.SelfSignature, what: fmt.Sprintf("the self-signature on user ID %q", id.Name)})
	}
	for _, c := range candidates(e, t)[1:] {
		if !c.canSign() || c.revoked {
			continue
		}
		parts = append(parts, part{pkt: c.pub},
			part{pkt: c.sig, sig: c.sig, what: fmt.Sprintf("the binding signature of subkey %016X", c.pub.KeyId)})
	}
	return parts
}

// exportPublic serializes publicParts.
func exportPublic(e *openpgp.Entity, t time.Time) ([]byte, error) {
	var b bytes.Buffer
	for _, p := range publicParts(e, t) {
		if err := p.pkt.Serialize(&b); err != nil {
			return nil, fmt.Errorf("exporting the public key: %w", err)
		}
	}
	return b.Bytes(), nil
}

// rpmImplements are the signature subpackets rpm's own OpenPGP parser
// implements (rpmpgp_internal.c in rpm 4.17 and later, also in SUSE's
// rpm 4.14): creation time, issuer and key flags. That parser refuses a
// key with any other subpacket marked critical. rpm 4.14 and 4.16 as
// released compare the type byte with the critical bit set and so ignore
// such subpackets; Sequoia-based rpm (el10, Fedora) knows them all.
var rpmImplements = map[byte]bool{2: true, 16: true, 27: true}

// subpacketNames names the subpackets go-crypto marks critical in the keys
// it makes.
var subpacketNames = map[byte]string{3: "signature expiration time", 9: "key expiration time", 32: "embedded signature"}

// rpmUnknownCritical returns the critical subpackets of sig that rpm's own
// OpenPGP parser does not implement.
func rpmUnknownCritical(sig *packet.Signature) []byte {
	var b bytes.Buffer
	if sig.Serialize(&b) != nil {
		return nil
	}
	data := b.Bytes()
	// go-crypto writes new-format packet headers: tag, then a length.
	switch {
	case len(data) < 2:
		return nil
	case data[1] < 192:
		data = data[2:]
	case data[1] < 224:
		data = data[3:]
	default:
		data = data[6:]
	}
	if len(data) < 6 || data[0] != 4 {
		return nil
	}
	var found []byte
	rest := data[4:]
	for area := 0; area < 2 && len(rest) >= 2; area++ {
		n := int(rest[0])<<8 | int(rest[1])
		if len(rest) < 2+n {
			return found
		}
		sub := rest[2 : 2+n]
		rest = rest[2+n:]
		for len(sub) > 0 {
			var l, hl int
			switch {
			case sub[0] < 192:
				l, hl = int(sub[0]), 1
			case sub[0] < 255 && len(sub) >= 2:
				l, hl = (int(sub[0])-192)<<8+int(sub[1])+192, 2
			case len(sub) >= 5:
				l, hl = int(sub[1])<<24|int(sub[2])<<16|int(sub[3])<<8|int(sub[4]), 5
			default:
				return found
			}
			if l < 1 || len(sub) < hl+l {
				return found
			}
			if typ := sub[hl] & 0x7f; sub[hl]&0x80 != 0 && !rpmImplements[typ] {
				found = append(found, typ)
			}
			sub = sub[hl+l:]
		}
	}
	return found
}

// rpmWarnings warns when rpm builds with rpm's own OpenPGP parser would
// refuse to import the public key.
func rpmWarnings(e *openpgp.Entity, t time.Time) []string {
	var w []string
	for _, p := range publicParts(e, t) {
		if p.sig == nil {
			continue
		}
		var names []string
		for _, typ := range rpmUnknownCritical(p.sig) {
			name := subpacketNames[typ]
			if name == "" {
				name = fmt.Sprintf("type %d", typ)
			}
			names = append(names, name)
		}
		if len(names) > 0 {
			w = append(w, fmt.Sprintf("signing key %s: %s marks the %s subpacket critical, so rpm built with its own OpenPGP parser (rpm 4.17 and later without Sequoia: Debian's, Ubuntu's and SUSE's rpm) refuses to import the public key; Sequoia-based rpm (el10, Fedora) accepts it. Keys made by gpg do not have this; go-crypto-made keys do",
				keyName(e, e.PrimaryKey), p.what, strings.Join(names, ", ")))
		}
	}
	return w
}
