// Package target holds what wsgipack knows about each distribution release it
// builds for: package format, Python and mod_wsgi packages, Apache, glibc and
// the compression its package manager reads. It is data in one place; nothing
// else in wsgipack knows a distribution by name.
package distro

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Python is one Python X.Y a target offers together with a mod_wsgi built
// for it.
type Python struct {
	Version     string // X.Y
	Interpreter string // absolute path of the interpreter, e.g. /usr/bin/python3.11
	Package     string // package that provides Interpreter and its standard library
	ModWSGI     string // package of the mod_wsgi built for this Python
}

// Apache is how a distribution family lays out and runs Apache httpd: where
// configs go, how they are enabled, tested and reloaded. The install scripts
// are rendered from it.
type Apache struct {
	Family        string // debian, el or suse
	Package       string // the Apache package
	Service       string // systemd unit
	Ctl           string // apache2ctl or apachectl: configtest and graceful
	PidFile       string // where a running Apache keeps its pid (used without systemd)
	SiteDir       string // configs with an own <VirtualHost> (apache.server_name set)
	SnippetDir    string // config snippets for the main server
	Enable        bool   // configs are enabled with a2ensite/a2enconf (Debian family)
	User          string // Apache's own user
	Group         string // Apache's own group: it reads the app's served writable paths
	ModWSGIModule string // path of mod_wsgi.so
	// SocketPrefix is WSGISocketPrefix when the built-in default does not
	// work (EL: logs/ is not writable and SELinux denies sockets there).
	SocketPrefix string
}

// The Apache layouts. SUSE is data only: no SUSE target yet.
var (
	debianApache = Apache{
		Family: "debian", Package: "apache2", Service: "apache2", Ctl: "apache2ctl",
		PidFile: "/run/apache2/apache2.pid", SiteDir: "/etc/apache2/sites-available",
		SnippetDir: "/etc/apache2/conf-available", Enable: true, User: "www-data", Group: "www-data",
		ModWSGIModule: "/usr/lib/apache2/modules/mod_wsgi.so",
	}
	elApache = Apache{
		Family: "el", Package: "httpd", Service: "httpd", Ctl: "apachectl",
		PidFile: "/run/httpd/httpd.pid", SiteDir: "/etc/httpd/conf.d", SnippetDir: "/etc/httpd/conf.d",
		User: "apache", Group: "apache", ModWSGIModule: "/usr/lib64/httpd/modules/mod_wsgi_python3.so",
		SocketPrefix: "/run/httpd/wsgi",
	}
	suseApache = Apache{
		Family: "suse", Package: "apache2", Service: "apache2", Ctl: "apachectl",
		PidFile: "/run/httpd.pid", SiteDir: "/etc/apache2/vhosts.d", SnippetDir: "/etc/apache2/conf.d",
		User: "wwwrun", Group: "www", ModWSGIModule: "/usr/lib64/apache2/mod_wsgi.so",
	}
)

// Release is one distribution release.
type Release struct {
	Name        string // e.g. debian-12
	Title       string // e.g. Debian 12 (bookworm)
	Format      string // package format, as internal/packager registers it: deb or rpm
	Suffix      string // appended to the package revision, e.g. +deb12 or .el9
	Codename    string // apt's name of the release (bookworm); empty on rpm releases
	Glibc       string // glibc version, X.Y
	Compression string // payload compression the target's dpkg or rpm reads: zstd:LEVEL or gzip:LEVEL
	Pythons     []Python
	Apache      Apache
}

// The deb payloads use zstd where dpkg reads it (1.21.18+: Debian 12,
// Ubuntu 21.10 and later); older releases get gzip (xz is slower to write).
const (
	debZstd = "zstd:fastest"
	debOld  = "gzip:6"
	rpmZstd = "zstd:fastest"
)

func debian(name, title, codename, suffix, glibc, compression, py string) Release {
	return Release{
		Name: name, Title: title, Format: "deb", Suffix: suffix, Codename: codename, Glibc: glibc,
		Compression: compression, Apache: debianApache,
		Pythons: []Python{{Version: py, Interpreter: "/usr/bin/python" + py,
			Package: "python" + py, ModWSGI: "libapache2-mod-wsgi-py3"}},
	}
}

func el(n, glibc string, pythons ...Python) Release {
	return Release{
		Name: "el" + n, Title: "Enterprise Linux " + n, Format: "rpm", Suffix: ".el" + n, Glibc: glibc,
		Compression: rpmZstd, Apache: elApache, Pythons: pythons,
	}
}

func elPython(version, pkg, modwsgi string) Python {
	return Python{Version: version, Interpreter: "/usr/bin/python" + version, Package: pkg, ModWSGI: modwsgi}
}

var all = []Release{
	debian("debian-11", "Debian 11 (bullseye)", "bullseye", "+deb11", "2.31", debOld, "3.9"),
	debian("debian-12", "Debian 12 (bookworm)", "bookworm", "+deb12", "2.36", debZstd, "3.11"),
	debian("debian-13", "Debian 13 (trixie)", "trixie", "+deb13", "2.41", debZstd, "3.13"),
	debian("ubuntu-20.04", "Ubuntu 20.04 (focal)", "focal", "+ubuntu20.04", "2.31", debOld, "3.8"),
	debian("ubuntu-22.04", "Ubuntu 22.04 (jammy)", "jammy", "+ubuntu22.04", "2.35", debZstd, "3.10"),
	debian("ubuntu-24.04", "Ubuntu 24.04 (noble)", "noble", "+ubuntu24.04", "2.39", debZstd, "3.12"),
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
func Lookup(name string) (Release, error) {
	for _, t := range all {
		if t.Name == name {
			return t, nil
		}
	}
	return Release{}, fmt.Errorf("unknown target %q; known targets: %s", name, strings.Join(Names(), ", "))
}

// All lists every known release, in the table's order.
func All() []Release { return slices.Clone(all) }

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
func (t Release) Python(version string) (Python, error) {
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

// ApacheLayouts lists every Apache layout wsgipack knows, including those of
// no target yet.
func ApacheLayouts() []Apache { return []Apache{debianApache, elApache, suseApache} }
