// Package target holds what wsgipack knows about each distribution release it
// builds for: package format, Python and mod_wsgi packages, Apache, glibc and
// the compression its package manager reads. It is data in one place; nothing
// else in wsgipack knows a distribution by name.
package target

import (
	"fmt"
	"sort"
	"strings"
)

// Format is a package format.
type Format string

// The package formats.
const (
	Deb Format = "deb"
	RPM Format = "rpm"
)

// Python is one Python X.Y a target offers together with a mod_wsgi built
// for it.
type Python struct {
	Version     string // X.Y
	Interpreter string // absolute path of the interpreter, e.g. /usr/bin/python3.11
	Package     string // package that provides Interpreter and its standard library
	ModWSGI     string // package of the mod_wsgi built for this Python
}

// Target is one distribution release.
type Target struct {
	Name        string // e.g. debian-12
	Title       string // e.g. Debian 12 (bookworm)
	Format      Format
	Suffix      string // appended to the package revision, e.g. +deb12 or .el9
	Glibc       string // glibc version, X.Y
	Compression string // payload compression the target's dpkg or rpm reads, as nfpm names it
	Apache      string // Apache package
	Pythons     []Python
	// Layout of the Apache configuration (used by the install scripts).
	ApacheConfDir    string // directory of vhost configs
	ApacheSnippetDir string // directory of config snippets
	ApacheUser       string
	ModWSGIModule    string // path of mod_wsgi.so
}

// The deb payloads use zstd where dpkg reads it (1.21.18+: Debian 12,
// Ubuntu 21.10 and later); older releases get gzip (xz is slower to write).
const (
	debZstd = "zstd:fastest"
	debOld  = "gzip:6"
	rpmZstd = "zstd:fastest"
)

func debian(name, title, suffix, glibc, compression, py string) Target {
	return Target{
		Name: name, Title: title, Format: Deb, Suffix: suffix, Glibc: glibc,
		Compression: compression, Apache: "apache2",
		Pythons: []Python{{Version: py, Interpreter: "/usr/bin/python" + py,
			Package: "python" + py, ModWSGI: "libapache2-mod-wsgi-py3"}},
		ApacheConfDir: "/etc/apache2/sites-available", ApacheSnippetDir: "/etc/apache2/conf-available",
		ApacheUser: "www-data", ModWSGIModule: "/usr/lib/apache2/modules/mod_wsgi.so",
	}
}

func el(n, glibc string, pythons ...Python) Target {
	return Target{
		Name: "el" + n, Title: "Enterprise Linux " + n, Format: RPM, Suffix: ".el" + n, Glibc: glibc,
		Compression: rpmZstd, Apache: "httpd", Pythons: pythons,
		ApacheConfDir: "/etc/httpd/conf.d", ApacheSnippetDir: "/etc/httpd/conf.d",
		ApacheUser: "apache", ModWSGIModule: "/usr/lib64/httpd/modules/mod_wsgi_python3.so",
	}
}

func elPython(version, pkg, modwsgi string) Python {
	return Python{Version: version, Interpreter: "/usr/bin/python" + version, Package: pkg, ModWSGI: modwsgi}
}

var all = []Target{
	debian("debian-11", "Debian 11 (bullseye)", "+deb11", "2.31", debOld, "3.9"),
	debian("debian-12", "Debian 12 (bookworm)", "+deb12", "2.36", debZstd, "3.11"),
	debian("debian-13", "Debian 13 (trixie)", "+deb13", "2.41", debZstd, "3.13"),
	debian("ubuntu-20.04", "Ubuntu 20.04 (focal)", "+ubuntu20.04", "2.31", debOld, "3.8"),
	debian("ubuntu-22.04", "Ubuntu 22.04 (jammy)", "+ubuntu22.04", "2.35", debZstd, "3.10"),
	debian("ubuntu-24.04", "Ubuntu 24.04 (noble)", "+ubuntu24.04", "2.39", debZstd, "3.12"),
	// EL 8.2 and later: python3-mod_wsgi no longer provides mod_wsgi, so
	// depend on full package names. The pythonX.Y-mod_wsgi packages conflict
	// with each other (one module file).
	el("8", "2.28",
		elPython("3.6", "python36", "python3-mod_wsgi"),
		elPython("3.8", "python38", "python38-mod_wsgi"),
		elPython("3.9", "python39", "python39-mod_wsgi"),
		elPython("3.11", "python3.11", "python3.11-mod_wsgi"),
		elPython("3.12", "python3.12", "python3.12-mod_wsgi")),
	el("9", "2.34",
		elPython("3.9", "python3", "python3-mod_wsgi"),
		elPython("3.11", "python3.11", "python3.11-mod_wsgi"),
		elPython("3.12", "python3.12", "python3.12-mod_wsgi")),
	el("10", "2.39",
		elPython("3.12", "python3", "python3-mod_wsgi")),
}

// Lookup returns the target called name.
func Lookup(name string) (Target, error) {
	for _, t := range all {
		if t.Name == name {
			return t, nil
		}
	}
	return Target{}, fmt.Errorf("unknown target %q; known targets: %s", name, strings.Join(Names(), ", "))
}

// Names lists every known target, sorted.
func Names() []string {
	names := make([]string, len(all))
	for i, t := range all {
		names[i] = t.Name
	}
	sort.Strings(names)
	return names
}

// Python returns the target's Python X.Y with mod_wsgi, or an error that
// says which versions the target offers.
func (t Target) Python(version string) (Python, error) {
	var offered []string
	for _, p := range t.Pythons {
		if p.Version == version {
			return p, nil
		}
		offered = append(offered, p.Version)
	}
	return Python{}, fmt.Errorf("%s offers mod_wsgi only for Python %s, but the venv is Python %s: build the venv with Python %s (or drop the target)",
		t.Name, strings.Join(offered, ", "), version, offered[len(offered)-1])
}

// PackageArch is the architecture name the target's format uses for a Go
// style machine name (amd64, arm64, or all for no native code).
func (t Target) PackageArch(arch string) string {
	if t.Format == RPM {
		switch arch {
		case "amd64":
			return "x86_64"
		case "arm64":
			return "aarch64"
		case "all":
			return "noarch"
		}
	}
	return arch
}
