package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/wsgipack/wsgipack/internal/inputfile"
)

// MaxSize bounds the spec file: a real one is a few kilobytes; a file
// larger than this is a mistake or an attack, refused before parsing.
const MaxSize = 1 << 20

// MaxEntries bounds each mapping and list of a spec (environment
// variables, static directories, dependencies...): a real spec has tens,
// and decoding a mapping takes time growing with the square of its size.
const MaxEntries = 1000

// Load reads the spec at path, fills in defaults and validates it. Relative
// paths in the spec are resolved against the spec file's directory. An
// invalid spec gives a Problems error listing everything wrong. Warnings
// (lint rules that do not fail a build) are dropped: LoadWarn returns them.
func Load(path string) (*Spec, error) {
	s, _, err := LoadWarn(path)
	return s, err
}

// LoadWarn is Load that also returns the warnings: what lintian or rpmlint
// would only warn about, and values that are allowed but unwise.
func LoadWarn(path string) (*Spec, Problems, error) {
	data, err := readSpec(path)
	if err != nil {
		return nil, nil, err
	}
	s, r := parse(path, data)
	if s == nil {
		return nil, nil, r.problems.sorted()
	}
	s.SetDefaults()
	s.places = &reporter{file: path, positions: r.positions}
	validate(s, filepath.Dir(path), r)
	if len(r.problems) > 0 {
		return nil, r.warnings.sorted(), r.problems.sorted()
	}
	return s, r.warnings.sorted(), nil
}

// readSpec reads at most MaxSize bytes of the spec, a regular file: a
// FIFO or a device is refused, not read until it ends.
func readSpec(path string) ([]byte, error) {
	f, err := inputfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read spec: %w (write one with 'wsgipack init')", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read spec: %w", err)
	}
	if len(data) > MaxSize {
		return nil, Problems{{File: path, Line: 1, Col: 1, Msg: fmt.Sprintf("the file is larger than %d bytes (1 MiB): a spec is a few kilobytes; is it the right file?", MaxSize)}}
	}
	return data, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func parse(file string, data []byte) (*Spec, *reporter) {
	r := &reporter{file: file, positions: map[string]pos{}, keys: map[string]pos{}}
	if len(data) > MaxSize {
		r.problems = append(r.problems, Problem{File: file, Line: 1, Col: 1, Msg: fmt.Sprintf("the file is larger than %d bytes (1 MiB)", MaxSize)})
		return nil, r
	}
	if line, col, b, ok := invalidUTF8(data); !ok {
		r.problems = append(r.problems, Problem{File: file, Line: line, Col: col,
			Msg: fmt.Sprintf("the byte 0x%02X is not UTF-8: save the file as UTF-8", b)})
		return nil, r
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		r.problems = append(r.problems, syntaxProblem(file, data, err))
		return nil, r
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
	case err != nil:
		r.problems = append(r.problems, syntaxProblem(file, data, err))
	default:
		r.problems = append(r.problems, Problem{File: file, Line: second.Line, Col: second.Column,
			Msg: "a second YAML document starts here ('---'); wsgipack reads one document per file and would ignore it: merge it into the first or remove it"})
	}
	s := &Spec{}
	if doc.Kind == 0 || len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null") {
		if len(r.problems) == 0 { // else the spec is in the second document
			r.problems = append(r.problems, Problem{File: file, Line: 1, Col: 1, Msg: "the file is empty; write one with 'wsgipack init'"})
		}
		return nil, r
	}
	root := doc.Content[0]
	noAliases(root, r)
	if len(r.problems) > 0 {
		return nil, r
	}
	check(root, reflect.TypeOf(*s), "", reflect.StructField{}, r)
	if r.stop {
		return nil, r
	}
	if err := root.Decode(s); err != nil {
		// check accepts only what Decode can take; this is a bug if reached.
		r.add("", "cannot decode: %v", err)
		return nil, r
	}
	return s, r
}

// The problems that leave a value Decode cannot take (a wrong type) stop
// parse; the others (an unknown or repeated key, a number out of range, a
// second document) are reported with what validation finds.

