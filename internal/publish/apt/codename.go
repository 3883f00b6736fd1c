package apt

import (
	"fmt"
	"strings"
)

// codenames are the apt codenames of wsgipack's deb targets and the suffix
// each target adds to a package's Debian revision (internal/distro).
var codenames = []struct{ codename, target, suffix string }{
	{"bullseye", "debian-11", "+deb11"},
	{"bookworm", "debian-12", "+deb12"},
	{"trixie", "debian-13", "+deb13"},
	{"focal", "ubuntu-20.04", "+ubuntu20.04"},
	{"jammy", "ubuntu-22.04", "+ubuntu22.04"},
	{"noble", "ubuntu-24.04", "+ubuntu24.04"},
}

// Codename is the codename a package version built by wsgipack belongs to,
// read from its revision's suffix: 1.4.2-1+deb12 is bookworm's.
func Codename(version string) (string, error) {
	rev := ""
	if i := strings.LastIndexByte(version, '-'); i >= 0 {
		rev = version[i+1:]
	}
	for _, c := range codenames {
		if strings.HasSuffix(rev, c.suffix) {
			return c.codename, nil
		}
	}
	var known []string
	for _, c := range codenames {
		known = append(known, c.suffix+" ("+c.codename+")")
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
