package inspect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cavaliergopher/rpm"

	wrpm "github.com/wsgipack/wsgipack/internal/rpm"
	"github.com/wsgipack/wsgipack/internal/rpm/rpmtag"
)

var rpmMagic = []byte{0xed, 0xab, 0xee, 0xdb}

// headerMagic starts each rpm header structure (signature and main header).
var headerMagic = []byte{0x8e, 0xad, 0xe8, 0x01}

const rpmLead = 96

// rpmRelations are the dependency tag triples (names, flags, versions).
var rpmRelations = []struct {
	kind                  string
	names, flags, version int
}{
	{"Requires", 1049, 1048, 1050},
	{"Provides", 1047, 1112, 1113},
	{"Conflicts", 1054, 1053, 1055},
	{"Obsoletes", 1090, 1114, 1115},
	{"Recommends", 5046, 5048, 5047},
	{"Suggests", 5049, 5051, 5050},
	{"Supplements", 5052, 5054, 5053},
	{"Enhances", 5055, 5057, 5056},
}

// rpmScripts are the scriptlet tags and their interpreter tags, in the
// order rpm runs them on install and then erase.
var rpmScripts = []struct {
	name       string
	text, prog int
}{
	{"%pretrans", rpmtag.PreTrans, rpmtag.PreTransProg},
	{"%pre", rpmtag.PreIn, rpmtag.PreInProg},
	{"%post", rpmtag.PostIn, rpmtag.PostInProg},
	{"%preun", rpmtag.PreUn, rpmtag.PreUnProg},
	{"%postun", rpmtag.PostUn, rpmtag.PostUnProg},
	{"%posttrans", rpmtag.PostTrans, rpmtag.PostTransProg},
}

// typeSizes are the sizes of rpm's fixed-size tag types (rpm.TagType).
var typeSizes = map[uint32]uint64{
	uint32(rpm.TagTypeNull): 0, uint32(rpm.TagTypeChar): 1, uint32(rpm.TagTypeInt8): 1,
	uint32(rpm.TagTypeInt16): 2, uint32(rpm.TagTypeInt32): 4, uint32(rpm.TagTypeInt64): 8,
	uint32(rpm.TagTypeBinary): 1,
}

// headerIntro reads and checks the 16 bytes that start a header structure:
// magic, number of index entries, data size.
func headerIntro(b []byte, what string) (il, dl uint64, err error) {
	if len(b) < 16 {
		return 0, 0, fmt.Errorf("truncated rpm: the %s is cut off", what)
	}
	if !bytes.Equal(b[:4], headerMagic) {
		return 0, 0, fmt.Errorf("corrupt rpm: the %s does not start with the header magic 8e ad e8 01", what)
	}
	il = uint64(binary.BigEndian.Uint32(b[8:12]))
	dl = uint64(binary.BigEndian.Uint32(b[12:16]))
	if il > 0xffff || dl > maxRPMHeader {
		return 0, 0, fmt.Errorf("corrupt rpm: the %s claims %d tags and %d bytes, more than rpm allows", what, il, dl)
	}
	return il, dl, nil
}

// checkHeader validates the header structure (signature header or main
// header) at the start of b and returns its length. Every index entry must lie inside the data, with
// every string terminated, so the library reading it later never reads out
// of range or allocates more than the header holds.
func checkHeader(b []byte, what string) (int, error) {
	il, dl, err := headerIntro(b, what)
	if err != nil {
		return 0, err
	}
	end := 16 + il*16 + dl
	if end > uint64(len(b)) {
		return 0, fmt.Errorf("truncated rpm: the %s should have %d bytes, the file has %d left", what, end, len(b))
	}
	data := b[16+il*16 : end]
	for i := uint64(0); i < il; i++ {
		e := b[16+i*16 : 32+i*16]
		tag, typ := binary.BigEndian.Uint32(e[0:4]), binary.BigEndian.Uint32(e[4:8])
		off, count := uint64(binary.BigEndian.Uint32(e[8:12])), uint64(binary.BigEndian.Uint32(e[12:16]))
		bad := func(why string) error {
			return fmt.Errorf("corrupt rpm: tag %d of the %s %s", tag, what, why)
		}
		if count == 0 {
			return 0, bad("has no value")
		}
		if off >= dl {
			return 0, bad("points outside the header")
		}
		if size, ok := typeSizes[typ]; ok {
			if count*size > dl-off {
				return 0, bad("runs past the end of the header")
			}
			continue
		}
		switch rpm.TagType(typ) {
		case rpm.TagTypeString, rpm.TagTypeStringArray, rpm.TagTypeI18NString:
		default:
			return 0, bad(fmt.Sprintf("has an unknown type %d", typ))
		}
		if count > dl-off {
			return 0, bad("runs past the end of the header")
		}
		p := off
		for j := uint64(0); j < count; j++ {
			n := bytes.IndexByte(data[p:], 0)
			if n < 0 {
				return 0, bad("has an unterminated string")
			}
			p += uint64(n) + 1
		}
	}
	return int(end), nil
}

