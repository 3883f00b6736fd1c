package yum

import "strconv"

// Vercmp compares two version (or release) strings as rpm's rpmvercmp
// does: -1 when a is older than b, 0 when they are equal, 1 when a is
// newer. Segments of digits compare numerically and win over letters; '~'
// sorts before anything, even the end of the string; '^' sorts after the
// end of the string but before anything else; other characters only
// separate segments.
func Vercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		ca, cb := at(a, i), at(b, j)
		if ca == '~' || cb == '~' {
			if ca != '~' {
				return 1
			}
			if cb != '~' {
				return -1
			}
			i, j = i+1, j+1
			continue
		}
		if ca == '^' || cb == '^' {
			if i == len(a) {
				return -1
			}
			if j == len(b) {
				return 1
			}
			if ca != '^' {
				return 1
			}
			if cb != '^' {
				return -1
			}
			i, j = i+1, j+1
			continue
		}
		if i == len(a) || j == len(b) {
			break
		}
		ea, eb := i, j
		isNum := isDigit(a[i])
		if isNum {
			for ea < len(a) && isDigit(a[ea]) {
				ea++
			}
			for eb < len(b) && isDigit(b[eb]) {
				eb++
			}
		} else {
			for ea < len(a) && isAlpha(a[ea]) {
				ea++
			}
			for eb < len(b) && isAlpha(b[eb]) {
				eb++
			}
		}
		// a's segment is never empty; b's is when the types differ, and a
		// number is newer than letters.
		if eb == j {
			if isNum {
				return 1
			}
			return -1
		}
		sa, sb := a[i:ea], b[j:eb]
		if isNum {
			for len(sa) > 0 && sa[0] == '0' {
				sa = sa[1:]
			}
			for len(sb) > 0 && sb[0] == '0' {
				sb = sb[1:]
			}
			if len(sa) != len(sb) {
				if len(sa) > len(sb) {
					return 1
				}
				return -1
			}
		}
		if sa != sb {
			if sa > sb {
				return 1
			}
			return -1
		}
		i, j = ea, eb
	}
	switch {
	case i == len(a) && j == len(b):
		return 0
	case i == len(a):
		return -1
	}
	return 1
}

// CompareEVR compares two packages' epoch, version and release as rpm
// orders them (rpmVersionCompare): the epoch numerically (empty is 0),
// then version and release with Vercmp.
func CompareEVR(a, b Package) int {
	if c := compareEpoch(a.Epoch, b.Epoch); c != 0 {
		return c
	}
	if c := Vercmp(a.Version, b.Version); c != 0 {
		return c
	}
	return Vercmp(a.Release, b.Release)
}

func compareEpoch(a, b string) int {
	ea, _ := strconv.ParseUint(a, 10, 64)
	eb, _ := strconv.ParseUint(b, 10, 64)
	switch {
	case ea < eb:
		return -1
	case ea > eb:
		return 1
	}
	return 0
}

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
