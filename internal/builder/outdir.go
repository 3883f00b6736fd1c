package builder

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/wsgipack/wsgipack/internal/fstree"
	"github.com/wsgipack/wsgipack/internal/payload"
	"github.com/wsgipack/wsgipack/internal/spec"
	"github.com/wsgipack/wsgipack/internal/venv"
)

// checkOutDir refuses an output directory inside (or equal to) a tree the
// build reads: the venv, app.source (unless app.exclude leaves the
// directory out) or a directory of app.files. Packages written there would
// be read back into the next build's payload, and a half-written one into
// this build's.
func checkOutDir(out string, s *spec.Spec, dir, venvField string, ve *venv.Venv) error {
	outReal, err := resolve(out)
	if err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	type tree struct{ what, path string }
	trees := []tree{{"the venv (" + venvField + ": " + s.Venv[keyOf(s.Venv, ve.Python)] + ")", ve.Dir}, {"app.source (" + s.App.Source + ")", filepath.Join(dir, s.App.Source)}}
	for _, dest := range slices.Sorted(maps.Keys(s.App.Files)) {
		trees = append(trees, tree{"app.files." + dest + " (" + s.App.Files[dest] + ")", filepath.Join(dir, s.App.Files[dest])})
	}
	excluded, err := payload.Excludes(s)
	if err != nil {
		return err
	}
	for i, t := range trees {
		real, err := resolve(t.path)
		if err != nil {
			continue // reported by the spec's checks
		}
		rel, inside := fstree.Within(outReal, real)
		if !inside {
			continue
		}
		if i == 1 && rel != "." && excluded(rel, true) {
			continue // app.exclude leaves it out
		}
		hint := "pass an --out outside it, e.g. --out dist beside wsgipack.yaml"
		if i == 1 && rel != "." {
			hint += fmt.Sprintf(", or add %q to app.exclude", rel+"/")
		}
		return fmt.Errorf("--out %s is inside %s, which is packaged: the packages would end up in the next build's payload; %s", out, t.what, hint)
	}
	return nil
}

// resolve returns p absolute with every symlink resolved, also when p (or
// its last parts) does not exist yet.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var rest []string
	for dir := abs; ; dir = filepath.Dir(dir) {
		real, err := filepath.EvalSymlinks(dir)
		if err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		if dir == filepath.Dir(dir) {
			return "", err
		}
		// Not there (or under a file: creating it fails later, clearly).
		rest = append([]string{filepath.Base(dir)}, rest...)
	}
}