// readHeaderAt reads the header structure at off and checks it.
func readHeaderAt(r io.ReaderAt, off, size int64, what string) ([]byte, error) {
	intro := make([]byte, 16)
	if off > size {
		off = size
	}
	n, err := r.ReadAt(intro, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if n < len(intro) {
		return nil, fmt.Errorf("truncated rpm: the %s is cut off", what)
	}
	il, dl, err := headerIntro(intro, what)
	if err != nil {
		return nil, err
	}
	end := int64(16 + il*16 + dl)
	if end > size-off {
		return nil, fmt.Errorf("truncated rpm: the %s should have %d bytes, the file has %d left", what, end, size-off)
	}
	b := make([]byte, end)
	if _, err := r.ReadAt(b, off); err != nil {
		return nil, err
	}
	if _, err := checkHeader(b, what); err != nil {
		return nil, err
	}
	return b, nil
}

// readRPM reads the headers of an rpm of size bytes.
func readRPM(r io.ReaderAt, size int64) (*Package, error) {
	lead := make([]byte, rpmLead)
	if size < rpmLead {
		return nil, fmt.Errorf("truncated rpm: the %d-byte lead is cut off after %d bytes", rpmLead, size)
	}
	if _, err := r.ReadAt(lead, 0); err != nil {
		return nil, err
	}
	if major := lead[4]; major != 3 && major != 4 {
		return nil, fmt.Errorf("unsupported rpm format version %d (wsgipack reads 3 and 4)", major)
	}
	sig, err := readHeaderAt(r, rpmLead, size, "signature header")
	if err != nil {
		return nil, err
	}
	hdrStart := int64(rpmLead + len(sig) + (8-len(sig)%8)%8)
	hdr, err := readHeaderAt(r, hdrStart, size, "header")
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, hdrStart+int64(len(hdr)))
	buf = append(buf, lead...)
	buf = append(buf, sig...)
	buf = append(buf, make([]byte, hdrStart-int64(len(buf)))...)
	buf = append(buf, hdr...)
	pkg, err := rpm.Read(bytes.NewReader(buf))
	if err != nil {
		return nil, fmt.Errorf("corrupt rpm: %v", err)
	}
	// The signature records the size of header and payload: a shorter file
	// was cut off.
	if want := sigInt(pkg, rpmtag.SigLongSize, rpmtag.SigSize); want > 0 && hdrStart+want > size {
		return nil, fmt.Errorf("truncated rpm: header and payload should have %d bytes, the file ends after %d", want, size-hdrStart)
	}
	p, err := rpmPackage(&pkg.Header)
	if err != nil {
		return nil, err
	}
	if p.Signature, err = rpmSignature(&pkg.Signature); err != nil {
		return nil, err
	}
	return p, nil
}

// rpmSignature reports the header signature rpm -K checks: RSA, else
// DSA or EdDSA.
func rpmSignature(sig *rpm.Header) (*Signature, error) {
	for _, tag := range []int{rpmtag.SigRSA, rpmtag.SigDSA} {
		t := sig.GetTag(tag)
		if t == nil {
			continue
		}
		s, err := wrpm.ParseSignature(t.Bytes())
		if err != nil {
			return nil, fmt.Errorf("corrupt rpm: the header signature (signature tag %d): %v", tag, err)
		}
		out := &Signature{Algorithm: s.Algorithm(), KeyID: s.KeyIDHex()}
		if !s.Created.IsZero() {
			out.Time = s.Created.UTC().Format(time.RFC3339)
		}
		return out, nil
	}
	return nil, nil
}

