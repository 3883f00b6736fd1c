package yum

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"

	"github.com/wsgipack/wsgipack/internal/publish/store"
)

const (
	nsCommon    = "http://linux.duke.edu/metadata/common"
	nsRPM       = "http://linux.duke.edu/metadata/rpm"
	nsFilelists = "http://linux.duke.edu/metadata/filelists"
	nsOther     = "http://linux.duke.edu/metadata/other"
	nsRepo      = "http://linux.duke.edu/metadata/repo"
	xmlDecl     = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
)

// dataTypes are the metadata files this package writes, in repomd.xml's
// order.
var dataTypes = []string{"primary", "filelists", "other"}

// derivedTypes are metadata that other tools derive from the XML (sqlite
// databases, zchunk copies): stale once the XML changes.
var derivedTypes = map[string]bool{
	"primary_db": true, "filelists_db": true, "other_db": true,
	"primary_zck": true, "filelists_zck": true, "other_zck": true,
}

// primaryFile reports whether primary.xml lists a path (createrepo_c's
// cr_is_primary): /etc/*, anything with "bin/" in it, /usr/lib/sendmail.
func primaryFile(p string) bool {
	return strings.HasPrefix(p, "/etc/") || p == "/usr/lib/sendmail" || strings.Contains(p, "bin/")
}

// writeMetadata renders the three data files (side by side) and
// repomd.xml of pkgs.
func writeMetadata(dir string, pkgs []*Package, now time.Time) ([]File, error) {
	type doc struct{ xml, gz []byte }
	docs := make([]doc, len(dataTypes))
	errs := make([]error, len(dataTypes))
	var wg sync.WaitGroup
	for i, typ := range dataTypes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			docs[i].xml = renderXML(typ, pkgs)
			var gz bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression) // no name, time 0
			if _, err := zw.Write(docs[i].xml); err != nil {
				errs[i] = err
				return
			}
			errs[i] = zw.Close()
			docs[i].gz = gz.Bytes()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var files []File
	var repomd bytes.Buffer
	repomd.WriteString(xmlDecl)
	fmt.Fprintf(&repomd, "<repomd xmlns=%q xmlns:rpm=%q>\n", nsRepo, nsRPM)
	fmt.Fprintf(&repomd, "  <revision>%d</revision>\n", now.Unix())
	for i, typ := range dataTypes {
		d := docs[i]
		sum, open := sha256.Sum256(d.gz), sha256.Sum256(d.xml)
		href := fmt.Sprintf("repodata/%x-%s.xml.gz", sum, typ)
		files = append(files, File{Name: path.Join(dir, href), Data: d.gz})
		fmt.Fprintf(&repomd, "  <data type=\"%s\">\n", typ)
		fmt.Fprintf(&repomd, "    <checksum type=\"sha256\">%x</checksum>\n", sum)
		fmt.Fprintf(&repomd, "    <open-checksum type=\"sha256\">%x</open-checksum>\n", open)
		fmt.Fprintf(&repomd, "    <location href=\"%s\"/>\n", href)
		fmt.Fprintf(&repomd, "    <timestamp>%d</timestamp>\n", now.Unix())
		fmt.Fprintf(&repomd, "    <size>%d</size>\n", len(d.gz))
		fmt.Fprintf(&repomd, "    <open-size>%d</open-size>\n", len(d.xml))
		repomd.WriteString("  </data>\n")
	}
	repomd.WriteString("</repomd>\n")
	return append(files, File{Name: path.Join(dir, "repodata/repomd.xml"), Data: repomd.Bytes()}), nil
}

// renderXML writes the XML document of one data type.
func renderXML(typ string, pkgs []*Package) []byte {
	var x bytes.Buffer
	x.WriteString(xmlDecl)
	switch typ {
	case "primary":
		fmt.Fprintf(&x, "<metadata xmlns=%q xmlns:rpm=%q packages=\"%d\">\n", nsCommon, nsRPM, len(pkgs))
		for _, p := range pkgs {
			writePrimary(&x, p)
		}
		x.WriteString("</metadata>\n")
	case "filelists":
		fmt.Fprintf(&x, "<filelists xmlns=%q packages=\"%d\">\n", nsFilelists, len(pkgs))
		for _, p := range pkgs {
			writeFilelists(&x, p)
		}
		x.WriteString("</filelists>\n")
	case "other":
		fmt.Fprintf(&x, "<otherdata xmlns=%q packages=\"%d\">\n", nsOther, len(pkgs))
		for _, p := range pkgs {
			writeOther(&x, p)
		}
		x.WriteString("</otherdata>\n")
	}
	return x.Bytes()
}