// syntaxProblem turns a YAML syntax error into a problem at its line.
// An error without a line (such as "control characters are not allowed")
// is placed at the first control character, or else at the top.
func syntaxProblem(file string, data []byte, err error) Problem {
	msg := err.Error()
	line, col := 1, 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else if i := bytes.IndexFunc(data, func(c rune) bool { return c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f }); i >= 0 {
		line = bytes.Count(data[:i], []byte("\n")) + 1
		col = utf8.RuneCount(data[bytes.LastIndexByte(data[:i], '\n')+1:i]) + 1
	}
	return Problem{File: file, Line: line, Col: col,
		Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ") + " (fix the syntax at this line)"}
}

// invalidUTF8 finds the first byte of data that is not UTF-8 and returns
// its line, its column (in characters) and the byte.
func invalidUTF8(data []byte) (line, col int, b byte, ok bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		c, size := utf8.DecodeRune(data[i:])
		if c == utf8.RuneError && size <= 1 {
			return line, col, data[i], false
		}
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return 0, 0, 0, true
}

// noAliases refuses anchors and aliases: a spec has no use for them, and
// an alias of an alias of ... ("billion laughs") expands exponentially in
// whatever walks the tree. It refuses explicit tags too: !!binary
// decodes base64, so the value used would not be the one a reviewer reads.
func noAliases(n *yaml.Node, r *reporter) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		r.problems = append(r.problems, Problem{File: r.file, Line: n.Line, Col: n.Column,
			Msg: "anchors and aliases (&name, *name, <<) are not allowed in a spec: write the value out"})
		return
	}
	if n.Style&yaml.TaggedStyle != 0 {
		r.problems = append(r.problems, Problem{File: r.file, Line: n.Line, Col: n.Column,
			Msg: fmt.Sprintf("the tag %s is not allowed in a spec (!!binary would hide the value a reviewer reads): write the value itself, quoted if it must stay text", n.Tag)})
		return
	}
	for _, c := range n.Content {
		noAliases(c, r)
	}
}

// check walks n against the Go type t, recording field positions and
// reporting unknown and repeated keys, values of the wrong kind and whole
// numbers out of their field's range (the min and max tags of sf).
// Deriving the checks from the types keeps them in step with the fields.
func check(n *yaml.Node, t reflect.Type, field string, sf reflect.StructField, r *reporter) {
	if field != "" {
		r.positions[field] = pos{n.Line, n.Column}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value is the zero value; validation decides if it is allowed
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	at := func() string {
		if field == "" {
			return "the file"
		}
		return "this field"
	}
	if len(n.Content) > 2*MaxEntries {
		r.fatal(field, "has %d entries: a spec needs far fewer, and at most %d are taken", len(n.Content)/2, MaxEntries)
		return
	}
	if t == venvsType && n.Kind != yaml.MappingNode {
		t = reflect.TypeOf("") // the one-venv form: a path
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			r.fatal(field, "%s must be a mapping of keys to values, not %s", at(), describe(n))
			return
		}
		fields := yamlFields(t)
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := join(field, k.Value)
			if repeated(seen, k, sub, r) {
				continue
			}
			f, ok := fields[k.Value]
			if !ok {
				r.positions[sub] = pos{k.Line, k.Column}
				r.add(sub, "unknown key %q; known keys here: %s", k.Value, strings.Join(slices.Sorted(maps.Keys(fields)), ", "))
				continue
			}
			check(v, f.Type, sub, f, r)
		}
		dropRepeated(n)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			r.fatal(field, "must be a mapping of keys to values, not %s", describe(n))
			return
		}
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := join(field, k.Value)
			if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
				r.positions[sub] = pos{k.Line, k.Column}
				r.fatal(sub, "keys must be plain strings")
				continue
			}
			if repeated(seen, k, sub, r) {
				continue
			}
			r.keys[sub] = pos{k.Line, k.Column}
			if t == venvsType && k.Value == one {
				// One venv is written as a path, not under an empty key.
				r.keyed().add(sub, "an empty key is not a Python version: the keys are the venvs' Python X.Y, e.g. \"3.11\" (one venv is written as venv: %s)", v.Value)
			}
			check(v, t.Elem(), sub, sf, r)
		}
		dropRepeated(n)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			r.fatal(field, "must be a list (write [a, b] or one '- item' per line), not %s", describe(n))
			return
		}
		for i, item := range n.Content {
			sub := fmt.Sprintf("%s[%d]", field, i)
			if item.Kind == yaml.ScalarNode && item.Tag == "!!null" {
				// The decoder would drop the item without a word.
				r.positions[sub] = pos{item.Line, item.Column}
				r.add(sub, "is empty (~, null or a bare '-'): write a value or remove the item")
				continue
			}
			check(item, t.Elem(), sub, sf, r)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			r.fatal(field, "must be a single value, not %s", describe(n))
		}
	case reflect.Int:
		checkInt(n, field, sf, r)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			r.fatal(field, "must be true or false, not %s", describe(n))
		}
	default:
		panic("spec: unsupported field type " + t.String())
	}
}

