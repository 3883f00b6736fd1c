package apt

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

// testVersions are versions with what makes dpkg's order hard: epochs,
// '~' (before the end of the string), '+' and '.', letters against
// non-letters, leading zeros, missing and zero revisions, long digit runs,
// hyphens in the upstream version, and wsgipack's own mappings.
var testVersions = []string{
	"0", "0.0", "00", "1", "1.0", "1.0-0", "1.0-1", "1.0-1.1", "1.0-1+b1", "1.0-1~bpo1",
	"1.0~rc1", "1.0~rc1-1", "1.0~~", "1.0~~a", "1.0~", "1.0a", "1.0+", "1.0.", "1.0.0", "1.00",
	"1.0+dfsg-1", "1.0+1", "1.0.1", "1.01", "1.1", "1.10", "1.9", "1.a", "1.A", "1.+",
	"1.~", "1-2-3", "1-2", "1:0", "1:1.0-1", "01:1.0-1", "2:0.1", "10:1", "9:99",
	"1.4.2-1+deb12", "1.4.2-1+deb11", "1.4.2-2+deb12", "1.4.2~rc.1-1+deb12", "1.4.2~rc1-1+deb12",
	"1.4.2~~dev3-1+deb12", "1.4.2+post1-1+deb12", "1.4.2+build.7-1+deb12", "2:1.0-1+deb12",
	"1.4.2-1+ubuntu22.04", "1.4.2-1+ubuntu20.04", "1.4.10-1+deb12", "18446744073709551616",
	"18446744073709551617", "1.0-a", "1.0-A", "1.0-~", "3.0.0~beta.2", "3.0.0~beta.10",
}

// dpkgOrder asks dpkg --compare-versions for each pair: -1, 0 or 1.
func dpkgOrder(t testing.TB, pairs [][2]string) []int {
	t.Helper()
	testtool.Need(t, "dpkg")
	const script = `while read -r a b; do
  if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then echo -1
  elif dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo 0
  else echo 1; fi
done`
	out := make([]int, len(pairs))
	const workers = 4
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			var idx []int
			var in strings.Builder
			for i := w; i < len(pairs); i += workers {
				idx = append(idx, i)
				fmt.Fprintf(&in, "%s %s\n", pairs[i][0], pairs[i][1])
			}
			cmd := exec.Command("sh", "-c", script)
			cmd.Stdin = strings.NewReader(in.String())
			res, err := cmd.Output()
			if err != nil {
				errs[w] = err
				return
			}
			lines := strings.Fields(string(res))
			if len(lines) != len(idx) {
				errs[w] = fmt.Errorf("%d answers for %d pairs", len(lines), len(idx))
				return
			}
			for k, i := range idx {
				fmt.Sscan(lines[k], &out[i])
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// randomVersions are n versions made of the pieces dpkg's order is about,
// the same on every run.
func randomVersions(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	var vs []string
	for range n {
		var b strings.Builder
		if r.IntN(5) == 0 {
			b.WriteString(pick("0:", "1:", "2:", "10:", "01:"))
		}
		b.WriteString(pick("0", "1", "2", "10", "01", "9"))
		for range r.IntN(4) {
			b.WriteString(pick(".", "~", "+", "~~", "", "."))
			b.WriteString(pick("0", "1", "12", "a", "rc", "rc1", "b2", "Z", "", "dev3", "post1", "00"))
		}
		if r.IntN(3) > 0 {
			b.WriteString(pick("-", "-", "-1-"))
			b.WriteString(pick("1", "0", "2", "1.1", "a", "1~", "1+deb12", "1+deb11", "1+b1", "10"))
		}
		vs = append(vs, b.String())
	}
	return vs
}

// TestCompareVersionsWithDpkg checks CompareVersions with dpkg
// --compare-versions: the hand-picked testVersions and 300 random ones are
// sorted with CompareVersions and dpkg must agree on every neighbour pair
// (less or equal, exactly as CompareVersions says), which by transitivity
// is every pair; 400 random pairs are compared directly as well.
func TestCompareVersionsWithDpkg(t *testing.T) {
	vs := append(slices.Clone(testVersions), randomVersions(300)...)
	for _, v := range vs {
		if err := checkVersion(v); err != nil {
			t.Fatal(err)
		}
	}
	slices.SortStableFunc(vs, CompareVersions)
	var pairs [][2]string
	for i := 1; i < len(vs); i++ {
		pairs = append(pairs, [2]string{vs[i-1], vs[i]})
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 400 {
		pairs = append(pairs, [2]string{vs[r.IntN(len(vs))], vs[r.IntN(len(vs))]})
	}
	want := dpkgOrder(t, pairs)
	bad := 0
	for i, p := range pairs {
		got := sign(CompareVersions(p[0], p[1]))
		back := sign(CompareVersions(p[1], p[0]))
		if got != want[i] || back != -want[i] {
			bad++
			t.Errorf("CompareVersions(%q, %q) = %d (and %d the other way), dpkg says %d", p[0], p[1], got, back, want[i])
		}
	}
	t.Logf("%d versions in dpkg's order; %d of %d pairs agree with dpkg --compare-versions", len(vs), len(pairs)-bad, len(pairs))
}

func TestCompareVersionsKnown(t *testing.T) {
	ordered := []string{"1.0~~", "1.0~~a", "1.0~", "1.0~rc1", "1.0", "1.0-1", "1.0a", "1.0+", "1.0.1", "1.1", "1.10", "1:0.1"}
	for i := range ordered {
		for j := range ordered {
			if got, want := sign(CompareVersions(ordered[i], ordered[j])), sign(i-j); got != want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	for _, eq := range [][2]string{{"1.0", "1.0-0"}, {"1.0", "0:1.0"}, {"01:1.0", "1:1.0"}, {"1.00", "1.0"}} {
		if c := CompareVersions(eq[0], eq[1]); c != 0 {
			t.Errorf("CompareVersions(%q, %q) = %d, want 0", eq[0], eq[1], c)
		}
	}
}

func TestCheckVersion(t *testing.T) {
	for _, v := range []string{"1.0", "2:1.4.2~rc1-1+deb12", "1.0-1-2", "1:2:3", "0"} {
		if err := checkVersion(v); err != nil {
			t.Errorf("checkVersion(%q): %v", v, err)
		}
	}
	for _, v := range []string{"", "a1.0", "x:1.0", ":1.0", "1.0-", "1.0 1", "1.0_1", "1.0-1:2", "1:", "1.0-a_b"} {
		if err := checkVersion(v); err == nil {
			t.Errorf("checkVersion(%q) accepted it", v)
		}
	}
}
