// Package native reads the ELF files (Python extensions, bundled shared
// libraries, executables) of an app and its venv: which machine they are
// built for, the newest glibc symbol version they need, and which shared
// libraries they load. From that it decides the package architecture and
// checks the code against each target.
package native

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Magic is how every ELF file starts.
var Magic = []byte("\x7fELF")

// Binary is what wsgipack needs to know of one ELF file.
type Binary struct {
	Path    string   // destination path in the package
	Origin  string   // path in the project, for messages
	Arch    string   // amd64, arm64, or the ELF machine name for others
	Glibc   string   // newest GLIBC_x.y symbol version needed; empty if none
	Needed  []string // DT_NEEDED
	RunPath []string // DT_RUNPATH and DT_RPATH entries, $ORIGIN expanded
}

// Read parses one ELF file.
func Read(r io.ReaderAt, dest, origin string) (*Binary, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable ELF file: %w", origin, err)
	}
	defer f.Close()
	b := &Binary{Path: dest, Origin: origin, Arch: machine(f.Machine)}
	if syms, err := f.ImportedSymbols(); err == nil {
		for _, s := range syms {
			if v, ok := strings.CutPrefix(s.Version, "GLIBC_"); ok && isVersion(v) {
				if b.Glibc == "" || Compare(v, b.Glibc) > 0 {
					b.Glibc = v
				}
			}
		}
	}
	b.Needed, _ = f.ImportedLibraries()
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		vals, _ := f.DynString(tag)
		for _, v := range vals {
			for _, dir := range strings.Split(v, ":") {
				if dir == "" {
					continue
				}
				dir = strings.ReplaceAll(strings.ReplaceAll(dir, "${ORIGIN}", "$ORIGIN"), "$ORIGIN", path.Dir(dest))
				b.RunPath = append(b.RunPath, path.Clean(dir))
			}
		}
	}
	return b, nil
}

// IsELF reports whether data starts like an ELF file.
func IsELF(head []byte) bool { return bytes.HasPrefix(head, Magic) }

func machine(m elf.Machine) string {
	switch m {
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_AARCH64:
		return "arm64"
	default:
		return strings.TrimPrefix(m.String(), "EM_")
	}
}

func isVersion(v string) bool {
	for _, p := range strings.Split(v, ".") {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return v != ""
}

// Compare compares dotted version numbers such as 2.17 and 2.34.
func Compare(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// Arch decides the package architecture: "all" when there is no native
// code, else the one machine every binary is built for. Binaries for several
// machines are an error that names one of each.
func Arch(bins []*Binary) (string, error) {
	byArch := map[string]*Binary{}
	for _, b := range bins {
		if _, ok := byArch[b.Arch]; !ok {
			byArch[b.Arch] = b
		}
	}
	switch len(byArch) {
	case 0:
		return "all", nil
	case 1:
		for a := range byArch {
			if a != "amd64" && a != "arm64" {
				return "", fmt.Errorf("%s is built for %s; wsgipack packages amd64 and arm64", byArch[a].Origin, a)
			}
			return a, nil
		}
	}
	var parts []string
	for _, a := range slices.Sorted(maps.Keys(byArch)) {
		parts = append(parts, fmt.Sprintf("%s (%s)", a, byArch[a].Origin))
	}
	return "", fmt.Errorf("native code for several machines: %s; build the venv on the machine type the servers run", strings.Join(parts, ", "))
}

// CheckGlibc returns one error per binary that needs a newer glibc than
// available.
func CheckGlibc(bins []*Binary, targetName, available string) []error {
	var errs []error
	for _, b := range bins {
		if b.Glibc != "" && Compare(b.Glibc, available) > 0 {
			errs = append(errs, fmt.Errorf("%s needs glibc %s but %s has %s: build it on an older system (a manylinux wheel for glibc <= %s) or drop the target",
				b.Origin, b.Glibc, targetName, available, available))
		}
	}
	return errs
}

// baseLibraries are the shared libraries every supported target has without
// extra packages: the manylinux policy's list plus zlib.
var baseLibraries = []string{
	"ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libc.so.6", "libm.so.6", "libdl.so.2",
	"librt.so.1", "libpthread.so.0", "libutil.so.1", "libresolv.so.2", "libnsl.so.1",
	"libgcc_s.so.1", "libstdc++.so.6", "libz.so.1", "libcrypt.so.1",
}

// Unresolved lists, per binary, the DT_NEEDED libraries found neither in the
// package (next to the binary, on its run path, or in a directory with other
// bundled libraries such as a manylinux .libs directory) nor among the base
// system's libraries. files holds every file path of the package.
func Unresolved(bins []*Binary, files []string) []string {
	byName := map[string][]string{}
	for _, f := range files {
		byName[path.Base(f)] = append(byName[path.Base(f)], path.Dir(f))
	}
	var out []string
	for _, b := range bins {
		for _, lib := range b.Needed {
			if slices.Contains(baseLibraries, lib) || strings.HasPrefix(lib, "libpython3") {
				continue
			}
			dirs := byName[lib]
			found := slices.Contains(dirs, path.Dir(b.Path))
			for _, rp := range b.RunPath {
				found = found || slices.Contains(dirs, rp)
			}
			if !found {
				out = append(out, fmt.Sprintf("%s needs %s, which is neither in the venv nor in a base system: add the package that provides it to depends (e.g. depends: {debian-12: [%s]})",
					b.Origin, lib, debPackageGuess(lib)))
			}
		}
	}
	sort.Strings(out)
	return out
}

// debPackageGuess turns libpq.so.5 into libpq5, Debian's usual name.
func debPackageGuess(lib string) string {
	base, ver, ok := strings.Cut(lib, ".so.")
	if !ok {
		return strings.TrimSuffix(lib, ".so")
	}
	if base[len(base)-1] >= '0' && base[len(base)-1] <= '9' {
		return base + "-" + ver
	}
	return base + strings.ReplaceAll(ver, ".", "")
}

// MentionsOutsideRunPath reports whether the ELF file r contains needle
// anywhere but in its DT_RUNPATH or DT_RPATH strings: in code, data or
// debug information. A run path naming a directory of the build machine
// is warned about on its own (harmless where it does not exist); the
// rest is a leak.
func MentionsOutsideRunPath(r io.ReaderAt, needle string) (bool, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var runPaths []string
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		vals, _ := f.DynString(tag)
		runPaths = append(runPaths, vals...)
	}
	nd := []byte(needle)
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOBITS || s.Size == 0 {
			continue
		}
		data, err := s.Data()
		if err != nil {
			return false, fmt.Errorf("section %s: %w", s.Name, err)
		}
		if s.Name == ".dynstr" {
			for _, rp := range runPaths {
				data = bytes.ReplaceAll(data, []byte(rp), nil)
			}
		}
		if bytes.Contains(data, nd) {
			return true, nil
		}
	}
	return false, nil
}
