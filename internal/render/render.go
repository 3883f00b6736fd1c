// Package render executes wsgipack's text templates. Every template is
// parsed with the same functions, one escaping rule per output format
// (Python, POSIX sh, Apache), and with missingkey=error; callers pass typed
// structs, so a template that names data it was not given fails to render
// instead of printing "<no value>".
package render

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"text/template"
)

// Templates is a set of parsed templates.
type Templates struct{ t *template.Template }

// Must parses the files of fsys matching patterns; it panics on a parse
// error, which is a bug of wsgipack found by any test.
func Must(fsys fs.FS, patterns ...string) Templates {
	t := template.New("").Option("missingkey=error").Funcs(template.FuncMap{
		"pyquote": PyQuote,
		"shquote": ShQuote,
		"quote":   ApacheQuote,
		"roff":    Roff,
		"indent":  indent,
		"pad":     pad,
	})
	return Templates{template.Must(t.ParseFS(fsys, patterns...))}
}

// Execute renders the template called name (e.g. "wsgi.tmpl") with data.
func (ts Templates) Execute(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := ts.t.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// PyQuote returns s as a Python string literal.
func PyQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// ShQuote returns s as one POSIX shell word.
func ShQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ApacheQuote returns s as one double-quoted Apache directive argument.
func ApacheQuote(s string) string {
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

// Roff escapes text for a roff (manual page) line: backslashes, hyphens
// (which roff would typeset as hyphens, not minus signs) and a leading dot
// or quote, which would start a request.
func Roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
