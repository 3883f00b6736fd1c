// The version mapping is tested end to end: through the deb and rpm
// formats' version strings, and against dpkg and rpm.
package version_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"unicode"

	_ "github.com/wsgipack/wsgipack/internal/deb"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/packager"
	_ "github.com/wsgipack/wsgipack/internal/rpm"
	"github.com/wsgipack/wsgipack/internal/version"
)

// parseCases are valid inputs and the versions they map to, with release 1
// and suffix "+deb12" (deb) or ".el9" (rpm).
var parseCases = []struct {
	in, upstream, deb, rpmVersion, rpmEpoch string
}{
	{"1.4.2", "1.4.2", "1.4.2-1+deb12", "1.4.2", ""},
	{"1.4.2-rc.1", "1.4.2~rc.1", "1.4.2~rc.1-1+deb12", "1.4.2~rc.1", ""},
	{"1.4.2rc1", "1.4.2~rc1", "1.4.2~rc1-1+deb12", "1.4.2~rc1", ""},
	{"1.4.2.post1", "1.4.2+post1", "1.4.2+post1-1+deb12", "1.4.2+post1", ""},
	{"1.4.2.dev3", "1.4.2~~dev3", "1.4.2~~dev3-1+deb12", "1.4.2~~dev3", ""},
	{"2!1.0", "1.0", "2:1.0-1+deb12", "1.0", "2"},
	{"1.4.2+build.7", "1.4.2+build.7", "1.4.2+build.7-1+deb12", "1.4.2+build.7", ""},
	{"1.0a1.dev2", "1.0~a1~dev2", "1.0~a1~dev2-1+deb12", "1.0~a1~dev2", ""},
	{"v1.0", "1.0", "1.0-1+deb12", "1.0", ""},
	{"1.0.0-alpha.beta", "1.0.0~alpha.beta", "1.0.0~alpha.beta-1+deb12", "1.0.0~alpha.beta", ""},
	{"1.0-1", "1.0+post1", "1.0+post1-1+deb12", "1.0+post1", ""}, // PEP 440 implicit post release
	{"1.0.0-alpha-1", "1.0.0~alpha-1", "1.0.0~alpha-1-1+deb12", "1.0.0~alpha_1", ""},
	{"1.0.0-rc.1+build-5", "1.0.0~rc.1+build-5", "1.0.0~rc.1+build-5-1+deb12", "1.0.0~rc.1+build_5", ""},
	{"  1.4.2  ", "1.4.2", "1.4.2-1+deb12", "1.4.2", ""},
	{"1.0RC1", "1.0~rc1", "1.0~rc1-1+deb12", "1.0~rc1", ""},
	{"1.0c1", "1.0~rc1", "1.0~rc1-1+deb12", "1.0~rc1", ""},
	{"1.0-preview-2", "1.0~rc2", "1.0~rc2-1+deb12", "1.0~rc2", ""},
	{"1.0alpha", "1.0~a0", "1.0~a0-1+deb12", "1.0~a0", ""},
	{"1.0b02", "1.0~b2", "1.0~b2-1+deb12", "1.0~b2", ""},
	{"1.0.rev", "1.0+post0", "1.0+post0-1+deb12", "1.0+post0", ""},
	{"1.0.post2.dev1", "1.0+post2~dev1", "1.0+post2~dev1-1+deb12", "1.0+post2~dev1", ""},
	{"1.0rc1.post1.dev2", "1.0~rc1+post1~dev2", "1.0~rc1+post1~dev2-1+deb12", "1.0~rc1+post1~dev2", ""},
	{"01.002.0003", "1.2.3", "1.2.3-1+deb12", "1.2.3", ""},
	{"0!1.0", "1.0", "1.0-1+deb12", "1.0", ""},
	{"1.0+Ubuntu-1_b", "1.0+ubuntu.1.b", "1.0+ubuntu.1.b-1+deb12", "1.0+ubuntu.1.b", ""},
	{"1.0rc99999999999999999999", "1.0~rc99999999999999999999", "1.0~rc99999999999999999999-1+deb12", "1.0~rc99999999999999999999", ""},
}

