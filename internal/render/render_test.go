package render

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestMissingKey: a template that names data it was not given fails
// instead of printing "<no value>".
func TestMissingKey(t *testing.T) {
	ts := Must(fstest.MapFS{"t.tmpl": {Data: []byte("from {{.Module}} import app\n")}}, "*.tmpl")
	if out, err := ts.Execute("t.tmpl", map[string]string{}); err == nil {
		t.Errorf("map without the key rendered %q", out)
	}
	if out, err := ts.Execute("t.tmpl", struct{ Name string }{"x"}); err == nil {
		t.Errorf("struct without the field rendered %q", out)
	}
	out, err := ts.Execute("t.tmpl", struct{ Module string }{"inventory.web"})
	if err != nil || string(out) != "from inventory.web import app\n" {
		t.Errorf("got %q, %v", out, err)
	}
}

func TestQuote(t *testing.T) {
	for _, c := range []struct {
		f        func(string) string
		in, want string
	}{
		{ShQuote, "it's", `'it'\''s'`},
		{PyQuote, "a\"b\\c\nd", `"a\"b\\c\nd"`},
		{ApacheQuote, `a "b" \c`, `"a \"b\" \\c"`},
	} {
		if got := c.f(c.in); got != c.want {
			t.Errorf("quote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	if got := indent(" ", "a\n\nb"); got != " a\n.\n b" {
		t.Errorf("indent: %q", got)
	}
	if got := pad("  ", "a\n\nb\n"); !strings.HasPrefix(got, "  a\n\n  b") {
		t.Errorf("pad: %q", got)
	}
}
