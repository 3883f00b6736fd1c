package yum

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/cavaliergopher/rpm"
)

// Header tags read here that internal/rpm/rpmtag does not name.
const (
	tagSourcePackage    = 1106
	tagArchiveSize      = 1046
	tagLongArchiveSize  = 271 // in the signature header, or merged into the main one
	tagSigPayloadSize   = 1007
	tagConflictFlags    = 1053
	tagConflictName     = 1054
	tagConflictVersion  = 1055
	tagObsoleteName     = 1090
	tagObsoleteFlags    = 1114
	tagObsoleteVersion  = 1115
	tagOldSuggestsName  = 1156
	tagOldSuggestsVer   = 1157
	tagOldSuggestsFlags = 1158
	tagOldEnhancesName  = 1159
	tagOldEnhancesVer   = 1160
	tagOldEnhancesFlags = 1161
)

// Dependency flags (RPMSENSE_*) that createrepo_c looks at.
const (
	senseMask       = 0xf
	sensePosttrans  = 1 << 5
	sensePrereq     = 1 << 6
	sensePretrans   = 1 << 7
	senseScriptPre  = 1 << 9
	senseScriptPost = 1 << 10
	senseMissingOK  = 1 << 19 // a legacy weak dependency among the requires
	senseStrong     = 1 << 27 // a legacy suggests/enhances that is a recommends/supplements
	preFlags        = sensePrereq | senseScriptPre | sensePosttrans | sensePretrans | senseScriptPost
	fileGhost       = 1 << 6
	modeTypeMask    = 0o170000
	modeDir         = 0o040000
	changelogLimit  = 10 // createrepo_c's default --changelog-limit
	maxHeaderBytes  = 256 << 20
	leadSize        = 96
	headerIntroSize = 16
)

var (
	rpmMagic    = []byte{0xed, 0xab, 0xee, 0xdb}
	headerMagic = []byte{0x8e, 0xad, 0xe8, 0x01}
)

// ReadRPM reads what the metadata says about the rpm in file, as
// createrepo_c (1.x) reads it: the header's fields, the file's size,
// modification time and SHA-256, the header's byte range; the file list
// with directories and %ghost files marked; the dependencies without
// rpmlib() requirements, requirements on the package's own files that
// primary.xml lists (/etc/*, *bin/*, /usr/lib/sendmail) or on exactly what
// it provides, duplicates, and all but the newest libc.so.6 requirement; legacy weak dependencies moved to
// recommends, suggests, supplements or enhances; the ten newest changelog
// entries, oldest first, with equal dates made distinct. Location is
// packages/ and the canonical file name.
func ReadRPM(file string) (Package, error) {
	f, err := os.Open(file)
	if err != nil {
		return Package{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Package{}, err
	}
	sig, hdr, start, end, err := readHeaders(f, info.Size())
	if err != nil {
		return Package{}, fmt.Errorf("%s: %v", file, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, info.Size())); err != nil {
		return Package{}, err
	}
	p, err := fromHeader(sig, hdr)
	if err != nil {
		return Package{}, fmt.Errorf("%s: %v", file, err)
	}
	p.Checksum = hex.EncodeToString(h.Sum(nil))
	p.Size = info.Size()
	p.FileTime = info.ModTime().Unix()
	p.HeaderStart, p.HeaderEnd = start, end
	p.Location = "packages/" + p.FileName()
	if err := checkText(p); err != nil {
		return Package{}, fmt.Errorf("%s: %v", file, err)
	}
	return p, nil
}

// readHeaders reads the signature and main headers of an rpm of size
// bytes, and the main header's byte range.
func readHeaders(r io.ReaderAt, size int64) (sig, hdr *rpm.Header, start, end int64, err error) {
	lead := make([]byte, leadSize)
	if _, err := r.ReadAt(lead, 0); err != nil || !bytes.Equal(lead[:4], rpmMagic) {
		return nil, nil, 0, 0, fmt.Errorf("not an rpm")
	}
	sigLen, err := headerLen(r, leadSize, size, "signature header")
	if err != nil {
		return nil, nil, 0, 0, err
	}
	start = leadSize + sigLen + (8-sigLen%8)%8
	hdrLen, err := headerLen(r, start, size, "header")
	if err != nil {
		return nil, nil, 0, 0, err
	}
	end = start + hdrLen
	buf := make([]byte, end)
	if _, err := r.ReadAt(buf, 0); err != nil {
		return nil, nil, 0, 0, err
	}
	pkg, err := rpm.Read(bytes.NewReader(buf))
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("corrupt rpm: %v", err)
	}
	return &pkg.Signature, &pkg.Header, start, end, nil
}

