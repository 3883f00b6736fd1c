package spec_test

// Round trips: every single-line value that the spec accepts must come
// back unchanged from each file it is written into (the deb control file,
// the rpm header, the environment file, the Apache configuration). A value
// that cannot must be refused by validation. FuzzRoundTrip checks this with
// wsgipack's own readers; TestRoundTripTools with the real ones (dpkg-deb,
// rpm, python3, sh) over a corpus of nasty but valid values.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wsgipack/wsgipack/internal/apache"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/entrypoint"
	"github.com/wsgipack/wsgipack/internal/inspect"
	"github.com/wsgipack/wsgipack/internal/layout"
	"github.com/wsgipack/wsgipack/internal/packager"
	"github.com/wsgipack/wsgipack/internal/packager/packagertest"
	"github.com/wsgipack/wsgipack/internal/spec"
	"github.com/wsgipack/wsgipack/internal/testtool"
)

// baseSpec is the tests' valid spec with a homepage, which round trips too.
const baseSpec = spec.ValidSpec + "homepage: https://example.com/inventory\n"

// quoted returns v as a double-quoted YAML scalar.
func quoted(v string) string {
	out, err := yaml.Marshal(&yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: v})
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// fields are the single-line fields, each with how to put a value in the
// base spec.
var fields = []struct {
	name string
	set  func(v string) string
}{
	{"summary", func(v string) string { return line("summary", v) }},
	{"maintainer", func(v string) string { return line("maintainer", v) }},
	{"license", func(v string) string { return line("license", v) }},
	{"homepage", func(v string) string { return line("homepage", v) }},
	{"environment", func(v string) string { return baseSpec + "environment: {FUZZ: " + quoted(v) + "}\n" }},
	{"static URL", func(v string) string { return baseSpec + "apache: {static: {" + quoted(v) + ": static}}\n" }},
	{"static directory", func(v string) string { return baseSpec + "apache: {static: {/s: " + quoted(v) + "}}\n" }},
	{"mount", func(v string) string { return baseSpec + "apache: {mount: " + quoted(v) + "}\n" }},
	{"server name", func(v string) string { return baseSpec + "apache: {server_name: " + quoted(v) + "}\n" }},
}

func line(key, v string) string {
	i := strings.Index(baseSpec, "\n"+key+": ")
	j := strings.Index(baseSpec[i+1:], "\n")
	return baseSpec[:i+1] + key + ": " + quoted(v) + baseSpec[i+1+j:]
}

// newProject makes a project that baseSpec describes.
func newProject(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"src/app", "venv/lib/python3.11/site-packages", "static"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "venv/pyvenv.cfg"), []byte("home = /usr/bin\nversion = 3.11.7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func loadText(t testing.TB, dir, text string) (*spec.Spec, error) {
	t.Helper()
	file := filepath.Join(dir, "wsgipack.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return spec.Load(file)
}

// packages writes s's metadata as a .deb and an .rpm of the small test
// package and reads them back with inspect.
func packages(t *testing.T, s *spec.Spec) (deb, rpm *inspect.Package) {
	t.Helper()
	read := func(target string) *inspect.Package {
		p := packagertest.Package(t, target)
		p.Summary, p.Description, p.Maintainer, p.License, p.Homepage = s.Summary, s.Description, s.Maintainer, s.License, s.Homepage
		f, err := packager.Get(p.Distro.Format)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := f.Write(p, &b); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		pkg, err := inspect.ReadFrom(bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		return pkg
	}
	return read("debian-12"), read("el9")
}

// shEnvironment reads the environment file at file as the entry script
// and the deploy hooks do (POSIX sh, with 'set -a') and returns the value
// of each variable of names.
func shEnvironment(t *testing.T, file string, names ...string) map[string]string {
	t.Helper()
	script := `set -a; . "$1" || exit 1; shift; for k; do eval "printf '%s\0' \"\${$k-unset}\""; done`
	out, err := exec.Command("/bin/sh", append([]string{"-c", script, "sh", file}, names...)...).Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	vals := strings.Split(string(out), "\x00")
	got := map[string]string{}
	for i, k := range names {
		if i < len(vals) {
			got[k] = vals[i]
		}
	}
	return got
}

// apacheArgs returns the arguments of each directive and section in conf,
// by name (a section as "<Directory"), as httpd reads them.
func apacheArgs(t *testing.T, conf []byte) map[string][][]string {
	t.Helper()
	out := map[string][][]string{}
	text := strings.ReplaceAll(string(conf), "\\\n", " ") // httpd joins continued lines
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "</") {
			continue
		}
		if strings.HasPrefix(l, "<") {
			l = l[:strings.LastIndex(l, ">")] // httpd cuts a section's arguments at its last '>'
		}
		name, args, _ := strings.Cut(l, " ")
		words, err := spec.ApacheWords(args)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = append(out[name], words)
	}
	return out
}

