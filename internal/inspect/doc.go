// Package inspect reads a built .deb or .rpm package, with Go only, and
// reports what it will do once installed: its metadata, its relations to
// other packages, its config files, its maintainer scripts in full and its
// file list. It backs `wsgipack inspect`, so that a CI log or an operator
// can review a package before installing it.
//
// The format is told by content, not by file name: a .deb is an ar archive
// ("!<arch>\n") holding debian-binary, control.tar[.gz|.xz|.zst] and
// data.tar[.gz|.xz|.zst]; an .rpm starts with the lead magic ed ab ee db.
// Every problem of the input (not a package, truncated, an unknown
// compression, a malformed header) is an error naming the file and what is
// wrong; the parsers are fuzzed (FuzzRead).
//
// The .deb reader is this package's own (the ar format is a 60-byte header
// per member; the tar and compression readers are the standard library's,
// github.com/klauspost/compress/zstd and github.com/ulikunitz/xz).
//
// The .rpm header is decoded by github.com/cavaliergopher/rpm (BSD-3-Clause),
// chosen over github.com/sassoftware/go-rpmutils (Apache-2.0): both read
// every tag needed here (scripts and their interpreters, requires and
// provides with their flags, file modes, owners, links and flags), but
// cavaliergopher/rpm is pure Go with a single dependency (golang.org/x/crypto,
// already in the build), bounds-checks tag offsets and caps a header at
// 32 MiB, whereas go-rpmutils links the C zstd library through cgo
// (github.com/DataDog/zstd) into every build even when only headers are read,
// slices tag data without bounds checks (a bad offset panics) and allocates
// whatever size a header claims before reading it. Its one weak spot, a
// value count that is allocated before it is checked, is closed by
// checkHeader, which validates every header index against the data before
// the library sees it; the parallel file and dependency arrays are
// assembled here with their lengths checked.
package inspect
