package apt

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Field is one field of a control paragraph. Value is the text after the
// colon: the first line without surrounding white space, then each
// continuation line without its leading space (a paragraph break in a
// Description is the line "."), lines joined by "\n".
type Field struct {
	Name, Value string
}

// Package is one stanza of a Packages file: a .deb's control fields and
// the file's pool path (Filename), Size, MD5sum, SHA1 and SHA256. Fields are
// in the order they are written. The accessors read fields by name, ignoring
// case, as dpkg and apt do.
type Package struct {
	Fields []Field
}

// Get returns the value of field name, "" when absent.
func (p Package) Get(name string) string {
	for _, f := range p.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Name is the Package field.
func (p Package) Name() string { return p.Get("Package") }

// Version is the Version field.
func (p Package) Version() string { return p.Get("Version") }

// Arch is the Architecture field: a Debian architecture or all.
func (p Package) Arch() string { return p.Get("Architecture") }

// Filename is the .deb's path from the repository root, e.g.
// pool/main/i/inventory/inventory_1.4.2-1+deb12_all.deb.
func (p Package) Filename() string { return p.Get("Filename") }

// SHA256 is the .deb's SHA-256, in hex.
func (p Package) SHA256() string { return p.Get("SHA256") }

// Size is the .deb's size in bytes (-1 when the Size field is not a number).
func (p Package) Size() int64 {
	n, err := strconv.ParseInt(p.Get("Size"), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// Stanza is the package's paragraph in a Packages file, ending in "\n"
// (the blank line that separates it from the next is not part of it).
func (p Package) Stanza() []byte {
	var b bytes.Buffer
	writeFields(&b, p.Fields)
	return b.Bytes()
}

// writeFields writes fields as dpkg does: "Name: first line", then each
// continuation line after one space, an empty one (or one of only dots)
// escaped with a dot; fields whose value is all white space are left out.
func writeFields(b *bytes.Buffer, fields []Field) {
	for _, f := range fields {
		if strings.TrimSpace(f.Value) == "" {
			continue
		}
		first, rest, more := strings.Cut(f.Value, "\n")
		b.WriteString(f.Name)
		b.WriteByte(':')
		if first != "" {
			b.WriteByte(' ')
			b.WriteString(first)
		}
		b.WriteByte('\n')
		for more {
			var line string
			line, rest, more = strings.Cut(rest, "\n")
			line = strings.TrimRight(line, " \t")
			if line == "" {
				line = "."
			}
			b.WriteByte(' ')
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
}

// parseParagraphs reads control paragraphs separated by blank lines, as
// dpkg's parser does: comment lines (#) are skipped, trailing white space is
// dropped, a continuation line starts with a space or tab, a field name is
// unique in its paragraph (case ignored), fields with an empty value are
// dropped. what names the input in errors.
func parseParagraphs(data []byte, what string) ([][]Field, error) {
	var paras [][]Field
	var cur []Field
	var value []string // lines of the current field's value
	flush := func() {
		if len(cur) > 0 {
			cur[len(cur)-1].Value = strings.Join(value, "\n")
		}
	}
	end := func() {
		flush()
		kept := cur[:0]
		for _, f := range cur {
			if strings.TrimSpace(f.Value) != "" {
				kept = append(kept, f)
			}
		}
		if len(kept) > 0 {
			paras = append(paras, slices.Clip(kept))
		}
		cur, value = nil, nil
	}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, " \t\r\v\f")
		switch {
		case line == "":
			if len(cur) > 0 {
				end()
			}
		case line[0] == '#':
		case line[0] == ' ' || line[0] == '\t':
			if len(cur) == 0 {
				return nil, fmt.Errorf("%s: line %d: continuation line with no field before it", what, n+1)
			}
			value = append(value, line[1:])
		default:
			name, v, ok := strings.Cut(line, ":")
			name = strings.TrimRight(name, " \t")
			if !ok || name == "" || strings.ContainsAny(name, " \t") || name[0] == '-' {
				return nil, fmt.Errorf("%s: line %d: not a field (Name: value): %q", what, n+1, line)
			}
			for _, f := range cur {
				if strings.EqualFold(f.Name, name) {
					return nil, fmt.Errorf("%s: line %d: duplicate field %s", what, n+1, name)
				}
			}
			flush()
			cur = append(cur, Field{Name: name})
			value = []string{strings.TrimLeft(v, " \t")}
		}
	}
	if len(cur) > 0 {
		end()
	}
	return paras, nil
}

// indexOrder is dpkg's order of the fields it knows in a Packages stanza
// (Dpkg::Control::FieldsCore, CTRL_INDEX_PKG); dpkg-scanpackages writes
// them in this order and every other field after them, sorted by name.
var indexOrder = func() map[string]int {
	names := []string{
		"Package", "Package-Type", "Source", "Version", "Kernel-Version",
		"Built-For-Profiles", "Auto-Built-Package", "Architecture",
		"Subarchitecture", "Installer-Menu-Item", "Build-Essential",
		"Essential", "Protected", "Origin", "Bugs", "Maintainer",
		"Installed-Size",
		"Pre-Depends", "Depends", "Recommends", "Suggests", "Enhances",
		"Conflicts", "Breaks", "Replaces", "Provides", "Built-Using",
		"Static-Built-Using",
		"Filename", "Size", "MD5sum", "SHA1", "SHA256",
		"Section", "Priority", "Multi-Arch", "Homepage", "Description",
		"Tag", "Task",
	}
	m := map[string]int{}
	for i, n := range names {
		m[n] = i
	}
	return m
}()

// oddNames are the field names dpkg spells other than by capitalizing each
// word between hyphens.
var oddNames = map[string]string{
	"md5sum": "MD5sum", "sha1": "SHA1", "sha256": "SHA256",
	"notautomatic": "NotAutomatic", "butautomaticupgrades": "ButAutomaticUpgrades",
	"no-support-for-architecture-all": "No-Support-for-Architecture-all",
}

// capitalize spells a field name as dpkg writes it (field_capitalize):
// MD5sum, SHA256, or each hyphen-separated word capitalized (X-Foo-Bar).
func capitalize(name string) string {
	lower := strings.ToLower(name)
	if odd, ok := oddNames[lower]; ok {
		return odd
	}
	words := strings.Split(lower, "-")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, "-")
}

// sortIndexFields puts fields in dpkg-scanpackages' order: known fields in
// indexOrder, then the others by name (byte order).
func sortIndexFields(fields []Field) {
	slices.SortStableFunc(fields, func(a, b Field) int {
		ia, oka := indexOrder[a.Name]
		ib, okb := indexOrder[b.Name]
		switch {
		case oka && okb:
			return ia - ib
		case oka:
			return -1
		case okb:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
}
