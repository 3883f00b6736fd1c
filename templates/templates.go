// Package templates holds the text templates wsgipack renders into packages:
// the WSGI entry script, the Apache configuration, the install scripts, docs
// and lintian overrides.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed *.tmpl
var files embed.FS

var parsed = template.Must(template.New("").Funcs(template.FuncMap{
	"pyquote": pyQuote,
	"shquote": shQuote,
	"quote":   apacheQuote,
	"indent":  indent,
	"pad":     pad,
}).ParseFS(files, "*.tmpl"))

// Render executes the template called name (e.g. "wsgi.tmpl") with data.
func Render(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := parsed.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// pyQuote returns s as a Python string literal.
func pyQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// shQuote returns s as one POSIX shell word.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// apacheQuote returns s as one double-quoted Apache directive argument.
func apacheQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// pad prefixes every non-empty line of s with prefix.
func pad(prefix, s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// indent prefixes every line of s with prefix; empty lines get "prefix."
// trimmed of trailing space, as Debian's multi-line fields want.
func indent(prefix, s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			lines[i] = strings.TrimRight(prefix, " ") + "."
		} else {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