// repeated reports a key k that an earlier key of its mapping (in seen)
// already set: YAML forbids it, and which one would
// win is anyone's guess.
func repeated(seen map[string]*yaml.Node, k *yaml.Node, field string, r *reporter) bool {
	if p, ok := seen[k.Value]; ok {
		r.problems = append(r.problems, Problem{File: r.file, Line: k.Line, Col: k.Column, Field: field,
			Msg: fmt.Sprintf("the key %q is written twice (first at line %d:%d): keep one", k.Value, p.Line, p.Column)})
		return true
	}
	seen[k.Value] = k
	return false
}

// dropRepeated removes the pairs of mapping n whose key an earlier pair
// has (reported by repeated), so that the rest can be decoded.
func dropRepeated(n *yaml.Node) {
	seen := map[string]bool{}
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind == yaml.ScalarNode {
			if seen[k.Value] {
				continue
			}
			seen[k.Value] = true
		}
		kept = append(kept, k, n.Content[i+1])
	}
	n.Content = kept
}

var venvsType = reflect.TypeOf(Venvs{})

var wholeNumber = regexp.MustCompile(`^[-+]?[0-9][0-9_]*$`)

// checkInt checks a whole number against its field's range: the min and
// max tags, which the JSON Schema states too.
func checkInt(n *yaml.Node, field string, sf reflect.StructField, r *reporter) {
	lo, hi := bounds(sf)
	rng := fmt.Sprintf("a whole number from %d to %d", lo, hi)
	if why := sf.Tag.Get("why"); why != "" {
		rng += " (" + why + ")"
	}
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && !(n.Tag == "!!float" && wholeNumber.MatchString(n.Value))) {
		r.fatal(field, "must be %s, not %s", rng, describe(n))
		return
	}
	var v int64
	err := n.Decode(&v)
	if err != nil && !wholeNumber.MatchString(n.Value) { // e.g. !!int abc, 0x1G
		r.fatal(field, "must be %s, not %s", rng, describe(n))
		return
	}
	if err != nil || v < lo || v > hi {
		r.add(field, "%s is out of range: it must be %s", n.Value, rng)
		// Reported: decode it as left out, so that validation can go on
		// and report the rest.
		n.Tag, n.Value = "!!null", ""
	}
}

// bounds returns the range of a whole-number field from its min and max
// tags; without them, 1 to the largest int32 (every number the formats
// and Apache take).
func bounds(sf reflect.StructField) (lo, hi int64) {
	lo, hi = 1, math.MaxInt32
	if v, err := strconv.ParseInt(sf.Tag.Get("min"), 10, 64); err == nil {
		lo = v
	}
	if v, err := strconv.ParseInt(sf.Tag.Get("max"), 10, 64); err == nil {
		hi = v
	}
	return lo, hi
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return strconv.Quote(n.Value)
	}
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// yamlFields maps the yaml keys of struct type t to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = f
	}
	return m
}
