package yum

import (
	"fmt"
	"math/rand"
	"os/exec"
	"strings"
	"testing"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

// rpmPairs are the version pairs of rpm's own test suite
// (tests/rpmvercmp.at).
var rpmPairs = [][2]string{
	{"1.0", "1.0"}, {"1.0", "2.0"}, {"2.0", "1.0"}, {"2.0.1", "2.0.1"}, {"2.0", "2.0.1"}, {"2.0.1",
		"2.0"}, {"2.0.1a", "2.0.1a"}, {"2.0.1a", "2.0.1"}, {"2.0.1", "2.0.1a"}, {"5.5p1", "5.5p1"},
	{"5.5p1", "5.5p2"}, {"5.5p2", "5.5p1"}, {"5.5p10", "5.5p10"}, {"5.5p1", "5.5p10"}, {"5.5p10",
		"5.5p1"}, {"10xyz", "10.1xyz"}, {"10.1xyz", "10xyz"}, {"xyz10", "xyz10"}, {"xyz10", "xyz10.1"},
	{"xyz10.1", "xyz10"}, {"xyz.4", "xyz.4"}, {"xyz.4", "8"}, {"8", "xyz.4"}, {"xyz.4", "2"}, {"2",
		"xyz.4"}, {"5.5p2", "5.6p1"}, {"5.6p1", "5.5p2"}, {"5.6p1", "6.5p1"}, {"6.5p1", "5.6p1"},
	{"6.0.rc1", "6.0"}, {"6.0", "6.0.rc1"}, {"10b2", "10a1"}, {"10a2", "10b2"}, {"1.0aa", "1.0aa"},
	{"1.0a", "1.0aa"}, {"1.0aa", "1.0a"}, {"10.0001", "10.0001"}, {"10.0001", "10.1"}, {"10.1",
		"10.0001"}, {"10.0001", "10.0039"}, {"10.0039", "10.0001"}, {"4.999.9", "5.0"}, {"5.0", "4.999.9"},
	{"20101121", "20101121"}, {"20101121", "20101122"}, {"20101122", "20101121"}, {"2_0", "2_0"},
	{"2.0", "2_0"}, {"2_0", "2.0"}, {"a", "a"}, {"a+", "a+"}, {"a+", "a_"}, {"a_", "a+"}, {"+a", "+a"},
	{"+a", "_a"}, {"_a", "+a"}, {"+_", "+_"}, {"_+", "+_"}, {"_+", "_+"}, {"+", "_"}, {"_", "+"},
	{"1.0~rc1", "1.0~rc1"}, {"1.0~rc1", "1.0"}, {"1.0", "1.0~rc1"}, {"1.0~rc1", "1.0~rc2"}, {"1.0~rc2",
		"1.0~rc1"}, {"1.0~rc1~git123", "1.0~rc1~git123"}, {"1.0~rc1~git123", "1.0~rc1"}, {"1.0~rc1",
		"1.0~rc1~git123"}, {"1.0^", "1.0^"}, {"1.0^", "1.0"}, {"1.0", "1.0^"}, {"1.0^git1", "1.0^git1"},
	{"1.0^git1", "1.0"}, {"1.0", "1.0^git1"}, {"1.0^git1", "1.0^git2"}, {"1.0^git2", "1.0^git1"},
	{"1.0^git1", "1.01"}, {"1.01", "1.0^git1"}, {"1.0^20160101", "1.0^20160101"}, {"1.0^20160101",
		"1.0.1"}, {"1.0.1", "1.0^20160101"}, {"1.0^20160101^git1", "1.0^20160101^git1"}, {"1.0^20160102",
		"1.0^20160101^git1"}, {"1.0^20160101^git1", "1.0^20160102"}, {"1.0~rc1^git1", "1.0~rc1^git1"},
	{"1.0~rc1^git1", "1.0~rc1"}, {"1.0~rc1", "1.0~rc1^git1"}, {"1.0^git1~pre", "1.0^git1~pre"},
	{"1.0^git1", "1.0^git1~pre"}, {"1.0^git1~pre", "1.0^git1"},
}

// randomVersion makes a version string from segments that stress
// rpmvercmp: numbers with leading zeros, letters, separators, ~ and ^.
func randomVersion(r *rand.Rand) string {
	tokens := []string{"0", "1", "2", "9", "10", "010", "0001", "a", "b", "rc", "Z", "git", ".", ".", "_", "+", "~", "^"}
	var b strings.Builder
	for range 1 + r.Intn(6) {
		b.WriteString(tokens[r.Intn(len(tokens))])
	}
	return b.String()
}

// rpmVercmp asks rpm (rpm.vercmp in its Lua) to compare each pair.
func rpmVercmp(t *testing.T, pairs [][2]string) []string {
	t.Helper()
	testtool.Need(t, "rpm")
	var args []string
	for _, p := range pairs {
		args = append(args, "--eval", fmt.Sprintf("%%{lua: print(rpm.vercmp(%q, %q))}", p[0], p[1]))
	}
	out, err := exec.Command("rpm", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("rpm --eval: %v\n%s", err, out)
	}
	res := strings.Fields(string(out))
	if len(res) != len(pairs) {
		t.Fatalf("rpm printed %d results for %d pairs", len(res), len(pairs))
	}
	return res
}

// TestVercmpAgainstRPM: Vercmp agrees with rpm on rpm's own test pairs and
// on 2,000 random ones, both ways round.
func TestVercmpAgainstRPM(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	pairs := append([][2]string(nil), rpmPairs...)
	for range 2000 {
		a := randomVersion(r)
		b := a
		if r.Intn(4) > 0 {
			b = randomVersion(r)
		} else if r.Intn(2) == 0 {
			b += randomVersion(r)
		}
		pairs = append(pairs, [2]string{a, b})
	}
	want := rpmVercmp(t, pairs)
	for i, p := range pairs {
		if got := fmt.Sprint(Vercmp(p[0], p[1])); got != want[i] {
			t.Errorf("Vercmp(%q, %q) = %s, rpm says %s", p[0], p[1], got, want[i])
		}
		if got, back := Vercmp(p[0], p[1]), Vercmp(p[1], p[0]); got != -back {
			t.Errorf("Vercmp(%q, %q) = %d, but the other way round %d", p[0], p[1], got, back)
		}
	}
}

// TestCompareEVRAgainstRPM: CompareEVR orders epoch, version and release
// as rpm orders "epoch:version-release".
func TestCompareEVRAgainstRPM(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	epochs := []string{"0", "1", "2", "10"}
	var pkgs [][2]Package
	var pairs [][2]string
	for range 1000 {
		var pp [2]Package
		for k := range pp {
			pp[k] = Package{Epoch: epochs[r.Intn(len(epochs))], Version: randomVersion(r), Release: randomVersion(r)}
			if k == 1 && r.Intn(3) == 0 {
				pp[1].Epoch, pp[1].Version = pp[0].Epoch, pp[0].Version
			}
		}
		pkgs = append(pkgs, pp)
		pairs = append(pairs, [2]string{evr(pp[0]), evr(pp[1])})
	}
	want := rpmVercmp(t, pairs)
	for i, pp := range pkgs {
		if got := fmt.Sprint(CompareEVR(pp[0], pp[1])); got != want[i] {
			t.Errorf("CompareEVR(%s, %s) = %s, rpm says %s", pairs[i][0], pairs[i][1], got, want[i])
		}
	}
}

func evr(p Package) string { return p.Epoch + ":" + p.Version + "-" + p.Release }