func sigInt(pkg *rpm.Package, tags ...int) int64 {
	for _, t := range tags {
		if v := pkg.Signature.GetTag(t).Int64Slice(); len(v) > 0 {
			return v[0]
		}
	}
	return 0
}

// rpmPackage reports a checked rpm header.
func rpmPackage(h *rpm.Header) (*Package, error) {
	str := func(tag int) string {
		t := h.GetTag(tag)
		if t == nil {
			return ""
		}
		return t.String()
	}
	p := &Package{
		Format: "rpm", Name: str(rpmtag.Name), Arch: str(rpmtag.Arch), Summary: str(rpmtag.Summary),
		Description: strings.TrimRight(str(rpmtag.Description), "\n"), Maintainer: str(rpmtag.Packager), Homepage: str(rpmtag.URL),
		License: str(rpmtag.License),
	}
	if p.Name == "" || str(rpmtag.Version) == "" {
		return nil, errors.New("corrupt rpm: the header has no name or no version")
	}
	p.Version = str(rpmtag.Version)
	if r := str(rpmtag.Release); r != "" {
		p.Version += "-" + r
	}
	if e := h.GetTag(rpmtag.Epoch).Int64Slice(); len(e) > 0 {
		p.Version = strconv.FormatInt(e[0], 10) + ":" + p.Version
	}
	if s := h.GetTag(rpmtag.LongSize).Int64Slice(); len(s) > 0 {
		p.InstalledKiB = (s[0] + 1023) / 1024
	} else if s := h.GetTag(rpmtag.Size).Int64Slice(); len(s) > 0 {
		p.InstalledKiB = (s[0] + 1023) / 1024
	}
	for _, f := range []struct {
		name string
		tag  int
	}{{"Group", rpmtag.Group}, {"Vendor", rpmtag.Vendor}, {"Distribution", rpmtag.Distribution}, {"OS", rpmtag.OS},
		{"Build-Host", rpmtag.BuildHost}, {"Source-RPM", rpmtag.SourceRPM}} {
		if v := str(f.tag); v != "" {
			p.Extra = append(p.Extra, Field{f.name, v})
		}
	}
	if t := h.GetTag(rpmtag.BuildTime).Int64Slice(); len(t) > 0 {
		p.Extra = append(p.Extra, Field{"Build-Time", time.Unix(t[0], 0).UTC().Format(time.RFC3339)})
	}
	if v := strings.TrimSpace(str(rpmtag.PayloadCompressor) + " " + str(rpmtag.PayloadFormat)); v != "" {
		p.Extra = append(p.Extra, Field{"Payload", v})
	}

	for _, rel := range rpmRelations {
		names := h.GetTag(rel.names).StringSlice()
		flags := h.GetTag(rel.flags).Int64Slice()
		versions := h.GetTag(rel.version).StringSlice()
		for i, name := range names {
			r := Relation{Kind: rel.kind, Value: name}
			var fl int64
			if i < len(flags) {
				fl = flags[i]
			}
			if i < len(versions) && versions[i] != "" {
				r.Value += " " + senseOp(fl) + " " + versions[i]
			}
			r.Qualifiers = qualifiers(fl)
			p.Relations = append(p.Relations, r)
		}
	}

	for _, s := range rpmScripts {
		t := h.GetTag(s.text)
		if t == nil {
			continue
		}
		sc := Script{Name: s.name, Text: t.String()}
		sc.Interpreter = strings.Join(h.GetTag(s.prog).StringSlice(), " ")
		p.Scripts = append(p.Scripts, sc)
	}

	files, err := rpmFiles(h)
	if err != nil {
		return nil, err
	}
	p.Files = files
	for _, f := range files {
		if strings.HasPrefix(f.Config, "%config") {
			p.ConfigFiles = append(p.ConfigFiles, f.Path)
		}
	}
	return p, nil
}

