package rpm

import (
	"bytes"
	"crypto"
	"crypto/sha1" //nolint:gosec // rpm's header SHA-1 digest, checked before signing
	"crypto/sha256"
	_ "crypto/sha512" // SHA-384 and SHA-512 signatures
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/wsgipack/wsgipack/internal/rpm/rpmtag"
)

// Errors of Sign that a caller may want to tell apart (errors.Is).
var (
	// ErrNotRPM: the file is not a binary rpm package of format 3 or 4.
	ErrNotRPM = errors.New("not an rpm package")
	// ErrNoReservedSpace: the signature header has no room for the
	// signature (the package was not written by wsgipack or rpmbuild).
	ErrNoReservedSpace = errors.New("not enough reserved space in the signature header to sign in place")
)

const leadSize = 96

var leadMagic = []byte{0xed, 0xab, 0xee, 0xdb}

// OpenPGP algorithm numbers (RFC 4880, RFC 9580).
const (
	pubKeyRSA   = 1
	pubKeyEdDSA = 22 // the Ed25519 of v4 keys, which rpm 4.18 verifies
)

// pubKeyNames and hashNames are the names rpm prints (rpmpgpval.h).
var (
	pubKeyNames = map[int]string{1: "RSA", 2: "RSA", 3: "RSA", 16: "Elgamal", 17: "DSA", 18: "ECDH", 19: "ECDSA", 22: "EdDSA", 25: "X25519", 26: "X448", 27: "Ed25519", 28: "Ed448"}
	hashNames   = map[int]string{1: "MD5", 2: "SHA1", 3: "RIPEMD160", 8: "SHA256", 9: "SHA384", 10: "SHA512", 11: "SHA224", 12: "SHA3-256", 14: "SHA3-512"}
	// signHashes are the hashes Sign accepts: the SHA-2 family, which
	// every rpm since 4.x verifies and no crypto policy refuses.
	signHashes = map[int]crypto.Hash{8: crypto.SHA256, 9: crypto.SHA384, 10: crypto.SHA512, 11: crypto.SHA224}
)

// Signature is what an OpenPGP signature packet says about itself.
type Signature struct {
	Version    int       // packet version: 3, 4 or 6
	Type       int       // signature type: 0 signs a binary document
	PubKeyAlgo int       // OpenPGP public-key algorithm: 1 RSA, 22 EdDSA, ...
	HashAlgo   int       // OpenPGP hash algorithm: 8 SHA-256, 10 SHA-512, ...
	KeyID      uint64    // the signing key's ID, 0 when the packet names none
	Created    time.Time // creation time (UTC); zero when the packet has none

	issuerSubpacket bool    // the key ID is from an issuer key ID subpacket, where rpm 4.18 looks
	hashed          []byte  // v4: version to the end of the hashed subpackets, as hashed
	left16          [2]byte // the first two bytes of the signed hash
	material        []byte  // the algorithm-specific signature (MPIs)
}

// Algorithm is the algorithms as rpm names them: RSA/SHA256, EdDSA/SHA256.
func (s *Signature) Algorithm() string {
	name := func(names map[int]string, n int) string {
		if v, ok := names[n]; ok {
			return v
		}
		return fmt.Sprintf("algorithm %d", n)
	}
	return name(pubKeyNames, s.PubKeyAlgo) + "/" + name(hashNames, s.HashAlgo)
}

// KeyIDHex is the key ID as 16 lower-case hex digits, as gpg and rpm
// print it.
func (s *Signature) KeyIDHex() string { return fmt.Sprintf("%016x", s.KeyID) }

