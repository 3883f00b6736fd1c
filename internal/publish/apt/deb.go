package apt

import (
	"archive/tar"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// maxControl bounds the control file read from a .deb.
const maxControl = 1 << 20

// ReadDeb reads the .deb at file into its Packages stanza, as
// dpkg-scanpackages writes it: the control file's fields (names spelled as
// dpkg spells them), Filename (the pool path, see PoolPath), Size, MD5sum,
// SHA1 and SHA256, in dpkg-scanpackages' field order.
func ReadDeb(file string) (Package, error) {
	f, err := os.Open(file)
	if err != nil {
		return Package{}, err
	}
	defer f.Close()
	md5h, sha1h, sha256h := md5.New(), sha1.New(), sha256.New()
	size, err := io.Copy(io.MultiWriter(md5h, sha1h, sha256h), f)
	if err != nil {
		return Package{}, fmt.Errorf("%s: %w", file, err)
	}
	control, err := debControl(f, size)
	if err != nil {
		return Package{}, fmt.Errorf("%s: %w", file, err)
	}
	paras, err := parseParagraphs(control, file+": control")
	if err != nil {
		return Package{}, err
	}
	if len(paras) == 0 {
		return Package{}, fmt.Errorf("%s: the control file is empty", file)
	}
	var p Package
	for _, fl := range paras[0] {
		fl.Name = capitalize(fl.Name)
		switch fl.Name {
		case "Filename", "Size", "MD5sum", "SHA1", "SHA256":
			continue // dpkg-scanpackages replaces these
		}
		p.Fields = append(p.Fields, fl)
	}
	pool, err := PoolPath(p)
	if err != nil {
		return Package{}, fmt.Errorf("%s: %w", file, err)
	}
	p.Fields = append(p.Fields,
		Field{"Filename", pool},
		Field{"Size", strconv.FormatInt(size, 10)},
		Field{"MD5sum", hex.EncodeToString(md5h.Sum(nil))},
		Field{"SHA1", hex.EncodeToString(sha1h.Sum(nil))},
		Field{"SHA256", hex.EncodeToString(sha256h.Sum(nil))})
	sortIndexFields(p.Fields)
	return p, nil
}

var (
	nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	archRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

// checkIdentity refuses a package whose name, version or architecture is
// missing or not what dpkg accepts.
func checkIdentity(p Package) error {
	if !nameRE.MatchString(p.Name()) {
		return fmt.Errorf("package name %q is missing or not a Debian package name", p.Name())
	}
	if err := checkVersion(p.Version()); err != nil {
		return fmt.Errorf("package %s: %w", p.Name(), err)
	}
	if !archRE.MatchString(p.Arch()) {
		return fmt.Errorf("package %s: architecture %q is missing or invalid", p.Name(), p.Arch())
	}
	return nil
}

// PoolPath is where Debian's layout puts a package:
// pool/main/<letter>/<source>/<name>_<version without epoch>_<arch>.deb,
// where source is the Source field's name or else the package name, and
// letter its first letter, or its first four for lib* names.
func PoolPath(p Package) (string, error) {
	if err := checkIdentity(p); err != nil {
		return "", err
	}
	src := p.Name()
	if s, _, _ := strings.Cut(p.Get("Source"), " "); s != "" {
		if !nameRE.MatchString(s) {
			return "", fmt.Errorf("package %s: Source %q is not a package name", p.Name(), s)
		}
		src = s
	}
	letter := src[:1]
	if strings.HasPrefix(src, "lib") && len(src) > 3 {
		letter = src[:4]
	}
	v := p.Version()
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	return path.Join("pool", "main", letter, src, p.Name()+"_"+v+"_"+p.Arch()+".deb"), nil
}

// debControl returns the control file of the .deb r of size bytes: the
// ar archive's control.tar member (plain or .gz, .xz, .zst), file ./control.
func debControl(r io.ReaderAt, size int64) ([]byte, error) {
	const magic = "!<arch>\n"
	hdr := make([]byte, 60)
	if _, err := r.ReadAt(hdr[:len(magic)], 0); err != nil || string(hdr[:len(magic)]) != magic {
		return nil, errors.New("not a .deb (no ar archive)")
	}
	for off := int64(len(magic)); off+60 <= size; {
		if _, err := r.ReadAt(hdr, off); err != nil {
			return nil, err
		}
		if hdr[58] != '`' || hdr[59] != '\n' {
			return nil, fmt.Errorf("corrupt .deb: no ar member header at byte %d", off)
		}
		name := strings.TrimRight(strings.TrimRight(string(hdr[:16]), " "), "/")
		n, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || n < 0 || n > size-off-60 {
			return nil, fmt.Errorf("corrupt .deb: ar member %q has a bad size", name)
		}
		if name == "control.tar" || strings.HasPrefix(name, "control.tar.") {
			return tarControl(name, io.NewSectionReader(r, off+60, n))
		}
		off += 60 + n + n%2
	}
	return nil, errors.New("not a .deb: no control.tar member")
}

// tarControl reads ./control from the control member called name.
func tarControl(name string, r io.Reader) ([]byte, error) {
	switch path.Ext(name) {
	case ".tar":
	case ".gz":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r = zr
	case ".xz":
		zr, err := xz.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r = zr
	case ".zst":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		r = zr
	default:
		return nil, fmt.Errorf("%s: unknown compression", name)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s: no control file", name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if h.Typeflag == tar.TypeReg && strings.TrimPrefix(path.Clean(h.Name), "./") == "control" {
			if h.Size > maxControl {
				return nil, fmt.Errorf("%s: control is %d bytes", name, h.Size)
			}
			return io.ReadAll(tr)
		}
	}
}