func writePrimary(w *bytes.Buffer, p *Package) {
	w.WriteString("<package type=\"rpm\">\n")
	textElem(w, "  ", "name", p.Name)
	textElem(w, "  ", "arch", p.Arch)
	writeVersion(w, p)
	fmt.Fprintf(w, "  <checksum type=\"sha256\" pkgid=\"YES\">%s</checksum>\n", p.Checksum)
	textElem(w, "  ", "summary", p.Summary)
	textElem(w, "  ", "description", p.Description)
	textElem(w, "  ", "packager", p.Packager)
	textElem(w, "  ", "url", p.URL)
	fmt.Fprintf(w, "  <time file=\"%d\" build=\"%d\"/>\n", p.FileTime, p.BuildTime)
	fmt.Fprintf(w, "  <size package=\"%d\" installed=\"%d\" archive=\"%d\"/>\n", p.Size, p.InstalledSize, p.ArchiveSize)
	w.WriteString("  <location href=\"")
	escape(w, p.Location, true)
	w.WriteString("\"/>\n  <format>\n")
	textElem(w, "    ", "rpm:license", p.License)
	textElem(w, "    ", "rpm:vendor", p.Vendor)
	textElem(w, "    ", "rpm:group", p.Group)
	textElem(w, "    ", "rpm:buildhost", p.BuildHost)
	textElem(w, "    ", "rpm:sourcerpm", p.SourceRPM)
	fmt.Fprintf(w, "    <rpm:header-range start=\"%d\" end=\"%d\"/>\n", p.HeaderStart, p.HeaderEnd)
	for _, k := range relationKinds(p) {
		if len(*k.list) == 0 {
			continue
		}
		fmt.Fprintf(w, "    <rpm:%s>\n", k.elem)
		for _, r := range *k.list {
			w.WriteString("      <rpm:entry name=\"")
			escape(w, r.Name, true)
			w.WriteByte('"')
			if r.Flags != "" {
				attr(w, "flags", r.Flags)
				attr(w, "epoch", r.Epoch)
				attr(w, "ver", r.Version)
				attr(w, "rel", r.Release)
			}
			if r.Pre && k.elem == "requires" {
				w.WriteString(` pre="1"`)
			}
			w.WriteString("/>\n")
		}
		fmt.Fprintf(w, "    </rpm:%s>\n", k.elem)
	}
	for _, f := range p.Files {
		if primaryFile(f.Path) {
			writeFile(w, "    ", f)
		}
	}
	w.WriteString("  </format>\n</package>\n")
}

func writeFilelists(w *bytes.Buffer, p *Package) {
	pkgHead(w, p)
	for _, f := range p.Files {
		writeFile(w, "  ", f)
	}
	w.WriteString("</package>\n")
}

func writeOther(w *bytes.Buffer, p *Package) {
	pkgHead(w, p)
	for _, c := range p.Changelog {
		w.WriteString("  <changelog author=\"")
		escape(w, c.Author, true)
		fmt.Fprintf(w, "\" date=\"%d\">", c.Date)
		escape(w, c.Text, false)
		w.WriteString("</changelog>\n")
	}
	w.WriteString("</package>\n")
}

// pkgHead starts a package of filelists.xml and other.xml.
func pkgHead(w *bytes.Buffer, p *Package) {
	fmt.Fprintf(w, "<package pkgid=\"%s\" name=\"", p.Checksum)
	escape(w, p.Name, true)
	w.WriteString("\" arch=\"")
	escape(w, p.Arch, true)
	w.WriteString("\">\n")
	writeVersion(w, p)
}