// String is "RSA/SHA256, key ID 0123456789abcdef, 2026-12-02 16:00:00 UTC".
func (s *Signature) String() string {
	t := "no creation time"
	if !s.Created.IsZero() {
		t = s.Created.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return fmt.Sprintf("%s, key ID %s, %s", s.Algorithm(), s.KeyIDHex(), t)
}

// ParseSignature reads one binary OpenPGP signature packet (versions 3, 4
// and 6), as rpm stores it in a signature tag. It reads what the packet
// says; it does not verify it (that needs the key).
func ParseSignature(packet []byte) (*Signature, error) {
	body, err := packetBody(packet)
	if err != nil {
		return nil, err
	}
	short := errors.New("the signature packet is cut off")
	if len(body) < 1 {
		return nil, short
	}
	s := &Signature{Version: int(body[0])}
	switch s.Version {
	case 3:
		// version, 5, type, time(4), key ID(8), public-key algorithm, hash algorithm, left 16 bits
		if len(body) < 19 || body[1] != 5 {
			return nil, short
		}
		s.Type = int(body[2])
		s.Created = time.Unix(int64(binary.BigEndian.Uint32(body[3:7])), 0).UTC()
		s.KeyID = binary.BigEndian.Uint64(body[7:15])
		s.issuerSubpacket = true
		s.PubKeyAlgo, s.HashAlgo = int(body[15]), int(body[16])
		copy(s.left16[:], body[17:19])
		s.material = body[19:]
		return s, nil
	case 4, 6:
		// version, type, public-key algorithm, hash algorithm, hashed
		// subpackets, unhashed subpackets (each after its length: 2 bytes
		// in v4, 4 in v6), left 16 bits, [v6: salt], signature
		if len(body) < 4 {
			return nil, short
		}
		s.Type, s.PubKeyAlgo, s.HashAlgo = int(body[1]), int(body[2]), int(body[3])
		lenSize := 2
		if s.Version == 6 {
			lenSize = 4
		}
		rest := body[4:]
		area := func() ([]byte, error) {
			if len(rest) < lenSize {
				return nil, short
			}
			n := uint64(binary.BigEndian.Uint16(rest))
			if lenSize == 4 {
				n = uint64(binary.BigEndian.Uint32(rest))
			}
			if n > uint64(len(rest)-lenSize) {
				return nil, short
			}
			a := rest[lenSize : lenSize+int(n)]
			rest = rest[lenSize+int(n):]
			return a, nil
		}
		hashed, err := area()
		if err != nil {
			return nil, err
		}
		s.hashed = body[:len(body)-len(rest)]
		unhashed, err := area()
		if err != nil {
			return nil, err
		}
		if err := s.subpackets(hashed, true); err != nil {
			return nil, err
		}
		if err := s.subpackets(unhashed, false); err != nil {
			return nil, err
		}
		if len(rest) < 2 {
			return nil, short
		}
		copy(s.left16[:], rest)
		s.material = rest[2:]
		return s, nil
	}
	return nil, fmt.Errorf("unsupported OpenPGP signature version %d", s.Version)
}

// subpackets reads the creation time (hashed area only, as rpm does) and
// the issuer from a subpacket area.
func (s *Signature) subpackets(area []byte, hashed bool) error {
	for len(area) > 0 {
		var n, hl int
		switch c := int(area[0]); {
		case c < 192:
			n, hl = c, 1
		case c < 255:
			if len(area) < 2 {
				return errors.New("a signature subpacket is cut off")
			}
			n, hl = (c-192)<<8+int(area[1])+192, 2
		default:
			if len(area) < 5 {
				return errors.New("a signature subpacket is cut off")
			}
			n, hl = int(binary.BigEndian.Uint32(area[1:5])), 5
		}
		if n < 1 || n > len(area)-hl {
			return errors.New("a signature subpacket is cut off")
		}
		sp := area[hl : hl+n]
		area = area[hl+n:]
		data := sp[1:]
		switch sp[0] & 0x7f {
		case 2: // signature creation time
			if hashed && len(data) == 4 && s.Created.IsZero() {
				s.Created = time.Unix(int64(binary.BigEndian.Uint32(data)), 0).UTC()
			}
		case 16: // issuer key ID
			if len(data) == 8 && !s.issuerSubpacket {
				s.KeyID, s.issuerSubpacket = binary.BigEndian.Uint64(data), true
			}
		case 33: // issuer fingerprint: v4 key IDs are its last 8 bytes, v5 and v6 its first 8
			if s.issuerSubpacket || len(data) < 9 {
				break
			}
			if fp := data[1:]; data[0] == 4 && len(fp) == 20 {
				s.KeyID = binary.BigEndian.Uint64(fp[12:])
			} else if len(fp) == 32 {
				s.KeyID = binary.BigEndian.Uint64(fp)
			}
		}
	}
	return nil
}

// packetBody returns the body of the one OpenPGP packet that packet holds,
// which must be a signature packet (tag 2), in the old or new format.
func packetBody(packet []byte) ([]byte, error) {
	if bytes.HasPrefix(packet, []byte("-----BEGIN")) {
		return nil, errors.New("the signature is ASCII-armored; rpm stores the binary OpenPGP packet")
	}
	if len(packet) < 2 || packet[0]&0x80 == 0 {
		return nil, errors.New("not an OpenPGP packet")
	}
	var tag, n, hl int
	if packet[0]&0x40 != 0 { // new format
		tag = int(packet[0] & 0x3f)
		switch c := int(packet[1]); {
		case c < 192:
			n, hl = c, 2
		case c < 224:
			if len(packet) < 3 {
				return nil, errors.New("the OpenPGP packet is cut off")
			}
			n, hl = (c-192)<<8+int(packet[2])+192, 3
		case c == 255:
			if len(packet) < 6 {
				return nil, errors.New("the OpenPGP packet is cut off")
			}
			u := binary.BigEndian.Uint32(packet[2:6])
			if u > 1<<30 {
				return nil, errors.New("the OpenPGP packet is too long")
			}
			n, hl = int(u), 6
		default:
			return nil, errors.New("the OpenPGP packet has a partial body length, which rpm does not read")
		}
	} else { // old format
		tag = int(packet[0]>>2) & 0x0f
		switch packet[0] & 3 {
		case 0:
			n, hl = int(packet[1]), 2
		case 1:
			if len(packet) < 3 {
				return nil, errors.New("the OpenPGP packet is cut off")
			}
			n, hl = int(binary.BigEndian.Uint16(packet[1:3])), 3
		case 2:
			if len(packet) < 5 {
				return nil, errors.New("the OpenPGP packet is cut off")
			}
			u := binary.BigEndian.Uint32(packet[1:5])
			if u > 1<<30 {
				return nil, errors.New("the OpenPGP packet is too long")
			}
			n, hl = int(u), 5
		default:
			return nil, errors.New("the OpenPGP packet has an indeterminate length, which rpm does not read")
		}
	}
	if tag != 2 {
		return nil, fmt.Errorf("OpenPGP packet of type %d, not a signature (2)", tag)
	}
	switch {
	case hl+n > len(packet):
		return nil, errors.New("the OpenPGP signature packet is cut off")
	case hl+n < len(packet):
		return nil, fmt.Errorf("%d bytes after the OpenPGP signature packet: want one packet", len(packet)-hl-n)
	}
	return packet[hl:], nil
}

// mpis checks that b is exactly n OpenPGP multiprecision integers.
func mpis(b []byte, n int) bool {
	for ; n > 0; n-- {
		if len(b) < 2 {
			return false
		}
		size := (int(binary.BigEndian.Uint16(b)) + 7) / 8
		if size == 0 || size > len(b)-2 {
			return false
		}
		b = b[2+size:]
	}
	return len(b) == 0
}

// pkg is where the parts of a package file are.
type pkg struct {
	size     int64   // of the file
	sig      []byte  // the signature header, without its padding
	sigSpace int     // the signature header's length with padding: the header starts at leadSize+sigSpace
	sigh     *header // the signature header's tags
	hdr      []byte  // the header, as rpm digests and signs it
}

// readPkg reads and checks the lead, the signature header and the header
// of the package of size bytes in r.
func readPkg(r io.ReaderAt, size int64) (*pkg, error) {
	lead := make([]byte, leadSize)
	if n, _ := r.ReadAt(lead, 0); n < leadSize || !bytes.Equal(lead[:4], leadMagic) {
		return nil, fmt.Errorf("%w: it does not start with an rpm lead (ed ab ee db)", ErrNotRPM)
	}
	if lead[4] != 3 && lead[4] != 4 {
		return nil, fmt.Errorf("%w: unknown format version %d", ErrNotRPM, lead[4])
	}
	if binary.BigEndian.Uint16(lead[6:8]) != 0 {
		return nil, fmt.Errorf("%w: a source package; only binary packages are signed", ErrNotRPM)
	}
	if binary.BigEndian.Uint16(lead[78:80]) != 5 {
		return nil, fmt.Errorf("%w: an old package without a header-style signature", ErrNotRPM)
	}
	structure := func(off int64, what string) ([]byte, error) {
		intro := make([]byte, 16)
		if n, _ := r.ReadAt(intro, off); n < 16 {
			return nil, fmt.Errorf("%w: the %s is cut off", ErrNotRPM, what)
		}
		n, err := headerLen(intro, what)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotRPM, err)
		}
		if int64(n) > size-off {
			return nil, fmt.Errorf("%w: the %s is cut off", ErrNotRPM, what)
		}
		b := make([]byte, n)
		if _, err := r.ReadAt(b, off); err != nil {
			return nil, err
		}
		return b, nil
	}
	p := &pkg{size: size}
	var err error
	if p.sig, err = structure(leadSize, "signature header"); err != nil {
		return nil, err
	}
	if p.sigh, err = parseHeader(p.sig, regionSignatures, "signature header"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotRPM, err)
	}
	p.sigSpace = len(p.sig) + (8-len(p.sig)%8)%8
	hdrStart := int64(leadSize + p.sigSpace)
	if p.hdr, err = structure(hdrStart, "header"); err != nil {
		return nil, err
	}
	if _, err := parseHeader(p.hdr, regionImmutable, "header"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotRPM, err)
	}
	// rpm digests and signs the header with the magic as it writes it,
	// whatever the file's 4 reserved bytes after the magic hold.
	copy(p.hdr[4:8], []byte{0, 0, 0, 0})
	return p, nil
}