func TestParse(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.in, func(t *testing.T) {
			v, err := version.Parse(c.in)
			if err != nil {
				t.Fatalf("version.Parse(%q): %v", c.in, err)
			}
			if v.Input != strings.TrimSpace(c.in) {
				t.Errorf("Input = %q, want %q", v.Input, strings.TrimSpace(c.in))
			}
			if v.Upstream != c.upstream {
				t.Errorf("Upstream = %q, want %q", v.Upstream, c.upstream)
			}
			if got := deb(v, 1, "+deb12"); got != c.deb {
				t.Errorf("Deb = %q, want %q", got, c.deb)
			}
			want := c.rpmVersion + "-1.el9"
			if c.rpmEpoch != "" {
				want = c.rpmEpoch + ":" + want
			}
			if got := rpmEVR(v); got != want {
				t.Errorf("rpm EVR = %q, want %q", got, want)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, in := range []string{"", "   ", "abc", "1.4.x", "1..2", "1.0-", "--1", "1.0+", "1.0.0-", "1.0+UPPER+twice", "1.0 rc1"} {
		t.Run(in, func(t *testing.T) {
			v, err := version.Parse(in)
			if err == nil {
				t.Fatalf("version.Parse(%q) = %+v, want an error", in, v)
			}
			msg := err.Error()
			if strings.TrimSpace(in) == "" {
				if !strings.Contains(msg, "empty") {
					t.Errorf("version.Parse(%q) error %q does not say the version is empty", in, msg)
				}
				return
			}
			if want := fmt.Sprintf("%q", strings.TrimSpace(in)); !strings.Contains(msg, want) {
				t.Errorf("version.Parse(%q) error %q does not quote the input as %s", in, msg, want)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	for _, in := range []string{"99999999999999999999999!1.0", "1.99999999999999999999999.0"} {
		if _, err := version.Parse(in); err == nil || !strings.Contains(err.Error(), "too large") {
			t.Errorf("version.Parse(%q) error = %v, want one saying a number is too large", in, err)
		}
	}
}

// orderedPairs holds versions where a sorts strictly before b in their own
// scheme (SemVer or PEP 440). Known limitations, deliberately absent:
//   - SemVer numeric vs alphanumeric identifiers at the same position
//     (1.0.0-alpha.1 < 1.0.0-alpha.beta): rpm sorts numbers after letters.
//   - PEP 440 local labels vs .postN of the same version (1.0+abc < 1.0.post1).
//   - Release-length differences (1.0 == 1.0.0 in PEP 440, not in dpkg/rpm).
//
// Also absent, since no character-wise mapping can fix them:
//   - SemVer alphanumeric identifiers are compared in ASCII order, while dpkg
//     and rpm compare digit runs inside them as numbers (semver: rc10 < rc9)
//     and order '-' differently (semver: a-b < a.b < a1 ... not so in dpkg).
//   - PEP 440 local segments mixing numbers and letters at the same position
//     (1.0+abc < 1.0+5): dpkg sorts letters after numbers.
var orderedPairs = [][2]string{
	// PEP 440: dev < alpha < beta < rc < final < post.
	{"1.0.dev1", "1.0a1"},
	{"1.0a1", "1.0b1"},
	{"1.0b1", "1.0rc1"},
	{"1.0rc1", "1.0"},
	{"1.0", "1.0.post1"},
	{"1.0.dev1", "1.0"},
	{"1.0.dev1", "1.0.dev2"},
	{"1.0.dev2", "1.0.dev10"},
	{"1.0a", "1.0a1"},
	{"1.0b2", "1.0c3"},
	{"1.0c3", "1.0rc4"},
	{"1.0.post", "1.0.post1"},
	{"1.0-1", "1.0.post2"},
	{"1.0.post1", "1.0.1"},
	{"1.0.post1", "1.1.dev1"},
	// Dev releases of pre and post releases.
	{"1.0.dev1", "1.0a1.dev1"},
	{"1.0a1.dev1", "1.0a1"},
	{"1.0a1", "1.0a2.dev1"},
	{"1.0rc1", "1.0rc1.post1.dev1"},
	{"1.0rc1.post1.dev1", "1.0rc1.post1"},
	{"1.0rc1.post1", "1.0rc2.dev1"},
	{"1.0", "1.0.post1.dev1"},
	{"1.0.post1.dev1", "1.0.post1.dev2"},
	{"1.0.post1.dev2", "1.0.post1"},
	{"1.0b2.post345.dev456", "1.0b2.post345"},
	// Multi-digit numbers.
	{"1.0rc2", "1.0rc10"},
	{"1.9", "1.10"},
	{"1.9.post9", "1.9.post10"},
	{"1.0rc1", "1.0rc99999999999999999999"},
	{"1.0rc99999999999999999998", "1.0rc99999999999999999999"},
	{"1.0.post99999999999999999998", "1.0.post99999999999999999999"},
	{"1.0.dev99999999999999999998", "1.0.dev99999999999999999999"},
	{"1.0a9", "1.0a10.dev1"},
	// Epochs.
	{"2.0", "1!1.0"},
	{"1!1.0", "2!0.1"},
	{"1!2.0.post1", "2!0.0.dev1"},
	{"9!1.0", "10!1.0"},
	// Local versions.
	{"1.0", "1.0+local"},
	{"1.0+abc", "1.0+abd"},
	{"1.0+abc", "1.0+abc.1"},
	{"1.0+abc.5", "1.0+abc.10"},
	{"1.0+local", "1.0.1"},
	{"1.0rc1+local", "1.0"},
	{"1.0.post1+local", "1.0.post2"},
	// Prefix and spelling variants.
	{"v1.0", "v1.1"},
	{"1.0-rc1", "1.0"},
	{"1.0alpha2", "1.0beta1"},
	// SemVer, precedence example of semver.org.
	{"1.0.0-alpha", "1.0.0-alpha.1"},
	{"1.0.0-alpha.beta", "1.0.0-beta"},
	{"1.0.0-beta", "1.0.0-beta.2"},
	{"1.0.0-beta.2", "1.0.0-beta.11"},
	{"1.0.0-beta.11", "1.0.0-rc.1"},
	{"1.0.0-rc.1", "1.0.0"},
	{"1.0.0", "2.0.0"},
	{"2.0.0", "2.1.0"},
	{"2.1.0", "2.1.1"},
	{"1.9.0", "1.10.0"},
	{"1.0.0-1", "1.0.0-2"},
	{"1.0.0-2", "1.0.0-10"},
	{"1.0.0-rc.1", "1.0.0-rc.1.1"},
	{"1.0.0-x.7.z.92", "1.0.0-x.7.z.93"},
	// SemVer build metadata (ignored in precedence, so compared against
	// versions that differ elsewhere).
	{"1.0.0-rc.1+build.1", "1.0.0"},
	{"1.0.0-alpha+001", "1.0.0-beta+001"},
	{"1.0.0+20130313144700", "1.0.1"},
	{"1.0.0+exp.sha.5114f85", "1.0.1-alpha"},
	{"1.0.0-beta+exp.sha.5114f85", "1.0.0"},
}

// needTool returns the path of name, or ends the test: t.Fatal under CI (the
// test command must install the tool), t.Skip elsewhere.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found (%v): the CI test command must install dpkg and rpm so that package versions are checked against them", name, err)
	}
	t.Skipf("%s not found (%v); set CI to make this a failure", name, err)
	return ""
}

func mustParse(t *testing.T, s string) version.Version {
	t.Helper()
	v, err := version.Parse(s)
	if err != nil {
		t.Fatalf("version.Parse(%q): %v", s, err)
	}
	return v
}

// deb is the Debian version of v, as the deb format writes it.
func deb(v version.Version, release int, suffix string) string {
	return formatVersion("deb", v, release, suffix)
}

// rpmEVR is the rpm [epoch:]version-release of v with release 1.el9, as
// the rpm format writes it.
func rpmEVR(v version.Version) string { return formatVersion("rpm", v, 1, ".el9") }

func formatVersion(format string, v version.Version, release int, suffix string) string {
	f, err := packager.Get(format)
	if err != nil {
		panic(err)
	}
	return f.Version(&packager.Package{Name: "x", Version: v, Release: release, Distro: distro.Release{Suffix: suffix}})
}

func TestOrderDpkg(t *testing.T) {
	dpkg := needTool(t, "dpkg")
	if len(orderedPairs) < 30 {
		t.Fatalf("only %d pairs", len(orderedPairs))
	}
	for _, p := range orderedPairs {
		a, b := deb(mustParse(t, p[0]), 1, "+deb12"), deb(mustParse(t, p[1]), 1, "+deb12")
		out, err := exec.Command(dpkg, "--compare-versions", a, "lt", b).CombinedOutput()
		if err != nil {
			t.Errorf("%s < %s, but not %s < %s in dpkg (%v) %s", p[0], p[1], a, b, err, out)
		}
	}
}

func TestOrderRPM(t *testing.T) {
	rpm := needTool(t, "rpm")
	var args []string
	var evrs [][2]string
	for _, p := range orderedPairs {
		a, b := rpmEVR(mustParse(t, p[0])), rpmEVR(mustParse(t, p[1]))
		evrs = append(evrs, [2]string{a, b})
		args = append(args, "--eval", fmt.Sprintf("%%{lua: print(rpm.vercmp(%q, %q))}", a, b))
	}
	out, err := exec.Command(rpm, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("rpm --eval: %v\n%s", err, out)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(orderedPairs) {
		t.Fatalf("rpm printed %d results for %d pairs:\n%s", len(lines), len(orderedPairs), out)
	}
	for i, p := range orderedPairs {
		if lines[i] != "-1" {
			t.Errorf("%s < %s, but rpm.vercmp(%q, %q) = %s", p[0], p[1], evrs[i][0], evrs[i][1], lines[i])
		}
	}
}

// debVersion is the version syntax of Debian policy 5.6.12, with a revision
// (always present in Deb's output), which allows '-' in the upstream part.
var debVersion = regexp.MustCompile(`^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~-]*-[A-Za-z0-9.+~]+$`)

func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add(c.in)
	}
	for _, p := range orderedPairs {
		f.Add(p[0])
		f.Add(p[1])
	}
	for _, s := range []string{"", "abc", "1.4.x", "1..2", "1.0-", "--1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := version.Parse(s)
		if err != nil {
			return
		}
		if deb := deb(v, 1, "+deb12"); !debVersion.MatchString(deb) {
			t.Errorf("version.Parse(%q).Deb = %q, not a Debian version", s, deb)
		}
		if deb := deb(v, 3, ""); !debVersion.MatchString(deb) {
			t.Errorf("version.Parse(%q).Deb without suffix = %q, not a Debian version", s, deb)
		}
		_, rv, _ := strings.Cut(strings.TrimSuffix(rpmEVR(v), "-1.el9"), ":")
		if !strings.Contains(rpmEVR(v), ":") {
			rv = strings.TrimSuffix(rpmEVR(v), "-1.el9")
		}
		if rv == "" || strings.ContainsRune(rv, '-') || strings.IndexFunc(rv, unicode.IsSpace) >= 0 {
			t.Errorf("version.Parse(%q).RPMVersion = %q: empty, or has '-' or whitespace", s, rv)
		}
		if v.Epoch < 0 {
			t.Errorf("version.Parse(%q).Epoch = %d", s, v.Epoch)
		}
	})
}
