// Package spec reads, defaults and validates wsgipack.yaml, the file that
// describes one web app and how to package it.
//
// Load is the only entry point most callers need: it decodes strictly (an
// unknown key or a wrong type is an error with its line and column), fills in
// defaults and validates every field, returning all problems at once as a
// Problems value.
package spec

import "fmt"

// Spec is the decoded wsgipack.yaml. Field docs double as the JSON Schema
// descriptions (see Schema) and the reference in specs/wsgipack.yaml.
type Spec struct {
	Name        string              `required:"true" yaml:"name" doc:"Package name; also /opt/<name>, the default system user and the Apache daemon process name. Lower case letters, digits and '-', starting with a letter, at most 32 characters."`
	Version     string              `yaml:"version" doc:"App version: SemVer (1.4.2, 1.4.2-rc.1) or PEP 440 (1.4.2rc1, 1.4.2.post1, 2!1.0). The --version flag overrides it."`
	Release     int                 `yaml:"release" min:"1" max:"999999" why:"the package revision, compared as a number by dpkg and rpm" doc:"Package revision, 1 to 999999 (deb -N, rpm Release). Default 1."`
	Summary     string              `required:"true" yaml:"summary" doc:"One line, at most 79 characters, shown by apt and dnf; it must not start with the package name or end with a period."`
	Description string              `yaml:"description" doc:"Longer description, lines of at most 79 characters; required for deb targets (lintian's extended-description-is-empty), defaults to the summary on rpm targets."`
	Maintainer  string              `required:"true" yaml:"maintainer" doc:"Who answers for the package, as 'Name <email>'."`
	License     string              `required:"true" yaml:"license" doc:"License of the app, e.g. MIT or Proprietary."`
	Homepage    string              `yaml:"homepage" doc:"http(s) URL of the app."`
	App         App                 `required:"true" yaml:"app" doc:"The app's code."`
	Venv        Venvs               `required:"true" yaml:"venv" doc:"The virtualenv CI built for the app, relative to this file, shipped in the release as venv/ (python-home); or one per Python X.Y for targets whose mod_wsgi Pythons differ: {\"3.9\": venv-3.9, \"3.11\": venv-3.11}. Each target is built from the venv of its default Python (its python3) when there is one, else of the newest Python it offers mod_wsgi for."`
	VenvKeep    []string            `enum:"installers" yaml:"venv_keep" doc:"Installers to keep in the shipped venv (pip, setuptools, wheel); all three are left out by default."`
	Bytecode    *bool               `yaml:"bytecode" doc:"Compile .pyc files for the final paths at build time and ship them (default true); false compiles them at install time on the server instead (faster builds, smaller packages; removed on removal)."`
	Targets     []string            `required:"true" enum:"targets" yaml:"targets" doc:"Distribution releases to build for: one package each."`
	Apache      Apache              `yaml:"apache" doc:"How Apache mod_wsgi serves the app."`
	User        string              `yaml:"user" doc:"System user the app runs as (default: name)."`
	Environment map[string]string   `yaml:"environment" doc:"Default variables, shipped in the release (/opt/<name>/current/environment) and loaded into os.environ; a server overrides them in /etc/<name>/environment, which the package never ships or changes. No secrets: see secrets."`
	Secrets     []string            `yaml:"secrets" doc:"Names of variables whose values are generated on each server at first install (random, from the kernel) into /etc/<name>/secrets (root:<user> 0640), kept on upgrade, removed on purge; an admin may set or rotate them there. Never in the package."`
	Config      []ConfigFile        `yaml:"config" doc:"Admin-editable config files, kept on upgrade."`
	Writable    []string            `yaml:"writable" doc:"Paths under /opt/<name> the app writes to; shipped as symlinks into /var/lib/<name>/."`
	Hooks       Hooks               `yaml:"hooks" doc:"Commands run as the app user by the install scripts."`
	Depends     map[string][]string `yaml:"depends" doc:"Extra system packages per target, e.g. debian-12: [libpq5]."`

	// places are where the file writes each field (Load records them),
	// for the problems found after Load: see At.
	places *reporter
}

// Where returns the place in the spec file where field (or its nearest
// written parent) is written, as "wsgipack.yaml:13:7"; "" for a spec that
// Load did not read.
func (s *Spec) Where(field string) string {
	if s.places == nil {
		return ""
	}
	p := s.places.lookup(field)
	return fmt.Sprintf("%s:%d:%d", s.places.file, p.line, p.col)
}