// headerLen checks the header structure at off and returns its length.
func headerLen(r io.ReaderAt, off, size int64, what string) (int64, error) {
	intro := make([]byte, headerIntroSize)
	if off+headerIntroSize > size {
		return 0, fmt.Errorf("truncated rpm: the %s is cut off", what)
	}
	if _, err := r.ReadAt(intro, off); err != nil {
		return 0, err
	}
	if !bytes.Equal(intro[:4], headerMagic) {
		return 0, fmt.Errorf("corrupt rpm: the %s has no header magic", what)
	}
	il := int64(binary.BigEndian.Uint32(intro[8:12]))
	dl := int64(binary.BigEndian.Uint32(intro[12:16]))
	n := headerIntroSize + il*16 + dl
	if il > 0xffff || dl > maxHeaderBytes || off+n > size {
		return 0, fmt.Errorf("corrupt rpm: the %s claims %d tags and %d bytes", what, il, dl)
	}
	return n, nil
}

// fromHeader fills in what the headers say.
func fromHeader(sig, h *rpm.Header) (Package, error) {
	str := func(tag int) string { return latin1ToUTF8(h.GetTag(tag).String()) }
	num := func(hd *rpm.Header, tags ...int) (int64, bool) {
		for _, tag := range tags {
			if t := hd.GetTag(tag); t != nil && len(t.Int64Slice()) > 0 {
				return t.Int64Slice()[0], true
			}
		}
		return 0, false
	}
	p := Package{
		Name: str(1000), Arch: str(1022), Version: str(1001), Release: str(1002),
		Summary: str(1004), Description: str(1005), URL: str(1020), License: str(1014), Vendor: str(1011),
		Group: str(1016), BuildHost: str(1007), SourceRPM: str(1044), Packager: str(1015),
	}
	if isSrc, _ := num(h, tagSourcePackage); isSrc != 0 {
		p.Arch = "src"
	}
	epoch, _ := num(h, 1003)
	p.Epoch = fmt.Sprint(uint64(epoch))
	p.BuildTime, _ = num(h, 1006)
	p.InstalledSize, _ = num(h, 5009, 1009)
	if n, ok := num(sig, tagLongArchiveSize, tagSigPayloadSize); ok {
		p.ArchiveSize = n
	} else {
		p.ArchiveSize, _ = num(h, tagLongArchiveSize, tagArchiveSize)
	}

	// Files.
	names := h.GetTag(1117).StringSlice()
	dirs := h.GetTag(1118).StringSlice()
	idx := h.GetTag(1116).Int64Slice()
	fflags := h.GetTag(1037).Int64Slice()
	modes := h.GetTag(1030).Int64Slice()
	if len(names) > 0 && h.GetTag(1035) != nil {
		if len(idx) != len(names) || len(fflags) != len(names) || len(modes) != len(names) {
			return Package{}, fmt.Errorf("corrupt rpm: the file tags disagree on the number of files")
		}
	} else {
		names = nil
	}
	own := map[string]bool{}
	for i, base := range names {
		if idx[i] < 0 || idx[i] >= int64(len(dirs)) {
			return Package{}, fmt.Errorf("corrupt rpm: file %q has no directory", base)
		}
		f := PackageFile{Path: latin1ToUTF8(dirs[idx[i]] + base)}
		switch {
		case modes[i]&modeTypeMask == modeDir:
			f.Type = "dir"
		case fflags[i]&fileGhost != 0:
			f.Type = "ghost"
		}
		own[dirs[idx[i]]+base] = true
		p.Files = append(p.Files, f)
	}

	// Dependencies, in createrepo_c's order of kinds: what a later kind
	// skips depends on what earlier ones kept.
	provided := map[string]bool{}
	type req struct {
		flags, version string
		pre            bool
	}
	required := map[string]req{}
	var libc *Relation
	kinds := []struct {
		names, flags, versions int
		list                   *[]Relation
		old                    int // 1: legacy suggests, 2: legacy enhances
	}{
		{1047, 1112, 1113, &p.Provides, 0},
		{tagConflictName, tagConflictFlags, tagConflictVersion, &p.Conflicts, 0},
		{tagObsoleteName, tagObsoleteFlags, tagObsoleteVersion, &p.Obsoletes, 0},
		{1049, 1048, 1050, &p.Requires, 0},
		{5049, 5051, 5050, &p.Suggests, 0},
		{5055, 5057, 5056, &p.Enhances, 0},
		{5046, 5048, 5047, &p.Recommends, 0},
		{5052, 5054, 5053, &p.Supplements, 0},
		{tagOldSuggestsName, tagOldSuggestsFlags, tagOldSuggestsVer, nil, 1},
		{tagOldEnhancesName, tagOldEnhancesFlags, tagOldEnhancesVer, nil, 2},
	}
	for _, k := range kinds {
		tn, tf, tv := h.GetTag(k.names), h.GetTag(k.flags), h.GetTag(k.versions)
		if tn == nil || tf == nil || tv == nil {
			continue
		}
		dnames, dflags, dvers := tn.StringSlice(), tf.Int64Slice(), tv.StringSlice()
		if len(dflags) != len(dnames) || len(dvers) != len(dnames) {
			return Package{}, fmt.Errorf("corrupt rpm: dependency tags %d, %d and %d disagree on their number", k.names, k.flags, k.versions)
		}
		for i, name := range dnames {
			if name == "" {
				continue // createrepo_c does not write it
			}
			flags := flagString(dflags[i])
			full := dvers[i]
			key := name + flags + full
			isReq := k.list == &p.Requires
			pre := false
			if isReq {
				if strings.HasPrefix(name, "rpmlib(") {
					continue
				}
				if strings.HasPrefix(name, "/") && own[name] && primaryFile(name) {
					continue
				}
				if provided[key] {
					continue
				}
				pre = dflags[i]&preFlags != 0
				if r, ok := required[name]; ok && r.flags == flags && r.version == full && r.pre == pre {
					continue
				}
			}
			rel, ok := relation(name, flags, full)
			if !ok {
				continue // createrepo_c skips a dependency with a non-numeric epoch
			}
			switch {
			case k.list == &p.Provides:
				provided[key] = true
				p.Provides = append(p.Provides, rel)
			case isReq && dflags[i]&senseMissingOK != 0:
				p.Recommends = append(p.Recommends, rel)
			case isReq && strings.HasPrefix(name, "libc.so.6"):
				rel.Pre = pre
				if libc == nil || compareLibc(libc.Name, rel.Name) == 2 {
					r := rel
					libc = &r
				}
			case isReq:
				rel.Pre = pre
				p.Requires = append(p.Requires, rel)
				required[name] = req{flags, full, pre}
			case k.old == 1 && dflags[i]&senseStrong != 0:
				p.Recommends = append(p.Recommends, rel)
			case k.old == 1:
				p.Suggests = append(p.Suggests, rel)
			case k.old == 2 && dflags[i]&senseStrong != 0:
				p.Supplements = append(p.Supplements, rel)
			case k.old == 2:
				p.Enhances = append(p.Enhances, rel)
			default:
				*k.list = append(*k.list, rel)
			}
		}
		if k.list == &p.Requires && libc != nil {
			p.Requires = append(p.Requires, *libc)
		}
	}

	// Changelog: the newest entries come first in the header; createrepo_c
	// keeps changelogLimit of them, oldest first, and makes equal dates
	// distinct by moving the later-listed (older) ones' dates up by a second.
	times := h.GetTag(1080).Int64Slice()
	authors := h.GetTag(1081).StringSlice()
	texts := h.GetTag(1082).StringSlice()
	n := min(len(times), len(authors), len(texts), changelogLimit)
	var lastTime int64
	for i := 0; i < n; i++ {
		author := latin1ToUTF8(authors[i])
		if len(author) > 1 {
			author = author[:1] + strings.TrimRight(author[1:], " ")
		}
		c := Change{Author: author, Date: times[i], Text: latin1ToUTF8(texts[i])}
		p.Changelog = append([]Change{c}, p.Changelog...)
		if lastTime == c.Date {
			t := c.Date
			for j := 1; j < len(p.Changelog) && p.Changelog[j].Date == t; j++ {
				p.Changelog[j].Date++
				t++
			}
		} else {
			lastTime = c.Date
		}
	}
	if p.Name == "" || p.Version == "" || p.Arch == "" {
		return Package{}, fmt.Errorf("corrupt rpm: no name, version or arch")
	}
	return p, nil
}

