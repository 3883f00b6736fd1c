// Package entrycheck proves a spec's entry point (app.wsgi) before anything
// is packaged, so that a wrong module or callable fails the build instead of
// answering 500 on the server.
//
// It does two things. Locate looks for the module of app.wsgi under
// app.source (a .py file, a package directory with __init__.py or an
// extension module), then in the venv's site-packages, and names the paths
// it expected when there is none. Import, unless skipped, imports that
// module in a subprocess of the venv's own Python (venv/bin/python) as the
// entry script will on the server: app.source first on sys.path, the
// spec's environment set, each secret set to a placeholder, nothing else
// inherited but PATH and LANG, working directory a temporary directory,
// -E -s -B (no user site, no bytecode written: the project and the venv
// are never written to), under a timeout that kills the process group. It
// then checks that the callable or factory exists and is callable, and that
// its signature accepts (environ, start_response) or, for a factory, no
// arguments. A factory is never called.
package entrycheck

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

//go:embed check.py
var script string

// Placeholder is the value each secret has during the import: the real
// values are generated on each server at install.
const Placeholder = "wsgipack-check-placeholder"

// DefaultTimeout bounds the import.
const DefaultTimeout = 60 * time.Second

// Entry is app.wsgi taken apart: module:attribute or module:attribute().
type Entry struct {
	Module, Attribute string
	Factory           bool
}

// Parse splits app.wsgi (validated by the spec) into its parts.
func Parse(wsgi string) (Entry, error) {
	mod, attr, ok := strings.Cut(wsgi, ":")
	if !ok || mod == "" || attr == "" {
		return Entry{}, fmt.Errorf("%q is not module:callable or module:factory()", wsgi)
	}
	e := Entry{Module: mod, Attribute: strings.TrimSuffix(attr, "()")}
	e.Factory = e.Attribute != attr
	return e, nil
}

func (e Entry) String() string {
	if e.Factory {
		return e.Module + ":" + e.Attribute + "()"
	}
	return e.Module + ":" + e.Attribute
}

// Options say what to check.
type Options struct {
	SpecFile string // for messages
	// Dir is the spec file's directory: Source and the paths in messages
	// are relative to it.
	Dir          string
	Source       string // app.source, relative to Dir
	WSGI         string // app.wsgi
	Venv         string // the venv's directory (absolute)
	SitePackages string // relative to Venv: lib/pythonX.Y/site-packages
	Environment  map[string]string
	Secrets      []string
	// Excluded tells whether the package leaves out a path of app.source
	// (slash-separated, relative to it): app.exclude, or a writable path
	// shipped as a link in its place; nil excludes nothing. The module's
	// file must be shipped.
	Excluded func(rel string, isDir bool) bool
	// NoImport skips the import: only the module's file is looked for.
	NoImport bool
	Timeout  time.Duration // default DefaultTimeout
	// Context, when set, stops the import when it is done (the build was
	// interrupted): the process group is killed and its error returned.
	Context context.Context
	// Warn receives warnings; may be nil.
	Warn func(string)
}

// Error is a failed check of app.wsgi.
type Error struct {
	SpecFile, WSGI string
	Msg            string
	// Traceback holds the last lines of the Python traceback, if any.
	Traceback string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: app.wsgi: %s: %s", e.SpecFile, e.WSGI, e.Msg)
	if e.Traceback != "" {
		s += "\n" + indent(e.Traceback)
	}
	return s
}

// Check locates the module of app.wsgi and, unless NoImport, imports it
// with the venv's Python. Its errors are *Error.
func Check(o Options) error {
	e, err := Parse(o.WSGI)
	if err != nil {
		return &Error{SpecFile: o.SpecFile, WSGI: o.WSGI, Msg: err.Error()}
	}
	f, err := Locate(o.Dir, o.Source, filepath.Join(o.Venv, o.SitePackages), e.Module)
	if err != nil {
		return &Error{SpecFile: o.SpecFile, WSGI: o.WSGI, Msg: err.Error()}
	}
	if p := excluded(o, f); p != "" {
		return &Error{SpecFile: o.SpecFile, WSGI: o.WSGI, Msg: fmt.Sprintf("module %s is %s, which the package does not ship (%s is left out by app.exclude or is a writable path): the server would not have it; narrow app.exclude or writable",
			e.Module, rel(o.Dir, f), filepath.Join(o.Source, filepath.FromSlash(p)))}
	}
	if o.NoImport {
		return nil
	}
	return Import(o, e)
}

