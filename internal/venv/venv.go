// Package venv reads a virtualenv that CI built (by python -m venv,
// virtualenv or uv) and relocates it (Venv.Relocate): it returns the venv as
// it is shipped, as package entries, with every file that names the build
// path rewritten in memory, the installers left out, the interpreter links
// and pyvenv.cfg made for the target's interpreter, bytecode compiled for
// the final paths and the RECORD files made true, so that the venv works at
// its final path. The venv on disk is never modified.
package venv

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/wsgipack/wsgipack/internal/inputfile"
)

// Bounds of the venv's metadata files wsgipack reads whole: far above any
// real one, so that a hostile or broken venv cannot make a build read
// without end.
const (
	maxCfg       = 64 << 10 // pyvenv.cfg
	maxPth       = 1 << 20  // a .pth file
	maxDirectURL = 1 << 20  // direct_url.json
	maxRecord    = 64 << 20 // a RECORD (one line per file of a distribution)
	maxMetadata  = 16 << 20 // METADATA (the long description is in it)
	maxScript    = 16 << 20 // a text file of bin/ rewritten for the final path
)

// Venv is a virtualenv on the build machine.
type Venv struct {
	Dir          string // absolute path as given
	RealDir      string // Dir with symlinks resolved
	Python       string // X.Y
	Creator      string // venv, virtualenv or uv
	SystemSite   bool   // include-system-site-packages = true
	SitePackages string // relative to Dir: lib/pythonX.Y/site-packages
	cfg          []cfgLine
}

type cfgLine struct{ key, value, raw string }

var (
	pyVersion = regexp.MustCompile(`^(\d+)\.(\d+)`)
	reqName   = regexp.MustCompile(`^[A-Za-z0-9._-]+`)
)

// Open reads the venv at dir.
func Open(dir string) (*Venv, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("venv %s: %w", dir, err)
	}
	cfgPath := filepath.Join(abs, "pyvenv.cfg")
	data, err := inputfile.Read(cfgPath, maxCfg)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("venv %s is not a virtualenv: %w (create it with 'python3 -m venv')", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("venv %s: cannot use its pyvenv.cfg: %w (recreate the venv with 'python3 -m venv')", dir, err)
	}
	v := &Venv{Dir: abs, RealDir: real, Creator: "venv"}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		raw := sc.Text()
		k, val, ok := strings.Cut(raw, "=")
		l := cfgLine{raw: raw}
		if ok {
			l.key, l.value = strings.TrimSpace(k), strings.TrimSpace(val)
		}
		v.cfg = append(v.cfg, l)
		switch l.key {
		case "version", "version_info":
			if m := pyVersion.FindStringSubmatch(l.value); m != nil && v.Python == "" {
				v.Python = m[1] + "." + m[2]
			}
		case "virtualenv":
			v.Creator = "virtualenv"
		case "uv":
			v.Creator = "uv"
		case "include-system-site-packages":
			v.SystemSite = strings.EqualFold(l.value, "true")
		}
	}
	if v.Python == "" {
		return nil, fmt.Errorf("%s: no version or version_info line: cannot tell the venv's Python version (recreate the venv)", cfgPath)
	}
	v.SitePackages = path.Join("lib", "python"+v.Python, "site-packages")
	if fi, err := os.Stat(filepath.Join(abs, v.SitePackages)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("venv %s: %s is missing: is it a Python %s venv?", dir, v.SitePackages, v.Python)
	}
	return v, nil
}

// CacheTag is the bytecode cache tag of the venv's Python, e.g. cpython-311.
func (v *Venv) CacheTag() string { return "cpython-" + strings.ReplaceAll(v.Python, ".", "") }

// isInterpreter reports whether rel (relative to the venv) is one of the
// venv's interpreter links or copies, which are replaced by links to the
// target's interpreter.
func (v *Venv) isInterpreter(rel string) bool {
	dir, name := path.Split(rel)
	return dir == "bin/" && (name == "python" || name == "python3" || name == "python"+v.Python)
}

