package spec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/wsgipack/wsgipack/internal/distro"
)

// Schema returns the JSON Schema of wsgipack.yaml, derived from the Spec
// type so that it cannot drift from what Load accepts. Editors use it for
// completion and checking (specs/wsgipack.schema.json).
func Schema() ([]byte, error) {
	s := schemaOf(reflect.TypeOf(Spec{}))
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = "https://github.com/wsgipack/wsgipack/specs/wsgipack.schema.json"
	s["title"] = "wsgipack.yaml"
	s["description"] = "How wsgipack packages one Python web app and its virtualenv as .deb and .rpm files."
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(s)
	return b.Bytes(), err
}

var enums = map[string]func() []string{
	"targets":    distro.Names,
	"installers": func() []string { return Installers },
}

func schemaOf(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == venvsType {
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "string"},
			map[string]any{"type": "object", "minProperties": 1, "propertyNames": map[string]any{"pattern": pythonVersion.String()},
				"additionalProperties": map[string]any{"type": "string"}},
		}}
	}
	switch t.Kind() {
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue // not a key of the file (Spec's places)
			}
			p := schemaOf(f.Type)
			p["description"] = f.Tag.Get("doc")
			if f.Type.Kind() == reflect.Int {
				p["minimum"], p["maximum"] = bounds(f)
			}
			if e := f.Tag.Get("enum"); e != "" {
				p["items"].(map[string]any)["enum"] = enums[e]()
			}
			props[name] = p
			if f.Tag.Get("required") == "true" {
				required = append(required, name)
			}
		}
		s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Int:
		return map[string]any{"type": "integer"} // bounds from the field's tags
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	default:
		return map[string]any{"type": "string"}
	}
}