// flagString is the metadata's name of a dependency's operator.
func flagString(flags int64) string {
	switch flags & senseMask {
	case 2:
		return "LT"
	case 4:
		return "GT"
	case 8:
		return "EQ"
	case 10:
		return "LE"
	case 12:
		return "GE"
	}
	return ""
}

// relation splits a dependency's [epoch:]version[-release] as createrepo_c
// does; ok is false for a non-numeric epoch. Without an operator the
// metadata has no version, so neither has the relation.
func relation(name, flags, evr string) (Relation, bool) {
	r := Relation{Name: latin1ToUTF8(name), Flags: flags}
	if evr == "" {
		return r, true
	}
	r.Epoch, r.Version = "0", evr
	if i := strings.IndexByte(evr, ':'); i >= 0 {
		if strings.Trim(evr[:i], "0123456789") != "" {
			return Relation{}, false
		}
		if i > 0 {
			r.Epoch = evr[:i]
		}
		r.Version = evr[i+1:]
	}
	if i := strings.IndexByte(r.Version, '-'); i >= 0 {
		r.Version, r.Release = r.Version[:i], r.Version[i+1:]
	}
	if flags == "" {
		r.Epoch, r.Version, r.Release = "", "", ""
	}
	r.Version, r.Release = latin1ToUTF8(r.Version), latin1ToUTF8(r.Release)
	return r, true
}

