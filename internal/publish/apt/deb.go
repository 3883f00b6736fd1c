package apt

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/wsgipack/wsgipack/internal/inspect"
)

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
	control, err := inspect.DebControl(f, size)
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