// roundTrip checks that the value v of field came back from every file s
// is written into.
func roundTrip(t *testing.T, field, v string, s *spec.Spec) {
	t.Helper()
	switch field {
	case "summary", "maintainer", "license", "homepage":
		deb, rpm := packages(t, s)
		got := map[string][2]string{
			"summary":    {deb.Summary, rpm.Summary},
			"maintainer": {deb.Maintainer, rpm.Maintainer},
			"homepage":   {deb.Homepage, rpm.Homepage},
			"license":    {v, rpm.License}, // a deb's license is in its copyright file
		}[field]
		if got[0] != v || got[1] != v {
			t.Errorf("%s %q came back as %q (deb) and %q (rpm)", field, v, got[0], got[1])
		}
	case "environment":
		lay := layout.For(s.Name)
		out, err := entrypoint.Render(entrypoint.App{Layout: lay, Release: lay.Shipped(), WSGI: s.App.WSGI, Environment: s.Environment})
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "environment")
		if err := os.WriteFile(file, out[1].Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if got := shEnvironment(t, file, "FUZZ")["FUZZ"]; got != v {
			t.Errorf("environment value %q came back as %q", v, got)
		}
	case "server name":
		if v == "" {
			return // no <VirtualHost>
		}
		conf, err := apache.Render(s, distroApache(t))
		if err != nil {
			t.Fatal(err)
		}
		if got := apacheArgs(t, conf.Data)["ServerName"]; len(got) != 1 || len(got[0]) != 1 || got[0][0] != v {
			t.Errorf("server name %q came back as %q", v, got)
		}
	case "static URL", "static directory", "mount":
		if field == "mount" && v == "" {
			v = "/" // the default
		}
		conf, err := apache.Render(s, distroApache(t))
		if err != nil {
			t.Fatal(err)
		}
		args := apacheArgs(t, conf.Data)
		want := map[string][]string{"mount": {"WSGIScriptAlias", v}, "static URL": {"Alias", v},
			"static directory": {"Alias", layout.For(s.Name).Served().Opt(v)}}[field]
		idx := map[string]int{"mount": 0, "static URL": 0, "static directory": 1}[field]
		var found []string
		for _, a := range args[want[0]] {
			if len(a) > idx {
				found = append(found, a[idx])
			}
		}
		if len(found) == 0 || found[0] != want[1] {
			t.Errorf("%s %q came back from the Apache configuration as %q:\n%s", field, v, found, conf.Data)
		}
		if field == "static directory" {
			if d := args["<Directory"]; len(d) == 0 || len(d[0]) != 1 || d[0][0] != want[1] {
				t.Errorf("static directory %q came back from <Directory> as %q", v, d)
			}
		}
	}
}

func distroApache(t testing.TB) distro.Apache {
	rel, err := distro.Lookup("debian-12")
	if err != nil {
		t.Fatal(err)
	}
	return rel.Apache
}

// nasty are values that are odd but valid in at least one field
// (testdata/nasty.json; the e2e tests give them to Apache too).
var nasty = func() []string {
	data, err := os.ReadFile("testdata/nasty.json")
	if err != nil {
		panic(err)
	}
	var v []string
	if err := json.Unmarshal(data, &v); err != nil {
		panic(err)
	}
	return v
}()

func FuzzRoundTrip(f *testing.F) {
	for _, v := range nasty {
		f.Add(v)
	}
	dir := newProject(f)
	f.Fuzz(func(t *testing.T, v string) {
		for _, fl := range fields {
			s, err := loadText(t, dir, fl.set(v))
			if err != nil {
				continue // refused: nothing is written
			}
			roundTrip(t, fl.name, v, s)
		}
	})
}

