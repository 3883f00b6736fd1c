// Package rpm is everything wsgipack knows about the RPM package format:
// the file name, the Version, Release and Epoch tags, the architecture names
// (x86_64, aarch64, noarch), rpm's relation syntax (which the spec's depends
// are checked against), the %changelog and the streaming writer of binary
// RPM packages (format version 4). It registers itself with
// internal/packager as "rpm". Tag and flag numbers are in rpm/rpmtag, which
// internal/inspect reads packages with.
//
// The writer produces the package in one streaming pass over the payload.
//
// An RPM file is, in this order:
//
//	lead       96 bytes, obsolete but still required
//	signature  a header structure: header digests (SHA-256, SHA-1), the
//	           size of header plus payload, the uncompressed payload size,
//	           4128 zero bytes of reserved space (RESERVEDSPACE) and, once
//	           signed, the OpenPGP header signature; padded to a multiple
//	           of 8 bytes
//	header     the package: name, version, dependencies, scriptlets,
//	           changelog, and one array per file attribute (sizes, modes,
//	           SHA-256 digests, flags such as %config(noreplace)); it also
//	           holds the SHA-256 of the compressed payload
//	payload    a cpio archive (SVR4 "newc", names "./path"), compressed
//
// Everything before the payload depends on the payload, yet every value
// that does has a fixed length (hex digests, 32-bit sizes). Write therefore
// lays out the header with zero digests, skips its length, streams the
// payload (each file read once: SHA-256 and cpio in the same pass, the
// compressed stream hashed as it is written), then seeks back and writes
// the lead, signature and header for real. Memory stays flat whatever the
// payload size. Packages of 4 GiB or more (payload or installed size) are
// refused: they would need rpm's 64-bit size tags.
//
// Sign adds an OpenPGP v4 header signature (RSA in tag 268, EdDSA in tag
// 267, as rpmsign stores them) to a written package in place: the
// signature is over the header, which stays as it is, and the reserved
// space shrinks by what the signature tag takes, so the signature header
// keeps its length and nothing after it moves. The 4128 bytes reserved
// are rpmbuild's (32 + %__gpg_reserved_space 4096): an RSA-4096
// signature takes about 640 of them, an EdDSA one about 190, and rpmsign
// too signs wsgipack's packages in place. ReadSignature and
// ParseSignature tell who signed and when, for inspect.
//
// The header follows what rpmbuild writes for the same content (tags,
// types, rpmlib() dependencies, sorted file list); the tests check the
// result with rpm -K, rpm -qp, rpmlint and an installation with rpm --root.
// Equal inputs give byte-identical packages.
package rpm
