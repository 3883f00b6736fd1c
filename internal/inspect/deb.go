package inspect

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

const arMagic = "!<arch>\n"

// arMember is one member of an ar archive.
type arMember struct {
	name      string
	off, size int64
}

// readAr lists the members of an ar archive of size bytes.
func readAr(r io.ReaderAt, size int64) ([]arMember, error) {
	var members []arMember
	hdr := make([]byte, 60)
	for off := int64(len(arMagic)); off < size; {
		if size-off < int64(len(hdr)) {
			return nil, fmt.Errorf("truncated deb: the ar header at byte %d is cut off", off)
		}
		if _, err := r.ReadAt(hdr, off); err != nil {
			return nil, err
		}
		if hdr[58] != '`' || hdr[59] != '\n' {
			return nil, fmt.Errorf("corrupt deb: no ar member header at byte %d", off)
		}
		name := strings.TrimRight(strings.TrimRight(string(hdr[:16]), " "), "/")
		n, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("corrupt deb: ar member %q has a bad size %q", name, strings.TrimSpace(string(hdr[48:58])))
		}
		data := off + int64(len(hdr))
		if n > size-data {
			return nil, fmt.Errorf("truncated deb: ar member %s should have %d bytes, the file ends after %d", name, n, size-data)
		}
		members = append(members, arMember{name, data, n})
		off = data + n + n%2
	}
	return members, nil
}

// tarMember is a compressed or plain tar member of a deb.
func tarMember(members []arMember, base string) (arMember, bool, error) {
	for _, m := range members {
		if m.name == base {
			return m, true, nil
		}
		if strings.HasPrefix(m.name, base+".") {
			switch strings.TrimPrefix(m.name, base) {
			case ".gz", ".xz", ".zst":
				return m, true, nil
			}
			return m, false, fmt.Errorf("%s: unknown compression (a deb member is %s, %s.gz, %s.xz or %s.zst)", m.name, base, base, base, base)
		}
	}
	return arMember{}, false, nil
}

// decompress returns a reader of the tar inside member m.
func decompress(m arMember, r io.Reader) (io.Reader, func(), error) {
	switch path.Ext(m.name) {
	case ".gz":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() {}, nil
	case ".xz":
		zr, err := xz.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() {}, nil
	case ".zst":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	}
	return r, func() {}, nil
}

// memberError explains an error met while reading member name.
func memberError(name string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: truncated or corrupt (%v)", name, err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// walkTar calls f for every entry of the tar in member m.
func walkTar(r io.ReaderAt, m arMember, f func(h *tar.Header, tr *tar.Reader) error) error {
	zr, done, err := decompress(m, io.NewSectionReader(r, m.off, m.size))
	if err != nil {
		return memberError(m.name, err)
	}
	defer done()
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return memberError(m.name, err)
		}
		if err := f(h, tr); err != nil {
			return memberError(m.name, err)
		}
	}
}

// maxControl bounds the control file DebControl reads.
const maxControl = 1 << 20

// DebControl returns the control file (./control of the control.tar
// member, plain or .gz, .xz, .zst) of the .deb r of size bytes, as it is:
// what a repository index copies its fields from.
func DebControl(r io.ReaderAt, size int64) ([]byte, error) {
	members, err := readAr(r, size)
	if err != nil {
		return nil, err
	}
	control, ok, err := tarMember(members, "control.tar")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("not a .deb: no control.tar member")
	}
	var text []byte
	err = walkTar(r, control, func(h *tar.Header, tr *tar.Reader) error {
		if text != nil || h.Typeflag != tar.TypeReg || strings.TrimPrefix(path.Clean(h.Name), "./") != "control" {
			return nil
		}
		if h.Size > maxControl {
			return fmt.Errorf("control is %d bytes", h.Size)
		}
		text, err = io.ReadAll(tr)
		return err
	})
	if err != nil {
		return nil, err
	}
	if text == nil {
		return nil, fmt.Errorf("%s: no control file", control.name)
	}
	return text, nil
}

// debScripts are the control files that run on the target, in the order
// dpkg runs them on install and then removal.
var debScripts = []string{"config", "preinst", "postinst", "prerm", "postrm"}

