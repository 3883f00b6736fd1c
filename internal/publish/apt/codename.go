package apt

import (
	"fmt"
	"strings"

	"github.com/wsgipack/wsgipack/internal/distro"
)

// Codename is the codename a package version built by wsgipack belongs to,
// read from its revision's suffix (internal/distro): 1.4.2-1+deb12 is
// bookworm's.
func Codename(version string) (string, error) {
	rev := ""
	if i := strings.LastIndexByte(version, '-'); i >= 0 {
		rev = version[i+1:]
	}
	var known []string
	for _, r := range distro.All() {
		if r.Codename == "" {
			continue
		}
		if strings.HasSuffix(rev, r.Suffix) {
			return r.Codename, nil
		}
		known = append(known, r.Suffix+" ("+r.Codename+")")
	}
	return "", fmt.Errorf("version %s: its revision ends in none of %s; name the codename", version, strings.Join(known, ", "))
}

// SourcesFile is the deb822 file (/etc/apt/sources.list.d/<name>.sources)
// with which a client uses codename's packages from the repository at
// baseURL, trusting the key at keyPath.
func SourcesFile(baseURL, codename, keyPath string) []byte {
	return fmt.Appendf(nil, "Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n",
		baseURL, codename, keyPath)
}