// compareLibc is createrepo_c's comparison of two libc.so.6 requirements by
// the version in their first parentheses: 0 same, 1 the first is newer,
// 2 the second is.
func compareLibc(a, b string) int {
	if a == b {
		return 0
	}
	ia, ib := strings.IndexByte(a, '('), strings.IndexByte(b, '(')
	switch {
	case ia < 0 && ib < 0:
		return 0
	case ia < 0:
		return 2
	case ib < 0:
		return 1
	}
	ea, eb := strings.IndexByte(a[ia:], ')'), strings.IndexByte(b[ib:], ')')
	switch {
	case ea < 0 && eb < 0:
		return -1
	case ea < 0:
		return 2
	case eb < 0:
		return 1
	}
	ea, eb = ia+ea, ib+eb
	ia, ib = ia+1, ib+1
	switch {
	case ia == ea && ib == eb:
		return 0
	case ia == ea:
		return 2
	case ib == eb:
		return 1
	}
	for ia < len(a) && !isDigit(a[ia]) {
		ia++
	}
	for ib < len(b) && !isDigit(b[ib]) {
		ib++
	}
	switch {
	case ia > ea && ib > eb:
		return 0
	case ia > ea:
		return 2
	case ib > eb:
		return 1
	}
	c := Vercmp(a[ia:ea], b[ib:eb])
	if c == -1 {
		return 2
	}
	return c
}

// latin1ToUTF8 returns s when it is UTF-8, else reads it as Latin-1 as
// createrepo_c does (dropping C1 controls and ASCII controls other than
// tab, newline and carriage return).
func latin1ToUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 32 && c != 9 && c != 10 && c != 13:
		case c < 128:
			b.WriteByte(c)
		case c < 192:
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}