// Locate returns the file of module under dir/source (a .py file, a
// package's __init__.py or an extension module), else in the venv's
// site-packages. When there is none, the error names the paths expected,
// relative to dir.
func Locate(dir, source, sitePackages, module string) (string, error) {
	parts := strings.Split(module, ".")
	for _, root := range []string{filepath.Join(dir, source), sitePackages} {
		if root == "" {
			continue
		}
		if f := find(filepath.Join(append([]string{root}, parts...)...)); f != "" {
			return f, nil
		}
	}
	rel := filepath.Join(append([]string{source}, parts...)...)
	msg := fmt.Sprintf("module %s not found: expected %s.py or %s under app.source (%s), or %s in the venv",
		module, rel, filepath.Join(rel, "__init__.py"), source, module)
	// Say where the path stops, and whether app.source is the mistake.
	for i := 1; i < len(parts); i++ {
		p := filepath.Join(append([]string{dir, source}, parts[:i]...)...)
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			msg += fmt.Sprintf("; %s is not a directory", filepath.Join(append([]string{source}, parts[:i]...)...))
			break
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, source, filepath.Join(parts...))); err == nil && fi.IsDir() {
		msg += fmt.Sprintf("; %s is a directory without __init__.py", rel)
	}
	for _, alt := range []string{".", "src"} {
		if alt == filepath.Clean(source) {
			continue
		}
		if f := find(filepath.Join(append([]string{dir, alt}, parts...)...)); f != "" {
			rf, _ := filepath.Rel(dir, f)
			msg += fmt.Sprintf("; %s exists: should app.source be %s?", rf, alt)
			break
		}
	}
	return "", errors.New(msg)
}

// excluded returns the path (relative to app.source) of file f or of the
// first of its directories that app.exclude leaves out, or "" when f is
// shipped or not under app.source.
func excluded(o Options, f string) string {
	if o.Excluded == nil {
		return ""
	}
	r, err := filepath.Rel(filepath.Join(o.Dir, o.Source), f)
	if err != nil || !filepath.IsLocal(r) {
		return "" // in the venv
	}
	parts := strings.Split(filepath.ToSlash(r), "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		if o.Excluded(p, i < len(parts)-1) {
			return p
		}
	}
	return ""
}

// find returns the module file for base (a path without extension): base.py,
// base/__init__.py, or an extension module base.*.so or base.so.
func find(base string) string {
	for _, f := range []string{base + ".py", filepath.Join(base, "__init__.py"), base + ".so"} {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
			return f
		}
	}
	if m, _ := filepath.Glob(base + ".*.so"); len(m) > 0 {
		return m[0]
	}
	return ""
}

// result is what check.py writes.
type result struct {
	OK      bool     `json:"ok"`
	Error   string   `json:"error"`
	Type    string   `json:"type"`
	Detail  string   `json:"detail"`
	Missing string   `json:"missing"`
	Environ string   `json:"environ"`
	File    string   `json:"file"`
	Defined []string `json:"defined"`
	Reason  string   `json:"reason"`
	Warning string   `json:"warning"`
}

