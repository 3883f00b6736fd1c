package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Venvs is the venv field: the path of one venv, which every target is
// built from, or one path per Python X.Y, each target built from the venv
// of a Python its mod_wsgi is built for. Paths are relative to the spec.
//
//	venv: venv
//	venv: {"3.9": venv-3.9, "3.11": venv-3.11, "3.13": venv-3.13}
type Venvs map[string]string

// one is the key under which Venvs holds a single venv.
const one = ""

// OneVenv is the venv field naming one venv at path.
func OneVenv(path string) Venvs { return Venvs{one: path} }

// One returns the path of the one venv, if the field names one.
func (v Venvs) One() (string, bool) {
	p, ok := v[one]
	return p, ok && len(v) == 1
}

// Pythons lists the Python versions of a per-Python field, oldest first;
// nil for one venv.
func (v Venvs) Pythons() []string {
	var out []string
	for k := range v {
		if k != one {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, ComparePython)
	return out
}

// Fields lists the field names and paths, in order: "venv" for one venv,
// "venv.X.Y" for each per-Python one.
func (v Venvs) Fields() [][2]string {
	if p, ok := v.One(); ok {
		return [][2]string{{"venv", p}}
	}
	var out [][2]string
	for _, py := range v.Pythons() {
		out = append(out, [2]string{"venv." + py, v[py]})
	}
	return out
}

// String is the field as a reader of the spec wrote it.
func (v Venvs) String() string {
	if p, ok := v.One(); ok {
		return p
	}
	var parts []string
	for _, f := range v.Fields() {
		parts = append(parts, strings.TrimPrefix(f[0], "venv.")+": "+f[1])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// UnmarshalYAML takes a path or a mapping of Python X.Y to paths.
func (v *Venvs) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*v = OneVenv(n.Value)
		return nil
	}
	m := map[string]string{}
	if err := n.Decode(&m); err != nil {
		return err
	}
	*v = Venvs(m)
	return nil
}

// MarshalYAML writes one venv as its path.
func (v Venvs) MarshalYAML() (any, error) {
	if p, ok := v.One(); ok {
		return p, nil
	}
	return map[string]string(maps.Clone(v)), nil
}

var pythonVersion = regexp.MustCompile(`^3\.(0|[1-9][0-9]?)$`)

// ComparePython orders Python X.Y versions numerically (3.9 before 3.13).
func ComparePython(a, b string) int {
	am, an, _ := strings.Cut(a, ".")
	bm, bn, _ := strings.Cut(b, ".")
	if c := compareNum(am, bm); c != 0 {
		return c
	}
	return compareNum(an, bn)
}

func compareNum(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA != nil || errB != nil {
		return strings.Compare(a, b)
	}
	return x - y
}

// validVenvKey reports a key of the per-Python form that is not a Python
// 3 X.Y version.
func validVenvKey(k string) error {
	if !pythonVersion.MatchString(k) {
		return fmt.Errorf("%q is not a Python version: the keys are the venvs' Python X.Y, e.g. \"3.11\"", k)
	}
	return nil
}
