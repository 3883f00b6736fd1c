// Package deb is everything wsgipack knows about the Debian package format:
// the file name, the version string ([epoch:]upstream-revision+suffix), the
// architecture names, Debian's relation syntax (which the spec's depends are
// checked against), the control file, the docs a .deb adds
// (changelog.Debian.gz, lintian overrides) and the streaming writer. It
// registers itself with internal/packager as "deb".
//
// The writer produces the .deb in one streaming pass over the payload.
//
// A .deb is an ar archive of three members, in this order:
//
//	debian-binary   "2.0\n"
//	control.tar.gz  control, md5sums, conffiles and the maintainer scripts
//	data.tar.zst    the files (or data.tar.gz for older dpkg)
//
// The control member comes first but lists the md5sums of every file, and
// an ar header states its member's size before the data. Write therefore
// computes the md5sums first (or takes them from the caller: wsgipack's
// leak scan reads every file anyway), reading the files with one goroutine
// per CPU, then streams the data member, compressed as it goes, straight
// into the output, whose header size it fills in by seeking back. There is
// no temporary file and memory stays flat whatever the payload size: read
// buffers and the compressor's window. (dpkg reads only the first frame of
// a zstd member, so the data member is one zstd frame, compressed by
// libzstd's multi-threaded stream encoder; see internal/compression.)
//
// The tar members use GNU format, owner root:root (uid and gid 0), one
// modification time for everything, entries sorted by name with the
// missing parent directories added, so that equal inputs give byte-identical
// packages. The output is what dpkg-deb reads and lintian checks; the tests
// use both.
package deb
