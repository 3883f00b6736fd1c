// Package version parses an app's version, written as SemVer or PEP 440,
// into an upstream version string that sorts in dpkg and rpm exactly as the
// input versions sort (checked against both in the tests). The deb and rpm
// formats (internal/deb, internal/rpm) add the revision and epoch their own
// way.
//
// Pre-releases and dev releases use '~', which sorts before the empty string
// in both dpkg and rpm; post releases and local/build labels use '+'.
package version

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Version is a parsed app version and its package-version forms.
type Version struct {
	Input    string
	Epoch    int    // 0 when none
	Upstream string // deb upstream version and rpm Version (before rpm's '-' rule)
}

// pep440 is the regular expression of PEP 440, appendix B.
var pep440 = regexp.MustCompile(`^v?(?:(?:(?P<epoch>[0-9]+)!)?(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?P<pre>[-_\.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?P<pre_n>[0-9]+)?)?` +
	`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\.]?(?P<post_l>post|rev|r)[-_\.]?(?P<post_n2>[0-9]+)?))?` +
	`(?P<dev>[-_\.]?(?P<dev_l>dev)[-_\.]?(?P<dev_n>[0-9]+)?)?)` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?$`)

var preKinds = map[string]string{
	"a": "a", "alpha": "a", "b": "b", "beta": "b",
	"c": "rc", "rc": "rc", "pre": "rc", "preview": "rc",
}

// Parse reads a SemVer 2.0 or PEP 440 version.
func Parse(s string) (Version, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Version{}, fmt.Errorf("version is empty: write one such as 1.4.2 (SemVer) or 1.4.2rc1 (PEP 440)")
	}
	if sv, err := semver.StrictNewVersion(s); err == nil {
		up := fmt.Sprintf("%d.%d.%d", sv.Major(), sv.Minor(), sv.Patch())
		if sv.Prerelease() != "" {
			up += "~" + sv.Prerelease()
		}
		if sv.Metadata() != "" {
			up += "+" + sv.Metadata()
		}
		return Version{Input: s, Upstream: up}, nil
	}
	m := pep440.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return Version{}, fmt.Errorf("version %q is neither SemVer (1.4.2, 1.4.2-rc.1, 1.4.2+build.7) nor PEP 440 (1.4.2rc1, 1.4.2.post1, 1.4.2.dev3, 2!1.0): fix it or pass --version", s)
	}
	g := func(name string) string { return m[pep440.SubexpIndex(name)] }
	num := func(name string) string { // "07" -> "7"; absent -> "0"; any length (dpkg and rpm compare digit runs of any length)
		if n := strings.TrimLeft(g(name), "0"); n != "" {
			return n
		}
		return "0"
	}
	v := Version{Input: s}
	if e := g("epoch"); e != "" {
		n, err := strconv.Atoi(e)
		if err != nil || n > 1<<31-1 {
			return Version{}, fmt.Errorf("version %q: epoch %s is too large", s, e)
		}
		v.Epoch = n
	}
	parts := strings.Split(g("release"), ".")
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return Version{}, fmt.Errorf("version %q: release number %s is too large", s, p)
		}
		parts[i] = strconv.FormatUint(n, 10)
	}
	up := strings.Join(parts, ".")
	hasPre, hasPost, hasDev := g("pre") != "", g("post") != "", g("dev") != ""
	if hasPre {
		up += "~" + preKinds[g("pre_l")] + num("pre_n")
	}
	if hasPost {
		n := g("post_n1")
		if n == "" {
			n = num("post_n2")
		}
		up += "+post" + n
	}
	if hasDev {
		if !hasPre && !hasPost {
			up += "~" // a dev release of the final version sorts before its pre-releases
		}
		up += "~dev" + num("dev_n")
	}
	if l := g("local"); l != "" {
		up += "+" + strings.NewReplacer("-", ".", "_", ".").Replace(l)
	}
	v.Upstream = up
	return v, nil
}
