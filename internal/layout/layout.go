// Package layout says where an app's files go on a server. It is the one
// place that spells an install path (/opt/<name>, /etc/<name>, the entry
// script, the environment file...): the Go code uses it and hands it to the
// templates.
package layout

import "path"

// App is the set of install paths of one app.
type App struct {
	Name        string // the package name
	Root        string // /opt/<name>: everything the package ships but config and docs
	Code        string // /opt/<name>/app: app.source, on the Python path
	Venv        string // /opt/<name>/venv: the relocated virtualenv
	WSGIDir     string // /opt/<name>/wsgi: the entry script's directory
	EntryScript string // /opt/<name>/wsgi/<name>.wsgi
	Etc         string // /etc/<name>: config files, root:<user> 0750
	EnvFile     string // /etc/<name>/environment
	State       string // /var/lib/<name>: the app's data, and the writable paths
	Log         string // /var/log/<name>
	Doc         string // /usr/share/doc/<name>: copyright and changelog
}

// For returns the install paths of the app called name.
func For(name string) App {
	root := "/opt/" + name
	return App{
		Name:        name,
		Root:        root,
		Code:        root + "/app",
		Venv:        root + "/venv",
		WSGIDir:     root + "/wsgi",
		EntryScript: root + "/wsgi/" + name + ".wsgi",
		Etc:         "/etc/" + name,
		EnvFile:     "/etc/" + name + "/environment",
		State:       "/var/lib/" + name,
		Log:         "/var/log/" + name,
		Doc:         "/usr/share/doc/" + name,
	}
}

// Opt returns the install path of rel, a path relative to Root.
func (a App) Opt(rel string) string { return path.Join(a.Root, rel) }

// Filled are the names of the directories under Root that wsgipack fills
// itself (app, venv, wsgi): app.files and writable paths cannot take them.
func (a App) Filled() []string {
	return []string{path.Base(a.Code), path.Base(a.Venv), path.Base(a.WSGIDir)}
}

// Owned are the directories the package owns (and removes) with everything
// below them; their parents are the system's.
func (a App) Owned() []string { return []string{a.Root, a.Etc, a.Doc} }