// readDeb reads a deb of size bytes.
func readDeb(r io.ReaderAt, size int64) (*Package, error) {
	members, err := readAr(r, size)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range members {
		names = append(names, m.name)
	}
	if len(members) == 0 || members[0].name != "debian-binary" {
		return nil, fmt.Errorf("an ar archive but not a .deb: its first member is not debian-binary (members: %s)", listOrNone(names))
	}
	vb := make([]byte, min(members[0].size, 16))
	if _, err := r.ReadAt(vb, members[0].off); err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(vb, []byte("2.")) {
		return nil, fmt.Errorf("unsupported deb format version %s in debian-binary (wsgipack reads 2.x)", describe(bytes.TrimSpace(vb)))
	}
	control, ok, err := tarMember(members, "control.tar")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("not a valid deb: no control.tar member (members: %s)", listOrNone(names))
	}
	data, ok, err := tarMember(members, "data.tar")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("not a valid deb: no data.tar member (members: %s)", listOrNone(names))
	}

	files := map[string]string{}
	err = walkTar(r, control, func(h *tar.Header, tr *tar.Reader) error {
		if h.Typeflag != tar.TypeReg {
			return nil
		}
		name := strings.TrimPrefix(path.Clean(h.Name), "./")
		switch name {
		case "control", "conffiles", "config", "preinst", "postinst", "prerm", "postrm":
		default:
			return nil
		}
		if h.Size > maxControlMember {
			return fmt.Errorf("%s is %d bytes, more than a control file can be", name, h.Size)
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxControlMember))
		if err != nil {
			return err
		}
		files[name] = string(b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	text, ok := files["control"]
	if !ok {
		return nil, fmt.Errorf("not a valid deb: %s has no control file", control.name)
	}
	p := &Package{Format: "deb"}
	if err := p.setControl(text); err != nil {
		return nil, fmt.Errorf("%s: control: %w", control.name, err)
	}
	conf := map[string]bool{}
	for _, line := range strings.Split(files["conffiles"], "\n") {
		if line = strings.TrimSpace(line); line != "" {
			p.ConfigFiles = append(p.ConfigFiles, line)
			f := strings.Fields(line)
			conf[f[len(f)-1]] = true
		}
	}
	for _, name := range debScripts {
		text, ok := files[name]
		if !ok {
			continue
		}
		s := Script{Name: name, Text: text}
		if first, _, _ := strings.Cut(text, "\n"); strings.HasPrefix(first, "#!") {
			s.Interpreter = strings.TrimSpace(first[2:])
		}
		p.Scripts = append(p.Scripts, s)
	}

	err = walkTar(r, data, func(h *tar.Header, _ *tar.Reader) error {
		f := File{Path: absPath(h.Name), Owner: h.Uname, Group: h.Gname}
		if f.Owner == "" {
			f.Owner = strconv.Itoa(h.Uid)
		}
		if f.Group == "" {
			f.Group = strconv.Itoa(h.Gid)
		}
		typ := byte('-')
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
			f.Size = h.Size
		case tar.TypeLink:
			typ, f.Link = 'h', absPath(h.Linkname)
		case tar.TypeSymlink:
			typ, f.Link = 'l', h.Linkname
		case tar.TypeDir:
			typ = 'd'
		case tar.TypeChar:
			typ = 'c'
		case tar.TypeBlock:
			typ = 'b'
		case tar.TypeFifo:
			typ = 'p'
		default:
			typ = '?'
		}
		f.Mode = modeString(typ, uint32(h.Mode)&0o7777)
		if conf[f.Path] {
			f.Config = "conffile"
		}
		p.Files = append(p.Files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// debRelations are the relation fields of a control file, in the order
// they are reported.
var debRelations = []string{"Pre-Depends", "Depends", "Recommends", "Suggests", "Enhances", "Breaks", "Conflicts", "Provides", "Replaces"}

// setControl fills p from the first paragraph of a control file.
func (p *Package) setControl(text string) error {
	var fields []Field
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			if len(fields) == 0 {
				continue
			}
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(fields) == 0 {
				return fmt.Errorf("line %d is a continuation line with no field before it", i+1)
			}
			fields[len(fields)-1].Value += "\n" + line[1:]
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("line %d is not a field: %s", i+1, describe([]byte(line)))
		}
		fields = append(fields, Field{strings.TrimSpace(name), strings.TrimSpace(value)})
	}
	relations := map[string][]string{}
	for _, f := range fields {
		switch f.Name {
		case "Package":
			p.Name = f.Value
		case "Version":
			p.Version = f.Value
		case "Architecture":
			p.Arch = f.Value
		case "Maintainer":
			p.Maintainer = f.Value
		case "Homepage":
			p.Homepage = f.Value
		case "Installed-Size":
			n, err := strconv.ParseInt(f.Value, 10, 64)
			if err != nil {
				p.Extra = append(p.Extra, f)
				continue
			}
			p.InstalledKiB = n
		case "Description":
			synopsis, long, _ := strings.Cut(f.Value, "\n")
			p.Summary = synopsis
			var lines []string
			for _, l := range strings.Split(long, "\n") {
				if strings.TrimSpace(l) == "." {
					l = ""
				}
				lines = append(lines, l)
			}
			p.Description = strings.Join(lines, "\n")
		default:
			if isRelation(f.Name) {
				for _, rel := range strings.Split(strings.ReplaceAll(f.Value, "\n", " "), ",") {
					if rel = strings.Join(strings.Fields(rel), " "); rel != "" {
						relations[f.Name] = append(relations[f.Name], rel)
					}
				}
				continue
			}
			p.Extra = append(p.Extra, f)
		}
	}
	for _, kind := range debRelations {
		for _, rel := range relations[kind] {
			p.Relations = append(p.Relations, Relation{Kind: kind, Value: rel})
		}
	}
	if p.Name == "" || p.Version == "" {
		return errors.New("no Package or no Version field")
	}
	return nil
}

func isRelation(name string) bool {
	for _, r := range debRelations {
		if r == name {
			return true
		}
	}
	return false
}
