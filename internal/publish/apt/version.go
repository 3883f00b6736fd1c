package apt

import (
	"fmt"
	"strings"
)

// CompareVersions orders two Debian versions ([epoch:]upstream[-revision])
// as dpkg --compare-versions does: negative when a sorts before b, zero when
// dpkg holds them equal (1.0 and 0:1.0-0), positive when a sorts after b.
// '~' sorts before anything, even the end of the string, so 1.0~rc1 < 1.0.
func CompareVersions(a, b string) int {
	ea, ua, ra := splitVersion(a)
	eb, ub, rb := splitVersion(b)
	if ea != eb {
		if ea < eb {
			return -1
		}
		return 1
	}
	if c := verrevcmp(ua, ub); c != 0 {
		return c
	}
	return verrevcmp(ra, rb)
}

// splitVersion splits a version into its epoch (0 when absent), upstream
// version and revision ("" when absent), as dpkg's parseversion does.
func splitVersion(v string) (epoch uint64, upstream, revision string) {
	v = strings.TrimSpace(v)
	if e, rest, ok := strings.Cut(v, ":"); ok {
		for _, c := range []byte(e) {
			epoch = epoch*10 + uint64(c-'0')
		}
		v = rest
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// order is dpkg's weight of a character in the non-digit parts of a version.
func order(c byte) int {
	switch {
	case isDigit(c):
		return 0
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		return int(c)
	case c == '~':
		return -1
	case c != 0:
		return int(c) + 256
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// verrevcmp is dpkg's comparison of upstream versions or revisions:
// alternating non-digit parts (by order) and digit parts (by value).
func verrevcmp(a, b string) int {
	at := func(i int) byte {
		if i < len(a) {
			return a[i]
		}
		return 0
	}
	bt := func(j int) byte {
		if j < len(b) {
			return b[j]
		}
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			if ac, bc := order(at(i)), order(bt(j)); ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		firstDiff := 0
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return firstDiff
		}
	}
	return 0
}

// checkVersion refuses what dpkg's parseversion refuses: a non-numeric
// epoch, an empty upstream version or revision, an upstream version not
// starting with a digit, characters other than [A-Za-z0-9.+~-:] in the
// upstream version or other than [A-Za-z0-9.+~] in the revision.
func checkVersion(v string) error {
	rest := v
	if e, after, ok := strings.Cut(v, ":"); ok {
		if e == "" || len(e) > 9 || strings.Trim(e, "0123456789") != "" {
			return fmt.Errorf("version %q: the epoch is not a number", v)
		}
		rest = after
	}
	upstream, revision, hasRevision := rest, "", false
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		upstream, revision, hasRevision = rest[:i], rest[i+1:], true
	}
	if upstream == "" || !isDigit(upstream[0]) {
		return fmt.Errorf("version %q: the upstream version must start with a digit", v)
	}
	if hasRevision && revision == "" {
		return fmt.Errorf("version %q: empty revision after the last '-'", v)
	}
	for _, c := range []byte(upstream) {
		if !isAlnum(c) && !strings.ContainsRune(".+~-:", rune(c)) {
			return fmt.Errorf("version %q: character %q is not allowed in the upstream version", v, c)
		}
	}
	for _, c := range []byte(revision) {
		if !isAlnum(c) && !strings.ContainsRune(".+~", rune(c)) {
			return fmt.Errorf("version %q: character %q is not allowed in the revision", v, c)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return isDigit(c) || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}