func writeVersion(w *bytes.Buffer, p *Package) {
	w.WriteString("  <version")
	attr(w, "epoch", p.Epoch)
	attr(w, "ver", p.Version)
	attr(w, "rel", p.Release)
	w.WriteString("/>\n")
}

func writeFile(w *bytes.Buffer, indent string, f PackageFile) {
	w.WriteString(indent + "<file")
	attr(w, "type", f.Type)
	w.WriteByte('>')
	escape(w, f.Path, false)
	w.WriteString("</file>\n")
}

// attr writes ` name="value"` unless value is empty.
func attr(w *bytes.Buffer, name, value string) {
	if value == "" {
		return
	}
	w.WriteString(" " + name + "=\"")
	escape(w, value, true)
	w.WriteByte('"')
}

func textElem(w *bytes.Buffer, indent, name, text string) {
	w.WriteString(indent + "<" + name)
	if text == "" {
		w.WriteString("/>\n")
		return
	}
	w.WriteByte('>')
	escape(w, text, false)
	w.WriteString("</" + name + ">\n")
}

// escape writes s as XML character data, or as an attribute value (where
// whitespace other than a space would be normalized away).
func escape(w *bytes.Buffer, s string, inAttr bool) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '\r':
			rep = "&#13;"
		case '"':
			if !inAttr {
				continue
			}
			rep = "&quot;"
		case '\n':
			if !inAttr {
				continue
			}
			rep = "&#10;"
		case '\t':
			if !inAttr {
				continue
			}
			rep = "&#9;"
		default:
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(rep)
		last = i + 1
	}
	w.WriteString(s[last:])
}

type relationKind struct {
	elem string
	list *[]Relation
}

// relationKinds are the dependency lists in primary.xml's order.
func relationKinds(p *Package) []relationKind {
	return []relationKind{
		{"provides", &p.Provides}, {"requires", &p.Requires}, {"conflicts", &p.Conflicts}, {"obsoletes", &p.Obsoletes},
		{"suggests", &p.Suggests}, {"enhances", &p.Enhances}, {"recommends", &p.Recommends}, {"supplements", &p.Supplements},
	}
}

// checkText refuses strings XML cannot carry: invalid UTF-8 and control
// characters other than tab, newline and carriage return (createrepo_c
// refuses such packages too).
func checkText(p Package) error {
	var bad string
	see := func(what, s string) {
		if bad != "" {
			return
		}
		if !utf8.ValidString(s) {
			bad = what + " is not UTF-8"
			return
		}
		for _, c := range []byte(s) {
			if c < 32 && c != '\t' && c != '\n' && c != '\r' {
				bad = fmt.Sprintf("%s %q has a control character", what, s)
				return
			}
		}
	}
	for what, s := range map[string]string{"name": p.Name, "arch": p.Arch, "epoch": p.Epoch, "version": p.Version,
		"release": p.Release, "summary": p.Summary, "description": p.Description, "packager": p.Packager, "url": p.URL,
		"location": p.Location, "license": p.License, "vendor": p.Vendor, "group": p.Group, "buildhost": p.BuildHost,
		"sourcerpm": p.SourceRPM} {
		see(what, s)
	}
	for _, k := range relationKinds(&p) {
		for _, r := range *k.list {
			for _, s := range []string{r.Name, r.Flags, r.Epoch, r.Version, r.Release} {
				see(k.elem, s)
			}
		}
	}
	for _, f := range p.Files {
		see("file", f.Path)
	}
	for _, c := range p.Changelog {
		see("changelog", c.Author)
		see("changelog", c.Text)
	}
	if bad != "" {
		return errors.New(bad)
	}
	return nil
}

