package spec

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads the spec at path, fills in defaults and validates it. Relative
// paths in the spec are resolved against the spec file's directory. An
// invalid spec gives a Problems error listing everything wrong.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read spec: %w (write one with 'wsgipack init')", err)
	}
	s, r := parse(path, data)
	if len(r.problems) > 0 {
		return nil, r.problems.sorted()
	}
	s.SetDefaults()
	validate(s, filepath.Dir(path), r)
	if len(r.problems) > 0 {
		return nil, r.problems.sorted()
	}
	return s, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func parse(file string, data []byte) (*Spec, *reporter) {
	r := &reporter{file: file, positions: map[string]pos{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		line := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		r.problems = append(r.problems, Problem{File: file, Line: line, Col: 1,
			Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ") + " (fix the syntax at this line)"})
		return nil, r
	}
	s := &Spec{}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		r.add("", "the file is empty; write one with 'wsgipack init'")
		return nil, r
	}
	root := doc.Content[0]
	check(root, reflect.TypeOf(*s), "", r)
	if len(r.problems) > 0 {
		return nil, r
	}
	if err := root.Decode(s); err != nil {
		// check accepts only what Decode can take; this is a bug if reached.
		r.add("", "cannot decode: %v", err)
		return nil, r
	}
	return s, r
}

// check walks node against the Go type t, recording field positions and
// reporting unknown keys and values of the wrong kind. Deriving the checks from
// the types keeps them in step with the fields.
func check(n *yaml.Node, t reflect.Type, field string, r *reporter) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
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
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			r.add(field, "%s must be a mapping of keys to values, not %s", at(), describe(n))
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := join(field, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				r.positions[sub] = pos{k.Line, k.Column}
				r.add(sub, "unknown key %q; known keys here: %s", k.Value, strings.Join(slices.Sorted(maps.Keys(fields)), ", "))
				continue
			}
			check(v, f.Type, sub, r)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			r.add(field, "must be a mapping of keys to values, not %s", describe(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := join(field, k.Value)
			if k.Kind != yaml.ScalarNode {
				r.positions[sub] = pos{k.Line, k.Column}
				r.add(field, "keys must be plain strings")
				continue
			}
			check(v, t.Elem(), sub, r)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			r.add(field, "must be a list (write [a, b] or one '- item' per line), not %s", describe(n))
			return
		}
		for i, item := range n.Content {
			check(item, t.Elem(), fmt.Sprintf("%s[%d]", field, i), r)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			r.add(field, "must be a single value, not %s", describe(n))
		}
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			r.add(field, "must be a whole number, not %s", describe(n))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			r.add(field, "must be true or false, not %s", describe(n))
		}
	default:
		panic("spec: unsupported field type " + t.String())
	}
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