// check refuses a package whose header digests or size disagree with its
// signature header: signing would vouch for a damaged package.
func (p *pkg) check() error {
	digest := func(tag int, sum []byte) error {
		e, ok := p.sigh.entries[tag]
		if ok && (e.typ != typeString || string(e.data) != hex.EncodeToString(sum)+"\x00") {
			return fmt.Errorf("the header does not match its digest (signature tag %d): the package is damaged", tag)
		}
		return nil
	}
	s256 := sha256.Sum256(p.hdr)
	s1 := sha1.Sum(p.hdr) //nolint:gosec
	if err := digest(rpmtag.SigSHA256, s256[:]); err != nil {
		return err
	}
	if err := digest(rpmtag.SigSHA1, s1[:]); err != nil {
		return err
	}
	var want int64 = -1
	if e, ok := p.sigh.entries[rpmtag.SigLongSize]; ok && e.typ == typeInt64 {
		want = int64(binary.BigEndian.Uint64(e.data))
	} else if e, ok := p.sigh.entries[rpmtag.SigSize]; ok && e.typ == typeInt32 {
		want = int64(binary.BigEndian.Uint32(e.data))
	}
	if have := p.size - int64(leadSize+p.sigSpace); want >= 0 && want != have {
		return fmt.Errorf("header and payload should have %d bytes, the file has %d: the package is damaged", want, have)
	}
	return nil
}