// interpreters returns the interpreter links of the shipped venv: name ->
// target. python3.X points at the target's interpreter, the others at it.
func (v *Venv) interpreters(interpreter string) map[string]string {
	x := "python" + v.Python
	return map[string]string{"bin/" + x: interpreter, "bin/python3": x, "bin/python": x}
}

// pyvenvCfg returns pyvenv.cfg for the final venv: home, executable and the
// base-* keys point at the target's interpreter, command (which names the
// build path) is dropped, everything else is kept.
func (v *Venv) pyvenvCfg(interpreter string) []byte {
	var b bytes.Buffer
	dir := path.Dir(interpreter)
	for _, l := range v.cfg {
		switch l.key {
		case "command":
			continue
		case "home":
			fmt.Fprintf(&b, "home = %s\n", dir)
		case "executable", "base-executable":
			fmt.Fprintf(&b, "%s = %s\n", l.key, interpreter)
		case "base-prefix", "base-exec-prefix", "prefix":
			fmt.Fprintf(&b, "%s = %s\n", l.key, path.Dir(dir))
		default:
			b.WriteString(l.raw + "\n")
		}
	}
	return b.Bytes()
}

// relocateText rewrites a text file of the venv's bin directory (console-script
// shebangs in both forms, activate scripts) so that every mention of the
// build path names finalDir instead. It returns nil when nothing changed.
func (v *Venv) relocateText(data []byte, finalDir string) []byte {
	out := data
	for _, old := range v.buildPaths() {
		out = bytes.ReplaceAll(out, []byte(old), []byte(finalDir))
	}
	out = plainShebang(out, finalDir)
	if bytes.Equal(out, data) {
		return nil
	}
	return out
}

// maxShebang is the longest "#!interpreter\n" line pip writes as is
// (Linux before 5.1 read 128 bytes of it); longer ones, and interpreter
// paths with a space, get the "#!/bin/sh" + "”'exec'" form.
const maxShebang = 127

// plainShebang rewrites a console script in the form pip (distlib) and uv
// write for a venv whose path is long or has a space,
//
//	#!/bin/sh
//	'''exec' "/ci/long path/venv/bin/python" "$0" "$@"
//	' '''
//
// to the plain "#!/opt/<name>/venv/bin/python" line once relocated, when
// that interpreter (one under finalDir) allows it: no space, quote or
// shell character, and a line of at most maxShebang bytes. lintian
// rejects the other form (sh cannot parse the Python after it). Anything
// else is returned as is.
func plainShebang(data []byte, finalDir string) []byte {
	const head = "#!/bin/sh\n'''exec' "
	rest, ok := bytes.CutPrefix(data, []byte(head))
	if !ok {
		return data
	}
	line, rest, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return data
	}
	exe, ok := bytes.CutSuffix(line, []byte(` "$0" "$@"`))
	if !ok {
		return data
	}
	if len(exe) >= 2 && (exe[0] == '"' || exe[0] == '\'') && exe[len(exe)-1] == exe[0] {
		exe = exe[1 : len(exe)-1]
	}
	rest, ok = bytes.CutPrefix(rest, []byte("' '''\n"))
	if !ok {
		return data
	}
	if !bytes.HasPrefix(exe, []byte(finalDir+"/")) || bytes.ContainsAny(exe, " \t\"'\\$`") ||
		len("#!")+len(exe)+len("\n") > maxShebang {
		return data
	}
	out := make([]byte, 0, len(exe)+len(rest)+3)
	out = append(append(append(out, "#!"...), exe...), '\n')
	return append(out, rest...)
}

// buildPaths are the venv's path as given and with symlinks resolved,
// longest first so that neither replaces part of the other.
func (v *Venv) buildPaths() []string {
	paths := []string{v.Dir}
	if v.RealDir != v.Dir {
		paths = append(paths, v.RealDir)
	}
	sort.Slice(paths, func(i, j int) bool { return len(paths[i]) > len(paths[j]) })
	return paths
}

