package rpm

import (
	"crypto/sha1" //nolint:gosec // rpm's header SHA-1 digest, beside the SHA-256 one
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/cavaliergopher/cpio"

	"github.com/wsgipack/wsgipack/internal/archive"
	"github.com/wsgipack/wsgipack/internal/compression"
	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/readahead"
	"github.com/wsgipack/wsgipack/internal/rpm/rpmtag"
)

// relation is a dependency: Name, or Name Op Version with Op one of <, <=,
// =, >=, >.
type relation struct{ Name, Op, Version string }

// change is one changelog entry.
type change struct {
	Time   time.Time
	Author string // "Name <mail> - version-release", as rpm shows it
	Text   string // "- what changed"
}

// scriptlets are the scriptlets, run by /bin/sh; empty ones are left out.
type scriptlets struct {
	Pre, Post, PreUn, PostUn string
}

// rpmFile is everything an RPM holds.
type rpmFile struct {
	Name, Version, Release string
	Epoch                  int // 0: none
	Summary, Description   string
	License, Group, URL    string
	Packager, BuildHost    string
	Arch                   string // x86_64, aarch64, noarch
	BuildTime              time.Time
	Requires               []relation
	Scripts                scriptlets
	Changelog              []change
	// Entries are the files, directories and symlinks, in any order. Only
	// these are owned: parent directories are not added.
	Entries []archive.Entry
	// Compression of the payload, e.g. "zstd:fastest".
	Compression string
	// reserve is the size of the signature header's RESERVEDSPACE: 0 for
	// SignatureReserve, negative for none (the tests' foreign package).
	reserve int
}

// SignatureReserve is the number of zero bytes every package's signature
// header reserves (RPMSIGTAG_RESERVEDSPACE) so that Sign, or rpmsign, can
// add a header signature in place, without rewriting the file: the same
// as rpmbuild (32 bytes plus %__gpg_reserved_space, 4096). An RSA-4096
// signature takes about 640 bytes (its index entry, 512 bytes of
// signature, subpackets such as the issuer, its fingerprint and a salt
// notation), an EdDSA one about 190; the rest leaves room for any signer's
// subpackets and larger keys, and keeps packages signable in place by
// rpmsign as rpmbuild's are.
const SignatureReserve = 32 + 4096

const hashAlgoSHA256 = 8

var senses = map[string]uint32{
	"": 0, "<": rpmtag.SenseLess, "<=": rpmtag.SenseLess | rpmtag.SenseEqual, "=": rpmtag.SenseEqual,
	">=": rpmtag.SenseGreater | rpmtag.SenseEqual, ">": rpmtag.SenseGreater,
}

// writeRPM writes the package to w, which must be at its start position.
func writeRPM(w io.WriteSeeker, p *rpmFile) error {
	if err := packager.CheckTime(p.BuildTime, "the build time"); err != nil {
		return err
	}
	for _, c := range p.Changelog {
		if err := packager.CheckTime(c.Time, "a changelog entry's time"); err != nil {
			return err
		}
	}
	entries, err := sorted(p.Entries)
	if err != nil {
		return err
	}
	alg := compression.Algorithm(p.Compression)
	if alg != "zstd" && alg != "gzip" {
		return fmt.Errorf("unknown compression %q", p.Compression)
	}
	var installed int64 // as rpmbuild counts it: files and symlink targets
	for _, e := range entries {
		if e.Ghost && e.Kind != archive.File {
			return fmt.Errorf("%s: only a file can be a ghost", e.Path)
		}
		switch e.Kind {
		case archive.File:
			if e.Ghost {
				continue // not installed by rpm
			}
			if err := checkUint32(e.Path, e.Size); err != nil {
				return err
			}
			installed += e.Size
		case archive.Symlink:
			installed += int64(len(e.Link))
		}
	}
	if err := checkUint32("the installed size", installed); err != nil {
		return err
	}

	// Lay out with zero digests, of the same length as the real ones.
	zero := strings.Repeat("0", 64)
	digests := make([]string, len(entries))
	for i, e := range entries {
		if e.Kind == archive.File && !e.Ghost {
			digests[i] = zero
		}
	}
	h, err := p.header(entries, digests, zero, installed)
	if err != nil {
		return err
	}
	hb := h.bytes(regionImmutable)
	sb := signature(hb, 0, 0, p.reserve)
	reserved := int64(96 + len(sb) + len(hb))

	start, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := w.Seek(start+reserved, io.SeekStart); err != nil {
		return err
	}
	payloadHash := sha256.New()
	compressed := &archive.Counter{W: io.MultiWriter(w, payloadHash)}
	zw, err := compression.New(p.Compression, compressed)
	if err != nil {
		return err
	}
	uncompressed := &archive.Counter{W: zw}
	err = writePayload(uncompressed, entries, digests, p.BuildTime)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := checkUint32("the uncompressed payload", uncompressed.N); err != nil {
		return err
	}
	end, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}

	if h, err = p.header(entries, digests, hex.EncodeToString(payloadHash.Sum(nil)), installed); err != nil {
		return err
	}
	hb = h.bytes(regionImmutable)
	if err := checkUint32("the package", int64(len(hb))+compressed.N); err != nil {
		return err
	}
	sb = signature(hb, int64(len(hb))+compressed.N, uncompressed.N, p.reserve)
	nevr := p.Name + "-" + p.Version + "-" + p.Release
	if got := int64(96 + len(sb) + len(hb)); got != reserved {
		return fmt.Errorf("rpm header: %d bytes, %d reserved", got, reserved)
	}
	if _, err := w.Seek(start, io.SeekStart); err != nil {
		return err
	}
	for _, b := range [][]byte{lead(nevr), sb, hb} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err = w.Seek(end, io.SeekStart)
	return err
}

