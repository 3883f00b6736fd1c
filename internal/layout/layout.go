// Package layout says where an app's files go on a server. It is the one
// place that spells an install path (/opt/<name>, /etc/<name>, the entry
// script, the environment file...): the Go code uses it and hands it to the
// templates.
//
// The code of an app is never served from where the package manager put
// it. The package ships it in /opt/<name>/package; the install scripts copy
// that tree (hard links: no extra space) to /opt/<name>/releases/<release>,
// run the deploy hooks against the copy and then switch the link
// /opt/<name>/current to it. dpkg and rpm replace and remove the package's
// files while the old release keeps serving from its own copy, and
// mod_wsgi starts the new code only after the switch (see
// internal/scripts).
package layout

import (
	"path"
	"strconv"

	"github.com/wsgipack/wsgipack/internal/version"
)

// App is the set of install paths of one app.
type App struct {
	Name     string // the package name
	Root     string // /opt/<name>: the package's files and the releases
	Package  string // /opt/<name>/package: the release as the package ships it, never served
	Releases string // /opt/<name>/releases: one directory per installed release
	Current  string // /opt/<name>/current: link to the release that serves
	Previous string // /opt/<name>/previous: link to the release that served before
	// WSGIDir and EntryScript are the entry script Apache names
	// (/opt/<name>/wsgi/<name>.wsgi): a copy of the current release's, made
	// by the install scripts at the switch, whose new modification time
	// makes mod_wsgi restart the app's daemon processes.
	WSGIDir     string
	EntryScript string
	Etc         string // /etc/<name>: config files, root:<user> 0750
	EnvFile     string // /etc/<name>/environment: this server's settings, never shipped
	SecretsFile string // /etc/<name>/secrets: generated on the server, never shipped
	State       string // /var/lib/<name>: the app's data, and the writable paths
	Log         string // /var/log/<name>
	Doc         string // /usr/share/doc/<name>: copyright and changelog
	Ctl         string // /usr/sbin/<name>-ctl: the operator's command
}

// Tree is one copy of a release: the package's, an installed release's or
// the current one (through the link).
type Tree struct {
	Root        string // e.g. /opt/<name>/releases/1.4.2-1
	Code        string // Root/app: app.source, on the Python path
	Venv        string // Root/venv: the relocated virtualenv
	WSGIDir     string // Root/wsgi
	EntryScript string // Root/wsgi/<name>.wsgi: the release's entry script
	EnvFile     string // Root/environment: the spec's environment, the release's defaults
}

// For returns the install paths of the app called name.
func For(name string) App {
	root := "/opt/" + name
	return App{
		Name:        name,
		Root:        root,
		Package:     root + "/package",
		Releases:    root + "/releases",
		Current:     root + "/current",
		Previous:    root + "/previous",
		WSGIDir:     root + "/wsgi",
		EntryScript: root + "/wsgi/" + name + ".wsgi",
		Etc:         "/etc/" + name,
		EnvFile:     "/etc/" + name + "/environment",
		SecretsFile: "/etc/" + name + "/secrets",
		State:       "/var/lib/" + name,
		Log:         "/var/log/" + name,
		Doc:         "/usr/share/doc/" + name,
		Ctl:         "/usr/sbin/" + name + "-ctl",
	}
}

// tree returns the release tree rooted at root.
func (a App) tree(root string) Tree {
	return Tree{Root: root, Code: root + "/app", Venv: root + "/venv", WSGIDir: root + "/wsgi",
		EntryScript: root + "/wsgi/" + a.Name + ".wsgi", EnvFile: root + "/environment"}
}

// Shipped is the tree as the package installs it.
func (a App) Shipped() Tree { return a.tree(a.Package) }

// Served is the current release, through the link: what Apache names.
func (a App) Served() Tree { return a.tree(a.Current) }

// Release is the installed copy of the release called dir (ReleaseDir).
// Its paths are the ones a build writes into the venv's scripts and the
// bytecode.
func (a App) Release(dir string) Tree { return a.tree(path.Join(a.Releases, dir)) }

// ReleaseDir names a release's directory after the app's version and the
// package revision, the same for every target of a build: "1.4.2-1", or
// "2!1.4.2-1" with an epoch (no ':', which would split PATH).
func ReleaseDir(v version.Version, revision int) string {
	dir := v.Upstream + "-" + strconv.Itoa(revision)
	if v.Epoch > 0 {
		dir = strconv.Itoa(v.Epoch) + "!" + dir
	}
	return dir
}

// Opt returns the install path of rel, a path relative to the tree.
func (t Tree) Opt(rel string) string { return path.Join(t.Root, rel) }

// Filled are the names of the files and directories of a release tree that wsgipack
// fills itself (app, venv, wsgi): app.files and writable paths cannot take
// them.
func (a App) Filled() []string { return []string{"app", "venv", "wsgi", "environment"} }

// Owned are the directories the package owns (and removes) with everything
// below them; their parents are the system's.
func (a App) Owned() []string { return []string{a.Root, a.Etc, a.Doc} }