// editables returns one error per editable install (or other path-file
// entry that points outside the venv), naming the distribution. Such installs
// point at a source checkout that does not exist on a server.
func (v *Venv) editables() []error {
	sp := filepath.Join(v.Dir, v.SitePackages)
	entries, err := os.ReadDir(sp)
	if err != nil {
		return []error{err}
	}
	found := map[string]string{} // distribution -> evidence
	var problems []error         // files that cannot be read
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".dist-info"):
			du, err := readDirectURL(filepath.Join(sp, name, "direct_url.json"))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				problems = append(problems, err)
			} else if err == nil && du.DirInfo.Editable {
				found[distName(name)] = fmt.Sprintf("%s/direct_url.json says editable, pointing at %s", name, du.URL)
			}
		case strings.HasSuffix(name, ".egg-link"):
			found[strings.TrimSuffix(name, ".egg-link")] = name
		case strings.HasPrefix(name, "__editable__") && strings.HasSuffix(name, ".pth"):
			d := strings.TrimSuffix(strings.TrimPrefix(name, "__editable__."), ".pth")
			if i := strings.LastIndex(d, "-"); i > 0 {
				d = d[:i]
			}
			if _, ok := found[d]; !ok {
				found[d] = name
			}
		case strings.HasSuffix(name, ".pth"):
			data, err := inputfile.Read(filepath.Join(sp, name), maxPth)
			if err != nil {
				problems = append(problems, fmt.Errorf("venv: cannot read the path file %s: %w", name, err))
				continue
			}
			for _, line := range strings.Split(string(data), "\n") {
				if dir, outside := v.pthOutside(sp, line); outside {
					found[strings.TrimSuffix(name, ".pth")] = fmt.Sprintf("%s adds %s to sys.path", name, dir)
				}
			}
		}
	}
	errs := problems
	for _, d := range slices.Sorted(maps.Keys(found)) {
		errs = append(errs, fmt.Errorf("venv: distribution %q is an editable install (%s): it points at a source checkout that servers do not have; install it without -e (pip install .)", d, found[d]))
	}
	return errs
}

// pthOutside reads one line of a .pth file in site-packages sp as Python's
// site module does: blank lines, comments and import lines add nothing;
// any other line is a directory, relative to site-packages unless
// absolute. It returns that directory and whether it is outside the venv
// (lexically, or once symlinks are resolved).
func (v *Venv) pthOutside(sp, line string) (string, bool) {
	line = strings.TrimRight(line, " \t\r\n\f\v") // as site.py: rstrip only
	if line == "" || strings.HasPrefix(line, "#") ||
		strings.HasPrefix(line, "import ") || strings.HasPrefix(line, "import\t") {
		return "", false
	}
	dir := line
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(sp, dir)
	}
	dir = filepath.Clean(dir)
	if !v.inside(dir) {
		return line, true
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil && !v.inside(real) {
		return line, true
	}
	return "", false
}

func (v *Venv) inside(p string) bool {
	for _, root := range v.buildPaths() {
		if p == root || strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}

// directURL is the part of PEP 610's direct_url.json wsgipack reads.
type directURL struct {
	URL     string `json:"url"`
	DirInfo struct {
		Editable bool `json:"editable"`
	} `json:"dir_info"`
}

func readDirectURL(p string) (*directURL, error) {
	data, err := inputfile.Read(p, maxDirectURL)
	if err != nil {
		return nil, err
	}
	var du directURL
	if err := json.Unmarshal(data, &du); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &du, nil
}

// isLocalDirectURL reports whether a direct_url.json names a local file or
// directory (a file:// URL, which leaks the build machine's paths).
func isLocalDirectURL(data []byte) bool {
	var du directURL
	return json.Unmarshal(data, &du) == nil && strings.HasPrefix(du.URL, "file:")
}

// distName returns the normalized distribution name of a .dist-info
// directory name such as Flask_Login-0.6.3.dist-info.
func distName(distInfo string) string {
	n := strings.TrimSuffix(distInfo, ".dist-info")
	if i := strings.Index(n, "-"); i > 0 {
		n = n[:i]
	}
	return normalize(n)
}

func normalize(name string) string {
	return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(name))
}