// TestRoundTripNasty runs the round trips of FuzzRoundTrip over the corpus
// (go test runs a fuzz test's seeds too; this names the values accepted).
func TestRoundTripNasty(t *testing.T) {
	dir := newProject(t)
	accepted := map[string]int{}
	for _, fl := range fields {
		for _, v := range nasty {
			s, err := loadText(t, dir, fl.set(v))
			if err != nil {
				continue
			}
			accepted[fl.name]++
			t.Run(fl.name+"/"+v, func(t *testing.T) { roundTrip(t, fl.name, v, s) })
		}
	}
	for _, fl := range fields { // the corpus must exercise every field
		if accepted[fl.name] < 3 {
			t.Errorf("%s accepts only %d values of the corpus", fl.name, accepted[fl.name])
		}
	}
}

// TestRoundTripTools reads the accepted values of the corpus back with the
// real tools: dpkg-deb -f, rpm -qp --qf, the entry script's Python loader
// and the install scripts' sh reader of the environment file.
func TestRoundTripTools(t *testing.T) {
	testtool.Need(t, "dpkg-deb", "rpm", "python3", "sh")
	dir := newProject(t)
	for _, fl := range fields[:4] {
		for i, v := range nasty {
			s, err := loadText(t, dir, fl.set(v))
			if err != nil {
				continue
			}
			// Named by index: rpm expands macros (%{...}, %%) in the
			// paths it is given, and the test's directory is named after it.
			t.Run(fmt.Sprintf("%s/%d", fl.name, i), func(t *testing.T) {
				files := map[string]string{}
				for _, target := range []string{"debian-12", "el9"} {
					p := packagertest.Package(t, target)
					p.Summary, p.Description, p.Maintainer, p.License, p.Homepage = s.Summary, s.Description, s.Maintainer, s.License, s.Homepage
					files[target] = packagertest.Write(t, p)
				}
				debField := map[string]string{"summary": "Description", "maintainer": "Maintainer", "homepage": "Homepage"}[fl.name]
				if debField != "" {
					got := testtool.Run(t, "dpkg-deb", "-f", files["debian-12"], debField)
					if first, _, _ := strings.Cut(got, "\n"); first != v {
						t.Errorf("dpkg-deb -f %s: %q, want %q", debField, first, v)
					}
				}
				tag := map[string]string{"summary": "SUMMARY", "maintainer": "PACKAGER", "homepage": "URL", "license": "LICENSE"}[fl.name]
				if got := testtool.Run(t, "rpm", "-qp", "--qf", "%{"+tag+"}", files["el9"]); got != v {
					t.Errorf("rpm -qp --qf %%{%s}: %q, want %q", tag, got, v)
				}
			})
		}
	}

	// The environment file, read by the entry script (Python running sh)
	// and by the deploy hooks (sh).
	env := map[string]string{}
	for i, v := range nasty {
		if _, err := loadText(t, dir, baseSpec+"environment: {V: "+quoted(v)+"}\n"); err == nil {
			env[fmt.Sprintf("V%d", i)] = v
		}
	}
	lay := layout.For("inventory")
	lay.Current = dir // the entry script reads RELEASE/environment
	lay.EnvFile, lay.SecretsFile = filepath.Join(dir, "none"), filepath.Join(dir, "none")
	out, err := entrypoint.Render(entrypoint.App{Layout: lay, Release: lay.Served(), WSGI: "os:getcwd", Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "entry.wsgi")
	for file, data := range map[string][]byte{script: out[0].Data, filepath.Join(dir, "environment"): out[1].Data} {
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pyOut := testtool.Run(t, "python3", "-c", `import json, os, runpy, sys
runpy.run_path(sys.argv[1])
print(json.dumps({k: v for k, v in os.environ.items() if k[:1] == "V" and k[1:].isdigit()}))`, script)
	var py map[string]string
	if err := json.Unmarshal([]byte(pyOut), &py); err != nil {
		t.Fatalf("%v: %s", err, pyOut)
	}
	if !equal(py, env) {
		t.Errorf("the entry script reads\n%v\nwant\n%v", py, env)
	}
	if got := shEnvironment(t, filepath.Join(dir, "environment"), slices.Sorted(maps.Keys(env))...); !equal(got, env) {
		t.Errorf("the hooks read\n%v\nwant\n%v", got, env)
	}
	if len(env) < len(nasty)-2 {
		t.Errorf("only %d of %d values accepted in environment", len(env), len(nasty))
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