// Import imports e's module with the venv's Python and checks its
// attribute, as described in the package documentation.
func Import(o Options, e Entry) error {
	fail := func(tb, format string, args ...any) error {
		return &Error{SpecFile: o.SpecFile, WSGI: o.WSGI, Msg: fmt.Sprintf(format, args...), Traceback: tb}
	}
	python := filepath.Join(o.Venv, "bin", "python")
	if _, err := os.Stat(python); err != nil {
		return fail("", "cannot import it: the venv has no bin/python (%v); recreate the venv, or pass --no-import to skip the import", err)
	}
	source, err := filepath.Abs(filepath.Join(o.Dir, o.Source))
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "wsgipack-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	resultFile := filepath.Join(tmp, "result.json")
	work := filepath.Join(tmp, "cwd")
	if err := os.Mkdir(work, 0o700); err != nil {
		return err
	}

	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	parent := o.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	factory := "0"
	if e.Factory {
		factory = "1"
	}
	cmd := exec.CommandContext(ctx, python, "-E", "-s", "-B", "-c", script, source, e.Module, e.Attribute, factory, resultFile)
	cmd.Dir = work
	cmd.Env = environment(o)
	var out tail
	cmd.Stdout, cmd.Stderr = &out, &out
	// The app may start processes of its own: the whole group goes at the
	// timeout, and output pipes they hold are not waited for long.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	runErr := cmd.Run()
	if parent.Err() != nil {
		return context.Cause(parent)
	}
	if ctx.Err() == context.DeadlineExceeded {
		return fail(out.lines(10), "importing %s with the venv's Python did not finish within %s (does the module connect somewhere or wait at import?); the process group was killed. Pass --no-import to skip the import", e.Module, timeout)
	}
	data, err := os.ReadFile(resultFile)
	if err != nil {
		return fail(out.lines(10), "importing %s with the venv's Python (%s) ended without a result (%v): the interpreter or the app exited or crashed during the import", e.Module, rel(o.Dir, python), runErr)
	}
	var r result
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("entry-point check: cannot read its result: %w", err)
	}
	file := rel(o.Dir, r.File)
	tb := out.lines(10)
	switch r.Error {
	case "":
		if r.Warning != "" && o.Warn != nil {
			top, _, _ := strings.Cut(e.Module, ".")
			o.Warn(fmt.Sprintf("%s: app.wsgi: %s: %s is also installed in the venv (%s): on the server mod_wsgi puts app.source after the venv's site-packages, so the venv's copy is the one served", o.SpecFile, o.WSGI, top, rel(o.Dir, r.Warning)))
		}
		return nil
	case "exit":
		return fail(tb, "%s", r.Detail)
	case "import":
		switch {
		case r.Type == "ModuleNotFoundError" && r.Missing != "" && !isPrefix(r.Missing, e.Module):
			return fail(tb, "importing %s with the venv's Python failed: ModuleNotFoundError: %s: the module %s needs %s, which the venv does not have; install it into the venv (add it to the requirements)", e.Module, r.Detail, e.Module, r.Missing)
		case r.Environ != "":
			return fail(tb, "importing %s with the venv's Python failed: the app reads the environment variable %s (KeyError: %s), which the spec does not set: "+
				"give it a default under environment (a server overrides it in /etc/<name>/environment), list it under secrets if it is a secret (check sets a placeholder), "+
				"or pass --no-import when it only exists on the servers", e.Module, r.Environ, r.Detail)
		case r.Type == "SyntaxError" || r.Type == "IndentationError" || r.Type == "TabError":
			return fail(tb, "importing %s with the venv's Python failed: %s: %s (the venv's Python is %s)", e.Module, r.Type, r.Detail, rel(o.Dir, python))
		default:
			return fail(tb, "importing %s with the venv's Python failed: %s: %s", e.Module, r.Type, r.Detail)
		}
	case "shadowed":
		top, _, _ := strings.Cut(e.Module, ".")
		return fail("", "the top-level name %s is taken by %s: on the server mod_wsgi puts app.source after the standard library and the venv, so %s would not be imported from app.source (%s); rename the package", top, r.Detail, top, o.Source)
	case "attribute":
		msg := fmt.Sprintf("%s (%s) has no attribute %s", e.Module, file, e.Attribute)
		if len(r.Defined) > 0 {
			msg += "; it defines the callables " + strings.Join(r.Defined, ", ")
		}
		return fail("", "%s", msg)
	case "callable":
		return fail("", "%s.%s (%s) is a %s, not callable: name the WSGI application or its factory", e.Module, e.Attribute, file, r.Detail)
	case "signature":
		if e.Factory {
			return fail("", "%s (%s) cannot be called without arguments (%s), as the entry script calls a factory: %s", e.Attribute, file, r.Detail, r.Reason)
		}
		return fail("", "%s (%s) cannot be called as a WSGI application with (environ, start_response): its signature is %s (%s); if it is an app factory, write %s:%s()", e.Attribute, file, r.Detail, r.Reason, e.Module, e.Attribute)
	default:
		return fmt.Errorf("entry-point check: unknown result %q", r.Error)
	}
}

// environment is the import's environment: PATH and LANG, the spec's
// environment, a placeholder for each secret, no bytecode.
func environment(o Options) []string {
	var env []string
	for _, k := range []string{"PATH", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	keys := make([]string, 0, len(o.Environment))
	for k := range o.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+o.Environment[k])
	}
	for _, k := range o.Secrets {
		env = append(env, k+"="+Placeholder)
	}
	return append(env, "PYTHONDONTWRITEBYTECODE=1")
}

// isPrefix reports whether module name m is mod or one of its parents.
func isPrefix(m, mod string) bool { return m == mod || strings.HasPrefix(mod, m+".") }

func rel(dir, p string) string {
	if p == "" {
		return p
	}
	if r, err := filepath.Rel(dir, p); err == nil && filepath.IsLocal(r) {
		return r
	}
	return p
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// tail keeps the last 64 KiB written to it.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	const max = 64 << 10
	t.b = append(t.b, p...)
	if len(t.b) > max {
		t.b = t.b[len(t.b)-max:]
	}
	return len(p), nil
}

var (
	frameRE = regexp.MustCompile(`^(\s+)File "([^"]*)"`)
	caretRE = regexp.MustCompile(`^\s*[\^~]+\s*$`)
)

// lines returns the last n lines, without the traceback's frames of the
// import machinery and of this check, and without position carets.
func (t *tail) lines(n int) string {
	var all []string
	skip := -1 // the indentation of a skipped frame, while skipping
	for _, l := range strings.Split(strings.TrimRight(string(bytes.ToValidUTF8(t.b, []byte("?"))), "\n"), "\n") {
		indent := len(l) - len(strings.TrimLeft(l, " "))
		if skip >= 0 && indent > skip {
			continue
		}
		skip = -1
		if m := frameRE.FindStringSubmatch(l); m != nil {
			if f := m[2]; strings.HasPrefix(f, "<frozen ") || f == "<string>" || strings.HasSuffix(f, "/importlib/__init__.py") {
				skip = len(m[1])
				continue
			}
		}
		if caretRE.MatchString(l) {
			continue
		}
		all = append(all, l)
	}
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return strings.TrimSpace(strings.Join(all, "\n"))
}