// readMetadata reads the packages of dir's repodata and the names of the
// repodata files its repomd.xml lists.
func readMetadata(st store.Files, dir string) ([]Package, []string, error) {
	repomdName := path.Join(dir, "repodata/repomd.xml")
	data, err := st.ReadFile(repomdName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var md struct {
		Data []struct {
			Type     string `xml:"type,attr"`
			Checksum struct {
				Type  string `xml:"type,attr"`
				Value string `xml:",chardata"`
			} `xml:"checksum"`
			Location struct {
				Href string `xml:"href,attr"`
			} `xml:"location"`
		} `xml:"data"`
	}
	if err := xml.Unmarshal(data, &md); err != nil {
		return nil, nil, fmt.Errorf("%s: %v", repomdName, err)
	}
	var prior []string
	raw := map[string][]byte{}
	hrefs := map[string]string{}
	for _, d := range md.Data {
		href := d.Location.Href
		name := path.Join(dir, href)
		if href == "" || path.IsAbs(href) || path.Clean(href) != href || href == ".." || strings.HasPrefix(href, "../") {
			return nil, nil, fmt.Errorf("%s: %s data at %q, outside the directory", repomdName, d.Type, href)
		}
		prior = append(prior, name)
		switch {
		case derivedTypes[d.Type]:
			continue
		case d.Type != "primary" && d.Type != "filelists" && d.Type != "other":
			return nil, nil, fmt.Errorf("%s: %s metadata is not kept by wsgipack and would be lost: remove it from the repository first", repomdName, d.Type)
		}
		if raw[d.Type], err = st.ReadFile(name); err != nil {
			return nil, nil, err
		}
		if err := verify(raw[d.Type], d.Checksum.Type, d.Checksum.Value); err != nil {
			return nil, nil, fmt.Errorf("%s: %v", name, err)
		}
		hrefs[d.Type] = href
	}
	for _, typ := range dataTypes {
		if raw[typ] == nil {
			return nil, nil, fmt.Errorf("%s names no %s metadata", repomdName, typ)
		}
	}
	// The three documents are read side by side.
	var prim []Package
	var files, other map[string]*elem
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, typ := range dataTypes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			doc, err := decompress(raw[typ], hrefs[typ])
			if err == nil {
				switch typ {
				case "primary":
					prim, err = parsePrimary(doc)
				case "filelists":
					files, err = byID(doc)
				case "other":
					other, err = byID(doc)
				}
			}
			if err != nil {
				errs[i] = fmt.Errorf("%s: %v", path.Join(dir, hrefs[typ]), err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	for i := range prim {
		p := &prim[i]
		f, o := files[p.Checksum], other[p.Checksum]
		if f == nil || o == nil {
			return nil, nil, fmt.Errorf("%s: %s is missing from filelists or other", dir, p.NEVRA())
		}
		for _, e := range []*elem{f, o} {
			if v := e.child("version"); v == nil || v.attr("epoch") != p.Epoch || v.attr("ver") != p.Version || v.attr("rel") != p.Release {
				return nil, nil, fmt.Errorf("%s: package %s has another version in filelists or other", dir, p.Checksum)
			}
		}
		for _, c := range f.kids {
			if c.name == "file" {
				p.Files = append(p.Files, PackageFile{Path: string(c.text), Type: c.attr("type")})
			}
		}
		for _, c := range o.kids {
			if c.name == "changelog" {
				date, err := strconv.ParseInt(c.attr("date"), 10, 64)
				if err != nil {
					return nil, nil, fmt.Errorf("%s: package %s: changelog date %q", dir, p.Checksum, c.attr("date"))
				}
				p.Changelog = append(p.Changelog, Change{Author: c.attr("author"), Date: date, Text: string(c.text)})
			}
		}
	}
	if len(files) != len(prim) || len(other) != len(prim) {
		return nil, nil, fmt.Errorf("%s: primary lists %d packages, filelists %d, other %d", dir, len(prim), len(files), len(other))
	}
	return prim, prior, nil
}

func verify(data []byte, typ, want string) error {
	if typ != "sha256" {
		return fmt.Errorf("checksum type %q: wsgipack reads sha256", typ)
	}
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != want {
		return fmt.Errorf("sha256 %x, but repomd.xml says %s", got, want)
	}
	return nil
}

func decompress(data []byte, name string) ([]byte, error) {
	switch {
	case strings.HasSuffix(name, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	case strings.HasSuffix(name, ".zst"):
		zr, err := zstd.NewReader(nil)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return zr.DecodeAll(data, nil)
	case strings.HasSuffix(name, ".xml"):
		return data, nil
	}
	return nil, fmt.Errorf("unknown compression (wsgipack reads .gz, .zst and plain .xml)")
}

// elem is an XML element as the metadata is read back: its local name
// (any namespace), attributes by local name, text and child elements.
type elem struct {
	name  string
	attrs []xml.Attr
	text  []byte
	kids  []*elem
}

func (e *elem) attr(name string) string {
	for _, a := range e.attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (e *elem) child(name string) *elem {
	for _, c := range e.kids {
		if c.name == name {
			return c
		}
	}
	return nil
}

// str is the text of the child element called name.
func (e *elem) str(name string) string {
	if c := e.child(name); c != nil {
		return string(c.text)
	}
	return ""
}

func (e *elem) num(child, attr string) (int64, error) {
	c := e.child(child)
	if c == nil {
		return 0, fmt.Errorf("no <%s>", child)
	}
	n, err := strconv.ParseInt(c.attr(attr), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("<%s %s=%q>: not a number", child, attr, c.attr(attr))
	}
	return n, nil
}

// byID indexes the packages of filelists.xml or other.xml by package id.
func byID(doc []byte) (map[string]*elem, error) {
	out := map[string]*elem{}
	err := eachPackage(doc, func(e *elem) error {
		id := e.attr("pkgid")
		if out[id] != nil {
			return fmt.Errorf("package %s is listed twice", id)
		}
		out[id] = e
		return nil
	})
	return out, err
}

// parsePrimary reads primary.xml's packages.
func parsePrimary(doc []byte) ([]Package, error) {
	var pkgs []Package
	seen := map[string]bool{}
	err := eachPackage(doc, func(e *elem) error {
		v, sum, loc, f := e.child("version"), e.child("checksum"), e.child("location"), e.child("format")
		if v == nil || sum == nil || loc == nil || f == nil {
			return fmt.Errorf("package %q lacks version, checksum, location or format", e.str("name"))
		}
		if sum.attr("type") != "sha256" {
			return fmt.Errorf("%s: checksum type %q: wsgipack reads sha256", e.str("name"), sum.attr("type"))
		}
		if base := loc.attr("base"); base != "" {
			return fmt.Errorf("%s: location outside the repository (%s)", e.str("name"), base)
		}
		p := Package{
			Name: e.str("name"), Arch: e.str("arch"), Epoch: v.attr("epoch"), Version: v.attr("ver"), Release: v.attr("rel"),
			Checksum: string(sum.text), Summary: e.str("summary"), Description: e.str("description"),
			Packager: e.str("packager"), URL: e.str("url"), Location: loc.attr("href"),
			License: f.str("license"), Vendor: f.str("vendor"), Group: f.str("group"), BuildHost: f.str("buildhost"),
			SourceRPM: f.str("sourcerpm"),
		}
		var err error
		for _, n := range []struct {
			dst         *int64
			child, attr string
			in          *elem
		}{
			{&p.FileTime, "time", "file", e}, {&p.BuildTime, "time", "build", e},
			{&p.Size, "size", "package", e}, {&p.InstalledSize, "size", "installed", e}, {&p.ArchiveSize, "size", "archive", e},
			{&p.HeaderStart, "header-range", "start", f}, {&p.HeaderEnd, "header-range", "end", f},
		} {
			if *n.dst, err = n.in.num(n.child, n.attr); err != nil {
				return fmt.Errorf("%s: %v", p.Name, err)
			}
		}
		for _, k := range relationKinds(&p) {
			c := f.child(k.elem)
			if c == nil {
				continue
			}
			for _, x := range c.kids {
				if x.name == "entry" {
					pre := x.attr("pre")
					*k.list = append(*k.list, Relation{Name: x.attr("name"), Flags: x.attr("flags"), Epoch: x.attr("epoch"),
						Version: x.attr("ver"), Release: x.attr("rel"), Pre: pre == "1" || pre == "true"})
				}
			}
		}
		if seen[p.Checksum] {
			return fmt.Errorf("package %s is listed twice", p.Checksum)
		}
		seen[p.Checksum] = true
		pkgs = append(pkgs, p)
		return nil
	})
	return pkgs, err
}