// headerSignatureTags are the signature header's OpenPGP signatures, which
// signing replaces, as rpmsign does: the header-only ones first.
var headerSignatureTags = []int{rpmtag.SigRSA, rpmtag.SigDSA, rpmtag.SigPGP, rpmtag.SigGPG, rpmtag.SigPGP5}

// Sign adds an OpenPGP header signature to the rpm package f, in place.
//
// sign is called once with the header exactly as rpm verifies a header
// signature (the immutable header region) and returns one binary OpenPGP
// v4 signature packet over it: RSA (stored in tag 268, RPMSIGTAG_RSA) or
// EdDSA (tag 267, RPMSIGTAG_DSA, as rpmsign stores it), with a SHA-2 hash
// (SHA-256 is what rpm signs with), a hashed creation time and an issuer
// key ID subpacket (rpm finds the key by it).
//
// Sign rewrites only the signature header: the signature tag is added and
// RPMSIGTAG_RESERVEDSPACE shrinks by as many bytes, so the file keeps its
// size and every byte after the signature header. Any OpenPGP signature
// the package had is replaced. A file that is not an rpm package
// (ErrNotRPM), a package whose header does not match its digests, and one
// without enough reserved space (ErrNoReservedSpace: rpmbuild and
// wsgipack reserve 4128 bytes, other tools often none) are refused before
// anything is written, as is a signature packet rpm could not use.
func Sign(f *os.File, sign func(data []byte) ([]byte, error)) error {
	if err := signFile(f, sign); err != nil {
		return fmt.Errorf("signing %s: %w", f.Name(), err)
	}
	return nil
}