// signature returns the signature header, padded to 8 bytes: the header
// digests, the sizes and reserve zero bytes of reserved space.
func signature(hb []byte, size, payloadSize int64, reserve int) []byte {
	s := newHeader()
	s1 := sha1.Sum(hb) //nolint:gosec
	s256 := sha256.Sum256(hb)
	s.str(rpmtag.SigSHA1, hex.EncodeToString(s1[:]))
	s.str(rpmtag.SigSHA256, hex.EncodeToString(s256[:]))
	s.int32s(rpmtag.SigSize, uint32(size))
	s.int32s(rpmtag.SigPayloadSize, uint32(payloadSize))
	if reserve == 0 {
		reserve = SignatureReserve
	}
	if reserve > 0 {
		s.bin(rpmtag.SigReservedSpace, make([]byte, reserve))
	}
	return pad8(s.bytes(regionSignatures))
}

// pad8 pads a signature header with zeros to a multiple of 8 bytes, as the
// header after it starts there.
func pad8(b []byte) []byte {
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// sorted checks the entries and sorts them by path, as rpm expects (it
// looks files up by binary search).
func sorted(in []archive.Entry) ([]*archive.Entry, error) {
	out := make([]*archive.Entry, len(in))
	for i := range in {
		e := &in[i]
		if !path.IsAbs(e.Path) || path.Clean(e.Path) != e.Path || e.Path == "/" {
			return nil, fmt.Errorf("entry path %q is not a clean absolute path", e.Path)
		}
		if strings.ContainsFunc(e.Path, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			// rpm -ql, the repository's filelists and %files are line-based.
			return nil, fmt.Errorf("entry path %q holds a control character, which rpm's file lists cannot show", e.Path)
		}
		out[i] = e
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	for i := 1; i < len(out); i++ {
		if out[i].Path == out[i-1].Path {
			return nil, fmt.Errorf("%s is in the package twice", out[i].Path)
		}
	}
	return out, nil
}

// header returns the package header for the entries with the given file
// digests (hex, empty for directories and symlinks) and payload digest.
func (p *rpmFile) header(entries []*archive.Entry, digests []string, payloadDigest string, installed int64) (*header, error) {
	h := newHeader()
	h.strs(rpmtag.I18NTable, []string{"C"})
	h.str(rpmtag.Name, p.Name)
	h.str(rpmtag.Version, p.Version)
	h.str(rpmtag.Release, p.Release)
	if p.Epoch > 0 {
		h.int32s(rpmtag.Epoch, uint32(p.Epoch))
	}
	h.i18n(rpmtag.Summary, p.Summary)
	h.i18n(rpmtag.Description, p.Description)
	h.int32s(rpmtag.BuildTime, uint32(p.BuildTime.Unix()))
	h.str(rpmtag.BuildHost, p.BuildHost)
	h.int32s(rpmtag.Size, uint32(installed))
	h.str(rpmtag.License, p.License)
	if p.Packager != "" {
		h.str(rpmtag.Packager, p.Packager)
	}
	if p.Group != "" {
		h.i18n(rpmtag.Group, p.Group)
	}
	if p.URL != "" {
		h.str(rpmtag.URL, p.URL)
	}
	h.str(rpmtag.OS, "linux")
	h.str(rpmtag.Arch, p.Arch)
	h.str(rpmtag.SourceRPM, fmt.Sprintf("%s-%s-%s.src.rpm", p.Name, p.Version, p.Release))
	h.str(rpmtag.PayloadFormat, "cpio")
	h.str(rpmtag.PayloadCompressor, compression.Algorithm(p.Compression))
	h.str(rpmtag.PayloadFlags, payloadFlags(p.Compression))
	h.strs(rpmtag.PayloadDigest, []string{payloadDigest})
	h.int32s(rpmtag.PayloadDigestAlgo, hashAlgoSHA256)

	// Dependencies: the package's own, the shell for each scriptlet, and
	// the rpm features the package uses, as rpmbuild adds them.
	names, flags, versions := []string{}, []uint32{}, []string{}
	for _, r := range p.Requires {
		f, ok := senses[r.Op]
		if !ok || (r.Op == "") != (r.Version == "") || r.Name == "" {
			return nil, fmt.Errorf("bad dependency %q %q %q", r.Name, r.Op, r.Version)
		}
		names, flags, versions = append(names, r.Name), append(flags, f), append(versions, r.Version)
	}
	scripts := []struct {
		text             string
		tag, prog, sense int
	}{
		{p.Scripts.Pre, rpmtag.PreIn, rpmtag.PreInProg, rpmtag.SensePre},
		{p.Scripts.Post, rpmtag.PostIn, rpmtag.PostInProg, rpmtag.SensePost},
		{p.Scripts.PreUn, rpmtag.PreUn, rpmtag.PreUnProg, rpmtag.SensePreun},
		{p.Scripts.PostUn, rpmtag.PostUn, rpmtag.PostUnProg, rpmtag.SensePostun},
	}
	for _, s := range scripts {
		if s.text == "" {
			continue
		}
		h.str(s.tag, s.text)
		h.str(s.prog, "/bin/sh")
		names, flags, versions = append(names, "/bin/sh"), append(flags, uint32(rpmtag.SenseInterp|s.sense)), append(versions, "")
	}
	rpmlib := [][2]string{
		{"rpmlib(CompressedFileNames)", "3.0.4-1"},
		{"rpmlib(FileDigests)", "4.6.0-1"},
		{"rpmlib(PayloadFilesHavePrefix)", "4.0-1"},
	}
	if compression.Algorithm(p.Compression) == "zstd" {
		rpmlib = append(rpmlib, [2]string{"rpmlib(PayloadIsZstd)", "5.4.18-1"})
	}
	for _, r := range rpmlib {
		names, flags, versions = append(names, r[0]), append(flags, rpmtag.SenseRpmlib|rpmtag.SenseLess|rpmtag.SenseEqual), append(versions, r[1])
	}
	h.strs(rpmtag.RequireName, names)
	h.int32s(rpmtag.RequireFlags, flags...)
	h.strs(rpmtag.RequireVersion, versions)
	evr := p.Version + "-" + p.Release
	if p.Epoch > 0 {
		evr = fmt.Sprintf("%d:%s", p.Epoch, evr)
	}
	h.strs(rpmtag.ProvideName, []string{p.Name})
	h.int32s(rpmtag.ProvideFlags, rpmtag.SenseEqual)
	h.strs(rpmtag.ProvideVersion, []string{evr})

	if len(p.Changelog) > 0 {
		var times []uint32
		var authors, texts []string
		for _, c := range p.Changelog {
			times = append(times, uint32(c.Time.Unix()))
			authors = append(authors, c.Author)
			texts = append(texts, c.Text)
		}
		h.int32s(rpmtag.ChangelogTime, times...)
		h.strs(rpmtag.ChangelogName, authors)
		h.strs(rpmtag.ChangelogText, texts)
	}

	if len(entries) == 0 {
		return h, nil
	}
	n := len(entries)
	var (
		sizes, mtimes, fflags, verify, devices, inodes, dirIndexes = make([]uint32, n), make([]uint32, n), make([]uint32, n), make([]uint32, n), make([]uint32, n), make([]uint32, n), make([]uint32, n)
		modes, rdevs                                               = make([]uint16, n), make([]uint16, n)
		links, users, groups, langs, bases                         = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		dirs                                                       []string
		dirIndex                                                   = map[string]uint32{}
	)
	for i, e := range entries {
		dir, base := path.Split(e.Path)
		di, ok := dirIndex[dir]
		if !ok {
			di = uint32(len(dirs))
			dirIndex[dir] = di
			dirs = append(dirs, dir)
		}
		dirIndexes[i], bases[i] = di, base
		mode := uint16(e.Mode.Perm())
		switch e.Kind {
		case archive.File:
			mode |= 0o100000
			if !e.Ghost { // a ghost has no size and no digest, as rpmbuild writes one that is not in the build root
				sizes[i] = uint32(e.Size)
			}
		case archive.Dir:
			mode |= 0o40000
			sizes[i] = 4096
		case archive.Symlink:
			mode = 0o120777
			sizes[i] = uint32(len(e.Link))
			links[i] = e.Link
		default:
			return nil, fmt.Errorf("%s: unknown entry kind %d", e.Path, e.Kind)
		}
		modes[i] = mode
		mtimes[i] = uint32(p.BuildTime.Unix())
		if e.Config {
			fflags[i] |= rpmtag.FileConfig | rpmtag.FileNoReplace
		}
		if e.Doc {
			fflags[i] |= rpmtag.FileDoc
		}
		verify[i] = 0xffffffff
		if e.Ghost {
			fflags[i] |= rpmtag.FileGhost
			// As rpmbuild: the server's content is not the package's.
			verify[i] &^= rpmtag.VerifyDigest | rpmtag.VerifySize | rpmtag.VerifyLinkTo | rpmtag.VerifyMTime
		}
		devices[i] = 1
		inodes[i] = uint32(i + 1)
		users[i], groups[i] = "root", "root"
		if e.Group != "" {
			groups[i] = e.Group
		}
	}
	h.int32s(rpmtag.FileSizes, sizes...)
	h.int16s(rpmtag.FileModes, modes...)
	h.int16s(rpmtag.FileRDevs, rdevs...)
	h.int32s(rpmtag.FileMTimes, mtimes...)
	h.strs(rpmtag.FileDigests, digests)
	h.strs(rpmtag.FileLinkTos, links)
	h.int32s(rpmtag.FileFlags, fflags...)
	h.strs(rpmtag.FileUserName, users)
	h.strs(rpmtag.FileGroupName, groups)
	h.int32s(rpmtag.FileVerifyFlags, verify...)
	h.int32s(rpmtag.FileDevices, devices...)
	h.int32s(rpmtag.FileInodes, inodes...)
	h.strs(rpmtag.FileLangs, langs)
	h.int32s(rpmtag.DirIndexes, dirIndexes...)
	h.strs(rpmtag.BaseNames, bases)
	h.strs(rpmtag.DirNames, dirs)
	h.int32s(rpmtag.FileDigestAlgo, hashAlgoSHA256)
	return h, nil
}

// payloadFlags is the compression level as rpmbuild records it.
func payloadFlags(setting string) string {
	alg, level, _ := strings.Cut(setting, ":")
	switch {
	case level == "" && alg == "zstd", level == "fastest":
		return "1"
	case level == "default":
		return "3"
	case level == "better":
		return "7"
	case level == "best":
		return "11"
	case level == "":
		return "6"
	}
	return level
}

// writePayload writes the cpio archive and fills in the file digests.
func writePayload(w io.Writer, entries []*archive.Entry, digests []string, mtime time.Time) error {
	cw := cpio.NewWriter(w)
	h := sha256.New()
	var files []readahead.File
	for _, e := range entries {
		if e.Kind == archive.File && e.Source != "" && !e.Ghost {
			files = append(files, readahead.File{Path: e.Source, Size: e.Size})
		}
	}
	ra := readahead.New(files)
	defer ra.Close()
	for i, e := range entries {
		if e.Ghost {
			continue // in the header only
		}
		hdr := &cpio.Header{Name: "." + e.Path, Inode: int64(i + 1), ModTime: mtime, Links: 1}
		switch e.Kind {
		case archive.File:
			hdr.Mode, hdr.Size = cpio.TypeReg|cpio.FileMode(e.Mode.Perm()), e.Size
		case archive.Dir:
			hdr.Mode, hdr.Links = cpio.TypeDir|cpio.FileMode(e.Mode.Perm()), 2
		case archive.Symlink:
			hdr.Mode, hdr.Size = cpio.TypeSymlink|0o777, int64(len(e.Link))
		}
		if err := cw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", e.Path, err)
		}
		switch e.Kind {
		case archive.Symlink:
			if _, err := io.WriteString(cw, e.Link); err != nil {
				return err
			}
		case archive.File:
			h.Reset()
			if err := e.WriteContent(io.MultiWriter(cw, h), ra); err != nil {
				return err
			}
			digests[i] = hex.EncodeToString(h.Sum(nil))
		}
	}
	return cw.Close()
}