// dropped returns the venv-relative paths of every file belonging to the
// installer distributions (pip, setuptools, wheel) not listed in keep, from
// their RECORD files, plus their .dist-info directories.
func (v *Venv) dropped(installers, keep []string) (files map[string]bool, dirs []string, err error) {
	files = map[string]bool{}
	sp := filepath.Join(v.Dir, v.SitePackages)
	entries, err := os.ReadDir(sp)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".dist-info") {
			continue
		}
		d := distName(e.Name())
		if !slices.Contains(installers, d) || slices.Contains(keep, d) {
			continue
		}
		dirs = append(dirs, path.Join(v.SitePackages, e.Name()))
		record, err := inputfile.Read(filepath.Join(sp, e.Name(), "RECORD"), maxRecord)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("venv: %s has no RECORD, so its files are unknown: %w", e.Name(), err)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("venv: cannot read the RECORD of %s: %w", e.Name(), err)
		}
		for _, line := range strings.Split(string(record), "\n") {
			p := recordPath(line)
			if p == "" || path.IsAbs(p) {
				continue
			}
			files[path.Clean(path.Join(v.SitePackages, p))] = true
		}
	}
	return files, dirs, nil
}

// recordPath returns the path column of a RECORD line (CSV; the path may be
// quoted).
func recordPath(line string) string {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, `"`) {
		if end := strings.Index(line[1:], `"`); end >= 0 {
			return line[1 : end+1]
		}
	}
	p, _, _ := strings.Cut(line, ",")
	return p
}

// requiresDropped returns, for each shipped distribution whose metadata
// requires a dropped installer, a warning naming both.
func (v *Venv) requiresDropped(dropped []string) []string {
	sp := filepath.Join(v.Dir, v.SitePackages)
	entries, _ := os.ReadDir(sp)
	var out []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".dist-info") || slices.Contains(dropped, distName(e.Name())) {
			continue
		}
		// Unreadable metadata (a special file, one over the bound) is
		// refused where the venv's files are read; here it says nothing.
		data, err := inputfile.Read(filepath.Join(sp, e.Name(), "METADATA"), maxMetadata)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			req, ok := strings.CutPrefix(line, "Requires-Dist:")
			if !ok || strings.Contains(req, "extra ==") {
				continue
			}
			name := normalize(reqName.FindString(strings.TrimSpace(req)))
			if slices.Contains(dropped, name) {
				out = append(out, fmt.Sprintf("%s requires %s, which is left out of the shipped venv: add it to venv_keep if the app needs it at run time", distName(e.Name()), name))
			}
		}
	}
	return out
}

// systemPrefixes are installation prefixes of the servers' own Pythons (or
// too general to search for): a base interpreter there leaves nothing of
// the build machine in the payload.
var systemPrefixes = []string{"/", "/usr", "/usr/local"}

// BasePrefixes returns the installation prefix of the interpreter the venv
// was made from (a pyenv or hosted-toolcache CPython of CI), from
// pyvenv.cfg's home, executable and virtualenv's base-* keys, as written
// and with symlinks resolved. The prefixes of system interpreters (/usr,
// /usr/local) are left out. C extensions compiled against that Python can
// carry its include directory, which servers do not have.
func (v *Venv) BasePrefixes() []string {
	set := map[string]bool{}
	add := func(p string) {
		if !filepath.IsAbs(p) {
			return
		}
		p = filepath.Clean(p)
		for _, q := range []string{p, evalOr(p)} {
			if len(q) >= 4 && !slices.Contains(systemPrefixes, q) {
				set[q] = true
			}
		}
	}
	binParent := func(dir string) {
		if filepath.Base(dir) == "bin" {
			add(filepath.Dir(dir))
		}
	}
	for _, l := range v.cfg {
		switch l.key {
		case "home":
			binParent(l.value)
		case "executable", "base-executable":
			binParent(filepath.Dir(l.value))
		case "base-prefix", "base-exec-prefix":
			add(l.value)
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// evalOr returns p with symlinks resolved, or p when that fails.
func evalOr(p string) string {
	if real, err := filepath.EvalSymlinks(p); err == nil {
		return real
	}
	return p
}
