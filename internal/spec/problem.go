package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a spec: where, which field, what to do.
type Problem struct {
	File  string
	Line  int // 0 when the problem has no single place in the file
	Col   int
	Field string // dotted path such as "apache.processes"; empty for the whole file
	Msg   string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Col)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in one spec. It is the error Load returns
// for an invalid spec; the command line maps it to exit code 2.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sorted orders problems by position so that reports read top to bottom.
func (ps Problems) sorted() Problems {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Col < ps[j].Col
	})
	return ps
}

// pos is a place in the spec file.
type pos struct{ line, col int }

// reporter collects problems for one file, placing each at the field's
// position when the field was written in the file.
type reporter struct {
	file      string
	positions map[string]pos
	keys      map[string]pos // of map entries: where the key is written
	problems  Problems
	warnings  Problems
	// parent, when set, is the reporter this one adds to (see keyed).
	parent *reporter
	// stop is set by a problem after which the spec cannot be decoded.
	stop bool
}

// fatal records a problem after which the spec cannot be decoded.
func (r *reporter) fatal(field, format string, args ...any) {
	r.add(field, format, args...)
	r.stop = true
}

// keyed returns a reporter that places problems at the key of a map
// entry rather than at its value: for problems with the key itself (a
// URL path, a variable name, a destination).
func (r *reporter) keyed() *reporter {
	return &reporter{file: r.file, positions: r.keys, parent: r}
}

func (r *reporter) add(field, format string, args ...any) {
	p := r.problem(field, format, args...)
	if r.parent != nil {
		if _, ok := r.positions[field]; !ok { // no key: the value's place
			p = r.parent.problem(field, format, args...)
		}
		r.parent.problems = append(r.parent.problems, p)
		return
	}
	r.problems = append(r.problems, p)
}

// warn records a warning: something check and build report but that does
// not stop a build.
func (r *reporter) warn(field, format string, args ...any) {
	r.warnings = append(r.warnings, r.problem(field, format, args...))
}

func (r *reporter) problem(field, format string, args ...any) Problem {
	p := r.lookup(field)
	return Problem{File: r.file, Line: p.line, Col: p.col, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// written reports whether field was written in the file (rather than left
// to its default).
func (r *reporter) written(field string) bool {
	_, ok := r.positions[field]
	return ok
}

// at describes where field is written, as "line 3:7".
func (r *reporter) at(field string) string {
	p := r.lookup(field)
	return fmt.Sprintf("line %d:%d", p.line, p.col)
}

// lookup finds the position of field, or of its nearest written parent;
// a field written nowhere (a required one left out) is placed at the top of
// the file.
func (r *reporter) lookup(field string) pos {
	for f := field; f != ""; {
		if p, ok := r.positions[f]; ok {
			return p
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return pos{1, 1}
}
