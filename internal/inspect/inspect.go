package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Package is what a package file says about itself. It is the output of
// `wsgipack inspect --json`; the text output shows the same data. Fields a
// format does not have are empty and left out of the JSON.
type Package struct {
	File   string `json:"file"`   // the path given
	Format string `json:"format"` // "deb" or "rpm"

	Name    string `json:"name"`
	Version string `json:"version"` // deb: [epoch:]upstream-revision; rpm: [epoch:]version-release
	Arch    string `json:"arch"`    // as the format names it: amd64, x86_64, all, noarch, ...
	// Summary is rpm's Summary, or the synopsis (first line) of a deb's Description.
	Summary string `json:"summary,omitempty"`
	// Description is rpm's Description, or the extended description of a
	// deb, as plain text (the control file's " ." lines are empty lines).
	Description string `json:"description,omitempty"`
	Maintainer  string `json:"maintainer,omitempty"` // deb Maintainer, rpm Packager
	Homepage    string `json:"homepage,omitempty"`   // deb Homepage, rpm URL
	License     string `json:"license,omitempty"`    // rpm License (a deb has none in its control file)
	// InstalledKiB is the installed size in KiB: deb's Installed-Size, rpm's
	// size in bytes rounded up.
	InstalledKiB int64 `json:"installed_size_kib,omitempty"`
	// Extra are the format's other metadata, in the file's order: the deb
	// control fields not above (Section, Priority, ...), rpm's Group, Vendor,
	// Build-Host, Build-Time, Payload, ...
	Extra []Field `json:"extra,omitempty"`
	// Signature is an rpm's OpenPGP header signature, as the signature
	// packet states it; inspect does not verify it (rpm -K does, with the
	// signer's key). Nil for an unsigned rpm and for a deb.
	Signature *Signature `json:"signature,omitempty"`

	// Relations are deb's Pre-Depends, Depends, Recommends, Suggests,
	// Enhances, Breaks, Conflicts, Provides and Replaces, and rpm's Requires,
	// Provides, Conflicts, Obsoletes, Recommends, Suggests, Supplements and
	// Enhances, in that order.
	Relations []Relation `json:"relations,omitempty"`
	// ConfigFiles are deb's conffiles (as listed) and rpm's %config files.
	ConfigFiles []string `json:"config_files,omitempty"`
	// Scripts are the maintainer scripts, in the order they run on install
	// then removal.
	Scripts []Script `json:"scripts,omitempty"`
	// Files are the entries of the payload, in the package's order.
	Files []File `json:"files,omitempty"`
}

// Field is one metadata field.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Signature is who signed a package, with what and when.
type Signature struct {
	Algorithm string `json:"algorithm"`      // as rpm names it: RSA/SHA256, EdDSA/SHA256, ...
	KeyID     string `json:"key_id"`         // the signing key's ID, 16 hex digits
	Time      string `json:"time,omitempty"` // when it was signed, RFC 3339 in UTC
}

// Relation is one entry of a relation field.
type Relation struct {
	// Kind is the field: Depends, Pre-Depends, ..., or Requires, Provides, ...
	Kind string `json:"kind"`
	// Value is the relation as the format's tools print it: a deb relation
	// such as "libc6 (>= 2.36)" or "a | b"; an rpm one such as
	// "python3.11" or "rpmlib(CompressedFileNames) <= 3.0.4-1".
	Value string `json:"value"`
	// Qualifiers are rpm's dependency qualifiers: pre, post, preun,
	// postun, pretrans, posttrans, interp, rpmlib.
	Qualifiers []string `json:"qualifiers,omitempty"`
}

// Script is one maintainer script.
type Script struct {
	// Name is the format's name: preinst, postinst, prerm, postrm (and
	// config) for deb; %pre, %post, %preun, %postun, %pretrans, %posttrans
	// for rpm.
	Name string `json:"name"`
	// Interpreter is rpm's interpreter tag, or a deb script's #! line.
	Interpreter string `json:"interpreter,omitempty"`
	Text        string `json:"text"` // the script in full
}

// File is one entry of the payload.
type File struct {
	Path  string `json:"path"`  // absolute: /opt/name/...
	Mode  string `json:"mode"`  // as ls prints it: -rw-r--r--, drwxr-xr-x, lrwxrwxrwx, ...
	Owner string `json:"owner"` // user name, or the numeric id when the package has none
	Group string `json:"group"`
	Size  int64  `json:"size"`
	// Link is a symlink's target, or the path a hard link links to.
	Link string `json:"link,omitempty"`
	// Config marks a config file: "conffile" on deb; "%config",
	// "%config(noreplace)", ... on rpm, with rpm's other marks (%doc,
	// %license, %ghost) after it.
	Config string `json:"config,omitempty"`
}

// limits against hostile or corrupt input.
const (
	maxControlMember = 16 << 20 // one file of control.tar
	maxRPMHeader     = 32 << 20 // one rpm header's data, as cavaliergopher/rpm allows
)

// Read reads the package file at path. Errors name the file.
func Read(path string) (*Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	p, err := ReadFrom(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p.File = path
	return p, nil
}

// ReadFrom reads a package of size bytes from r, telling the format by its
// first bytes.
func ReadFrom(r io.ReaderAt, size int64) (*Package, error) {
	head := make([]byte, 8)
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	head = head[:n]
	switch {
	case size == 0 || n == 0:
		return nil, errors.New("empty file: not a .deb or .rpm package")
	case bytes.Equal(head, []byte(arMagic)):
		return readDeb(io.NewSectionReader(r, 0, size), size)
	case bytes.HasPrefix(head, rpmMagic):
		return readRPM(r, size)
	case bytes.HasPrefix([]byte(arMagic), head) || bytes.HasPrefix(rpmMagic, head):
		return nil, fmt.Errorf("truncated: the file has only %d bytes", n)
	}
	return nil, fmt.Errorf("not a .deb or .rpm package: it starts with %s (a .deb starts with \"!<arch>\\n\", an .rpm with ed ab ee db)", describe(head))
}

// describe shows the first bytes of a file in a message.
func describe(b []byte) string {
	printable := true
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f {
			printable = false
		}
	}
	if printable {
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("% x", b)
}

// modeString formats permission bits as ls does, after the type letter.
func modeString(typ byte, perm uint32) string {
	var b strings.Builder
	b.WriteByte(typ)
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		c := byte('-')
		if perm&(1<<(8-i)) != 0 {
			c = rwx[i]
		}
		special := uint32(0)
		switch i {
		case 2:
			special = 0o4000
		case 5:
			special = 0o2000
		case 8:
			special = 0o1000
		}
		if special != 0 && perm&special != 0 {
			letter := byte('s')
			if i == 8 {
				letter = 't'
			}
			if c == '-' {
				letter -= 'a' - 'A'
			}
			c = letter
		}
		b.WriteByte(c)
	}
	return b.String()
}

// absPath turns a payload name (./opt/x/, opt/x, /opt/x) into /opt/x.
func absPath(name string) string {
	if name == "." || name == "./" {
		return "/"
	}
	name = strings.TrimPrefix(name, "./")
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	if t := strings.TrimRight(name, "/"); t != "" {
		name = t
	} else {
		name = "/"
	}
	return name
}