// At returns field with its place, "wsgipack.yaml:13:7: venv.3.9", for
// the messages of the checks after Load (a venv's contents, a config
// source): the form of the spec's own problems.
func (s *Spec) At(field string) string {
	if w := s.Where(field); w != "" {
		return w + ": " + field
	}
	return field
}

// App says where the app's code is and how mod_wsgi finds the application.
type App struct {
	Source  string            `required:"true" yaml:"source" doc:"Directory of the app's code, shipped as /opt/<name>/app (on the Python path)."`
	WSGI    string            `required:"true" yaml:"wsgi" doc:"module:callable served by mod_wsgi, or module:factory() for an app factory."`
	Exclude []string          `yaml:"exclude" doc:"Glob patterns (** matches across directories) relative to app.source that are not shipped."`
	Files   map[string]string `yaml:"files" doc:"Extra read-only files: destination under /opt/<name> -> source relative to this file."`
}

// Apache holds the mod_wsgi settings used by the install scripts.
type Apache struct {
	Mount      string            `yaml:"mount" doc:"URL path the app answers on (default /)."`
	ServerName string            `yaml:"server_name" doc:"Host name for an own <VirtualHost>; without it the app is a config snippet."`
	Processes  int               `yaml:"processes" min:"1" max:"64" why:"each process holds a copy of the app; more belongs on another server" doc:"mod_wsgi daemon processes, 1 to 64 (default 2)."`
	Threads    int               `yaml:"threads" min:"1" max:"256" why:"threads of one process share its GIL; more only queue" doc:"Threads per daemon process, 1 to 256 (default 15)."`
	Timeout    int               `yaml:"request_timeout" min:"1" max:"86400" why:"seconds, at most a day" doc:"Seconds a request may take before mod_wsgi restarts the daemon process, 1 to 86400 (default 60)."`
	Static     map[string]string `yaml:"static" doc:"URL path -> directory under /opt/<name> served by Apache directly."`
	// PassAuthorization is a pointer: absent means on.
	PassAuthorization *bool    `yaml:"pass_authorization" doc:"Pass the Authorization header to the app (WSGIPassAuthorization; default true): token, JWT and Basic auth done by the app need it."`
	Directives        []string `yaml:"directives" doc:"Extra Apache directives, one per line, added to the app's own config and tested with it at install. Only directives that act on the app's requests are allowed (Header, RequestHeader, Redirect*, Rewrite{Engine,Cond,Rule}, Expires*, LimitRequest*, SetEnvIf*, Add{Type,Charset,OutputFilterByType}, AddDefaultCharset, ErrorDocument, Require, WSGIChunkedRequest, <Location>, <LocationMatch>, <If>): others (LoadModule, logs, Include...) act as root or on the whole server. Without server_name the config is part of the main server's, so each directive must be inside a <Location> or <LocationMatch> of the app's own URLs (mount, static). RewriteRule: no [P] or [H]; outside sections, a substitution needs [R] or [PT]."`
}

// ConfigFile is one admin-editable file.
type ConfigFile struct {
	Source string `required:"true" yaml:"source" doc:"File relative to this file."`
	Dest   string `required:"true" yaml:"dest" doc:"Absolute path under /etc."`
}

// Hooks are the app's deploy commands.
type Hooks struct {
	FirstInstall []string `yaml:"first_install" doc:"Run once, when no earlier version was installed."`
	PostInstall  []string `yaml:"post_install" doc:"Run after every install and upgrade (migrations)."`
	PreRemove    []string `yaml:"pre_remove" doc:"Run before removal, not on upgrade."`
}

// PassesAuthorization reports whether mod_wsgi passes the Authorization
// header to the app.
func (a Apache) PassesAuthorization() bool { return a.PassAuthorization == nil || *a.PassAuthorization }

// CompileBytecode reports whether .pyc files are compiled at build time and
// shipped; otherwise the install scripts compile them on the server.
func (s *Spec) CompileBytecode() bool { return s.Bytecode == nil || *s.Bytecode }

// Installers are the distributions left out of a shipped venv unless kept.
var Installers = []string{"pip", "setuptools", "wheel"}
