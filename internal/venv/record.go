package venv

import (
	"crypto/sha256"
	"encoding/base64"
	"path"
	"strconv"
	"strings"
)

// updateRecord rewrites a .dist-info/RECORD file (recordRel, relative to the
// venv) for the shipped venv: lines of files that are not shipped are
// dropped, and files whose content wsgipack rewrote get their new hash and
// size, so that the RECORD stays true.
func updateRecord(record []byte, recordRel string, shipped func(rel string) bool, rewritten map[string][]byte) []byte {
	base := path.Dir(path.Dir(recordRel)) // site-packages
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(record), "\n") {
		p := recordPath(line)
		if p == "" {
			b.WriteString(line)
			continue
		}
		rel := path.Clean(path.Join(base, p))
		if path.IsAbs(p) || !shipped(rel) {
			continue
		}
		if data, ok := rewritten[rel]; ok {
			sum := sha256.Sum256(data)
			line = csvField(p) + ",sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]) + "," + strconv.Itoa(len(data)) + "\n"
		}
		b.WriteString(line)
	}
	return []byte(b.String())
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