// rpmFiles assembles the file list from the header's parallel arrays.
func rpmFiles(h *rpm.Header) ([]File, error) {
	var names []string
	if base := h.GetTag(rpmtag.BaseNames).StringSlice(); base != nil {
		dirs := h.GetTag(rpmtag.DirNames).StringSlice()
		idx := h.GetTag(rpmtag.DirIndexes).Int64Slice()
		if len(idx) != len(base) {
			return nil, errors.New("corrupt rpm: the file names and directory indexes differ in number")
		}
		for i, b := range base {
			if idx[i] < 0 || idx[i] >= int64(len(dirs)) {
				return nil, fmt.Errorf("corrupt rpm: file %s has a directory index out of range", b)
			}
			names = append(names, dirs[idx[i]]+b)
		}
	} else {
		names = h.GetTag(rpmtag.OldFileNames).StringSlice()
	}
	if len(names) == 0 {
		return nil, nil
	}
	sizes := h.GetTag(rpmtag.LongFileSizes).Int64Slice()
	if sizes == nil {
		sizes = h.GetTag(rpmtag.FileSizes).Int64Slice()
	}
	modes := h.GetTag(rpmtag.FileModes).Int64Slice()
	flags := h.GetTag(rpmtag.FileFlags).Int64Slice()
	users := h.GetTag(rpmtag.FileUserName).StringSlice()
	groups := h.GetTag(rpmtag.FileGroupName).StringSlice()
	links := h.GetTag(rpmtag.FileLinkTos).StringSlice()
	for _, a := range []struct {
		what string
		n    int
	}{{"sizes", len(sizes)}, {"modes", len(modes)}, {"flags", len(flags)}, {"owners", len(users)},
		{"groups", len(groups)}, {"link targets", len(links)}} {
		if a.n != len(names) {
			return nil, fmt.Errorf("corrupt rpm: %d files but %d file %s", len(names), a.n, a.what)
		}
	}
	files := make([]File, len(names))
	for i, name := range names {
		mode := uint32(modes[i])
		typ := byte('?')
		switch mode & 0o170000 {
		case 0o100000:
			typ = '-'
		case 0o040000:
			typ = 'd'
		case 0o120000:
			typ = 'l'
		case 0o020000:
			typ = 'c'
		case 0o060000:
			typ = 'b'
		case 0o010000:
			typ = 'p'
		case 0o140000:
			typ = 's'
		}
		f := File{Path: path.Clean("/" + name), Mode: modeString(typ, mode&0o7777), Owner: users[i], Group: groups[i], Size: sizes[i]}
		if typ == 'l' {
			f.Link = links[i]
		}
		f.Config = fileMarks(flags[i])
		files[i] = f
	}
	return files, nil
}

// senseOp is the comparison of a dependency's flags.
func senseOp(fl int64) string {
	var op string
	if fl&rpmtag.SenseLess != 0 {
		op += "<"
	}
	if fl&rpmtag.SenseGreater != 0 {
		op += ">"
	}
	if fl&rpmtag.SenseEqual != 0 {
		op += "="
	}
	return op
}

// qualifiers are rpm's words for a dependency's context flags.
func qualifiers(fl int64) []string {
	var q []string
	for _, s := range []struct {
		bit  int64
		word string
	}{{rpmtag.SensePretrans, "pretrans"}, {rpmtag.SensePre, "pre"}, {rpmtag.SensePost, "post"}, {rpmtag.SensePreun, "preun"},
		{rpmtag.SensePostun, "postun"}, {rpmtag.SensePosttrans, "posttrans"}, {rpmtag.SenseInterp, "interp"}, {rpmtag.SenseRpmlib, "rpmlib"}} {
		if fl&s.bit != 0 {
			q = append(q, s.word)
		}
	}
	return q
}

// fileMarks are the spec-file marks of a file's flags.
func fileMarks(fl int64) string {
	var marks []string
	if fl&rpmtag.FileConfig != 0 {
		var opts []string
		if fl&rpmtag.FileMissingOK != 0 {
			opts = append(opts, "missingok")
		}
		if fl&rpmtag.FileNoReplace != 0 {
			opts = append(opts, "noreplace")
		}
		m := "%config"
		if len(opts) > 0 {
			m += "(" + strings.Join(opts, ",") + ")"
		}
		marks = append(marks, m)
	}
	for _, s := range []struct {
		bit  int64
		mark string
	}{{rpmtag.FileDoc, "%doc"}, {rpmtag.FileLicense, "%license"}, {rpmtag.FileGhost, "%ghost"}} {
		if fl&s.bit != 0 {
			marks = append(marks, s.mark)
		}
	}
	return strings.Join(marks, " ")
}