func signFile(f *os.File, sign func(data []byte) ([]byte, error)) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: not a regular file", ErrNotRPM)
	}
	p, err := readPkg(f, fi.Size())
	if err != nil {
		return err
	}
	if err := p.check(); err != nil {
		return err
	}
	reserved, ok := p.sigh.entries[rpmtag.SigReservedSpace]
	if !ok || reserved.typ != typeBin {
		return fmt.Errorf("%w: the package has no RESERVEDSPACE tag (it was not built by wsgipack or rpmbuild); rpmsign can sign it by rewriting it", ErrNoReservedSpace)
	}

	packet, err := sign(bytes.Clone(p.hdr))
	if err != nil {
		return err
	}
	tag, err := checkHeaderSignature(packet, p.hdr)
	if err != nil {
		return fmt.Errorf("the signature cannot be used: %w", err)
	}

	s := newHeader()
	for t, e := range p.sigh.entries {
		s.entries[t] = e
	}
	for _, t := range headerSignatureTags {
		delete(s.entries, t)
	}
	s.bin(tag, packet)
	// The new signature header must end where the old one did (with its
	// padding), so the header after it stays in place. The reserved space
	// is normally the last data, so it shrinks by exactly what was added;
	// the alignment of tags after it could shift that by a few bytes.
	size := func(n int) int {
		s.bin(rpmtag.SigReservedSpace, make([]byte, n))
		return len(s.bytes(regionSignatures))
	}
	n0 := len(reserved.data) - (size(len(reserved.data)) - len(p.sig))
	best := -1
	for _, exact := range []bool{true, false} {
		for d := 0; d <= 8 && best < 0; d++ {
			for _, n := range []int{n0 - d, n0 + d} {
				if n < 1 || best >= 0 {
					continue
				}
				if l := size(n); l == len(p.sig) || !exact && l+(8-l%8)%8 == p.sigSpace {
					best = n
				}
			}
		}
	}
	if best < 0 {
		return fmt.Errorf("%w: the signature takes %d bytes, the package reserves %d", ErrNoReservedSpace, len(reserved.data)-n0, len(reserved.data))
	}
	size(best)
	b := pad8(s.bytes(regionSignatures))
	if len(b) != p.sigSpace {
		return fmt.Errorf("internal error: the signature header has %d bytes, %d in the file", len(b), p.sigSpace)
	}
	if _, err := f.WriteAt(b, leadSize); err != nil {
		return fmt.Errorf("writing the signature header: %w", err)
	}
	return f.Sync()
}

// checkHeaderSignature checks that packet is one OpenPGP v4 signature over
// hdr that rpm can use, and returns the signature tag it goes in.
func checkHeaderSignature(packet, hdr []byte) (int, error) {
	s, err := ParseSignature(packet)
	if err != nil {
		return 0, err
	}
	if s.Version != 4 {
		return 0, fmt.Errorf("an OpenPGP version %d signature; want version 4", s.Version)
	}
	if s.Type != 0 {
		return 0, fmt.Errorf("signature type %#02x; want 0x00, the signature of a binary document", s.Type)
	}
	var tag, values int
	switch s.PubKeyAlgo {
	case pubKeyRSA:
		tag, values = rpmtag.SigRSA, 1
	case pubKeyEdDSA:
		tag, values = rpmtag.SigDSA, 2
	default:
		return 0, fmt.Errorf("a %s signature; rpm header signatures are RSA or EdDSA", s.Algorithm())
	}
	h, ok := signHashes[s.HashAlgo]
	if !ok {
		return 0, fmt.Errorf("a %s signature; want a SHA-2 hash (SHA256)", s.Algorithm())
	}
	if !mpis(s.material, values) {
		return 0, fmt.Errorf("the %s signature values are malformed", s.Algorithm())
	}
	if s.Created.IsZero() {
		return 0, errors.New("the signature has no hashed creation time, which rpm requires")
	}
	if !s.issuerSubpacket {
		return 0, errors.New("the signature has no issuer key ID subpacket, by which rpm finds the key")
	}
	// A v4 signature hashes the data, the hashed part and a trailer; its
	// first two bytes are in the packet, which tells whether the signature
	// is over the header at all.
	d := h.New()
	d.Write(hdr)
	d.Write(s.hashed)
	d.Write([]byte{4, 0xff})
	_ = binary.Write(d, binary.BigEndian, uint32(len(s.hashed)))
	if !bytes.Equal(d.Sum(nil)[:2], s.left16[:]) {
		return 0, errors.New("the signature is not over the header it was given")
	}
	return tag, nil
}

// ReadSignature returns the header signature of the rpm package of size
// bytes in r (tag 268 or 267, as rpm -K checks them), or nil when it has
// none. It says who signed and when; it does not verify the signature.
func ReadSignature(r io.ReaderAt, size int64) (*Signature, error) {
	p, err := readPkg(r, size)
	if err != nil {
		return nil, err
	}
	for _, t := range []int{rpmtag.SigRSA, rpmtag.SigDSA} {
		if e, ok := p.sigh.entries[t]; ok {
			s, err := ParseSignature(e.data)
			if err != nil {
				return nil, fmt.Errorf("signature tag %d: %w", t, err)
			}
			return s, nil
		}
	}
	return nil, nil
}
