package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// checkSecrets validates the names of the generated secrets: variable
// names, once, and not also given a value in environment (a secret's value
// never comes from the spec).
func checkSecrets(r *reporter, s *Spec) {
	seen := map[string]bool{}
	for i, k := range s.Secrets {
		f := index("secrets", i)
		switch {
		case !envKeyRE.MatchString(k):
			r.add(f, "%q is not a variable name (letters, digits and _, not starting with a digit)", k)
		case reservedVar(k) != "":
			r.add(f, "%s %s; choose another name", k, reservedVar(k))
		case seen[k]:
			r.add(f, "%s is listed twice", k)
		case s.Environment[k] != "" || hasKey(s.Environment, k):
			r.add(f, "%s also has a value under environment: a secret's value is generated on the server; remove it from environment", k)
		}
		seen[k] = true
	}
}

// reservedVar returns why the variable k cannot be set by the app's
// environment or secrets, or "". The three environment files are read by
// /bin/sh (bash on EL, dash on Debian) with 'set -a' in the entry script,
// the deploy hooks and <name>-ctl run: a variable the shell owns does
// not keep its value (RANDOM, SHLVL), or is read-only in bash and stops
// the file there (UID); IFS, ENV, BASH_ENV and CDPATH change how that shell
// and its children run commands. The hooks' PATH, HOME, VIRTUAL_ENV and
// Python's search paths are set by the install scripts (PYTHONINSPECT
// would leave a hook waiting at a prompt); LD_* would load code into
// every program the hooks and the app start.
func reservedVar(k string) string {
	switch {
	case slices.Contains(shellVars, k) || strings.HasPrefix(k, "BASH"):
		return "belongs to the shell that reads the environment files (/bin/sh: bash on EL, dash on Debian), which keeps its own value or stops at it"
	case strings.HasPrefix(k, "LD_"):
		return "is read by the dynamic loader: it would load code into every program the hooks and the app start"
	case slices.Contains(runtimeVars, k):
		return "is set by the install scripts for the hooks (the release's venv and code, the app's home) and read by Python at start: a value here would make the hooks run other code than the app's"
	}
	return ""
}

var (
	shellVars   = []string{"UID", "EUID", "PPID", "SHELLOPTS", "RANDOM", "SRANDOM", "SECONDS", "LINENO", "OPTIND", "OPTARG", "HISTCMD", "GROUPS", "FUNCNAME", "DIRSTACK", "EPOCHSECONDS", "EPOCHREALTIME", "COMP_WORDBREAKS", "SHLVL", "PWD", "OLDPWD", "_", "IFS", "ENV", "CDPATH"}
	runtimeVars = []string{"PATH", "HOME", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "PYTHONPLATLIBDIR", "PYTHONEXECUTABLE", "PYTHONDONTWRITEBYTECODE", "PYTHONINSPECT"}
)

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// appDirectives are the Apache directives apache.directives may hold: they
// act on the app's own requests. Others are refused: LoadModule, piped
// logs, RewriteMap prg: and the like run code as root, and server-wide
// directives (Listen, Include, KeepAlive...) change every app's server.
var appDirectives = []string{
	"Header", "RequestHeader",
	"Redirect", "RedirectMatch", "RedirectPermanent", "RedirectTemp",
	"RewriteEngine", "RewriteCond", "RewriteRule",
	"ExpiresActive", "ExpiresDefault", "ExpiresByType",
	"LimitRequestBody", "LimitRequestFields", "LimitRequestFieldSize", "LimitRequestLine",
	"SetEnvIf", "SetEnvIfNoCase", "AddType", "AddCharset", "AddDefaultCharset", "AddOutputFilterByType",
	"ErrorDocument", "Require", "WSGIChunkedRequest",
	"AuthType", "AuthName", "AuthBasicProvider", "AuthUserFile", "AuthGroupFile",
	"<Location", "<LocationMatch", "<If", "<ElseIf", "<Else",
}

// allowed returns the canonical name of directive d (case-insensitive, as
// Apache reads them; a section's closing tag by its opening one).
func allowed(d string) (string, bool) {
	d = strings.TrimSuffix(strings.Replace(d, "</", "<", 1), ">")
	for _, a := range appDirectives {
		if strings.EqualFold(a, d) {
			return a, true
		}
	}
	return "", false
}

var directiveRE = regexp.MustCompile(`^\s*(</?[A-Za-z]+>?|[A-Za-z][A-Za-z0-9]*)`)

// serverOnly are the allowed directives Apache takes only outside
// sections (server config and <VirtualHost>): in an app's snippet they
// would set the whole server's limits.
var serverOnly = []string{"LimitRequestFields", "LimitRequestFieldSize", "LimitRequestLine"}

// checkDirectives validates apache.directives as Apache will read them
// inside the app's config: allowed directives only, each in a context
// Apache takes it in, sections that open and close in the list, and
// nothing that reaches beyond the app. Without apache.server_name the
// config is a snippet of the main server, whose directives every virtual
// host inherits: there each directive must be inside a <Location> (or
// <LocationMatch>) of the app's own URLs (apache.mount, apache.static).
func checkDirectives(r *reporter, s *Spec) {
	a := s.Apache
	site := a.ServerName != ""
	var open []string // the sections open, innermost last
	afterIf := false  // the directive before closed an <If> or <ElseIf>
	for i, d := range a.Directives {
		f := index("apache.directives", i)
		wasAfterIf := afterIf
		afterIf = false
		if strings.HasSuffix(strings.TrimRight(d, " \t"), `\`) {
			r.add(f, "%q ends with a backslash, which continues an Apache line: the config's next line would become part of this directive; remove it", d)
			continue
		}
		m := directiveRE.FindStringSubmatch(d)
		if m == nil {
			r.add(f, "%q is not an Apache directive", d)
			continue
		}
		name, ok := allowed(m[1])
		if !ok {
			r.add(f, "%s is not allowed in an app's config (it acts as root or on the whole server); allowed: %s", m[1], strings.Join(appDirectives, ", "))
			continue
		}
		args := strings.TrimSpace(d[len(m[0]):])
		switch {
		case strings.HasPrefix(m[1], "</"):
			if len(open) == 0 || open[len(open)-1] != name {
				r.add(f, "%s closes a section that is not open", m[1])
				continue
			}
			open = open[:len(open)-1]
			afterIf = name == "<If" || name == "<ElseIf"
		case strings.HasPrefix(name, "<"):
			if !strings.HasSuffix(m[1], ">") && !strings.HasSuffix(args, ">") {
				r.add(f, "%q does not end with '>': write %s ...>", d, m[1])
				open = append(open, name)
				continue
			}
			args = strings.TrimSpace(strings.TrimSuffix(args, ">"))
			switch name {
			case "<Location", "<LocationMatch":
				if words, err := apacheWords(args); name == "<Location" && err == nil && len(words) == 1 && serverURL(words[0]) != "" {
					r.add(f, "%s %s> %s", m[1], words[0], serverURL(words[0]))
				} else if len(open) > 0 {
					r.add(f, "%s> cannot be inside %s>: Apache takes it only at the top of the app's config; close %s> first", m[1], open[len(open)-1], open[len(open)-1])
				} else if !site {
					if msg := ownURLs(s, name, args); msg != "" {
						r.add(f, "%s", msg)
					}
				}
			case "<If":
				if len(open) == 0 && !site {
					r.add(f, "%s> outside a <Location> acts on every request of the server (without apache.server_name the app's config is part of the main server's): put it inside <Location %s>", m[1], a.Mount)
				}
			case "<ElseIf", "<Else":
				if !wasAfterIf {
					r.add(f, "%s must come right after the </If> or </ElseIf> it continues", m[1])
				}
			}
			open = append(open, name)
		default:
			switch {
			case slices.Contains(serverOnly, name) && (len(open) > 0 || !site):
				r.add(f, "%s sets a limit of the whole server or virtual host (Apache refuses it inside a section): give the app its own virtual host with apache.server_name and write it outside sections", name)
			case len(open) == 0 && !site:
				r.add(f, "%s outside a <Location> acts on every request of the server, not just the app's (without apache.server_name the app's config is part of the main server's, which every virtual host inherits): put it inside <Location %s> ... </Location>", name, a.Mount)
			case len(open) == 0 && name == "Require":
				r.add(f, "Require is taken only inside a section (Apache refuses it in a <VirtualHost>): put it inside <Location %s> ... </Location>", a.Mount)
			case name == "RewriteRule":
				if msg := checkRewrite(args, len(open) == 0); msg != "" {
					r.add(f, "%s", msg)
				}
			case name == "AddType" && handlerType(args):
				r.add(f, "%s names a handler's type: Apache would run the files as code (an upload as PHP); not allowed in an app's config", d)
			}
		}
	}
	if len(open) > 0 {
		last := strings.TrimPrefix(open[len(open)-1], "<")
		r.add("apache.directives", "<%s> is not closed: add </%s>", last, last)
	}
}

// ownURLs returns why a <Location> or <LocationMatch> with the arguments
// args reaches beyond the app's URLs (its mount and static URLs), or "".
// A path must be one of them or below one; a regular expression must be
// anchored at one: ^/inventory/ or ^/inventory$ (or (/|$)).
func ownURLs(s *Spec, section, args string) string {
	words, err := apacheWords(args)
	if err != nil || len(words) == 0 {
		return fmt.Sprintf("%s needs one URL path of the app, e.g. %s %s>", section, section, s.Apache.Mount)
	}
	regex := section == "<LocationMatch"
	if words[0] == "~" && !regex {
		regex, words = true, words[1:]
	}
	if len(words) != 1 {
		return fmt.Sprintf("%s takes one URL path of the app, e.g. %s %s>", section, section, s.Apache.Mount)
	}
	w := words[0]
	if s.Apache.Mount == "/" {
		return "" // the app answers every URL of the server
	}
	urls := append([]string{s.Apache.Mount}, slices.Sorted(maps.Keys(s.Apache.Static))...)
	for _, u := range urls {
		if !regex && (w == u || strings.HasPrefix(w, u+"/")) {
			return ""
		}
		if regex && !topLevelAlternation(w) {
			for _, prefix := range []string{"^" + u, "^" + regexp.QuoteMeta(u)} {
				if rest, ok := strings.CutPrefix(w, prefix); ok && (strings.HasPrefix(rest, "/") || rest == "$" || strings.HasPrefix(rest, "(/|$)")) {
					return ""
				}
			}
		}
	}
	what := fmt.Sprintf("not one of the app's URLs (%s) nor below one", strings.Join(urls, ", "))
	if regex {
		what = fmt.Sprintf("not anchored at one of the app's URLs (%s): start it with ^%s/ or ^%s$", strings.Join(urls, ", "), s.Apache.Mount, s.Apache.Mount)
	}
	return fmt.Sprintf("%s %s> is %s; without apache.server_name the app's config is part of the main server's, and a section elsewhere acts on other apps' and the server's requests", section, w, what)
}

// topLevelAlternation reports whether regular expression re has a | outside
// groups and classes: ^/inventory/|^/admin matches beyond its anchor.
func topLevelAlternation(re string) bool {
	depth, class := 0, false
	for i := 0; i < len(re); i++ {
		switch c := re[i]; {
		case c == '\\':
			i++
		case class:
			class = c != ']'
		case c == '[':
			class = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			return true
		}
	}
	return false
}

// handlerType reports a content type that names a handler: Apache runs a
// response of that type with it when nothing else set one
// (application/x-httpd-php runs an uploaded file as PHP).
func handlerType(t string) bool {
	return strings.HasPrefix(strings.ToLower(strings.Trim(t, `"'`)), "application/x-httpd-")
}

// checkRewrite returns why a RewriteRule with the arguments args reaches
// beyond the app, or "". Proxying ([P]) makes the server fetch any URL
// (internal services, cloud metadata) for any client, and a handler ([H])
// runs files as code. Outside sections (a virtual host) Apache reads a
// substitution starting with / as a file of the server when its first
// directory exists there (/etc/passwd): it must then be a redirect ([R]),
// a URL ([PT]) or no substitution (-, [F], [G]).
func checkRewrite(args string, outside bool) string {
	words, err := apacheWords(args)
	if err != nil || len(words) < 2 {
		return fmt.Sprintf("RewriteRule %s: write RewriteRule PATTERN SUBSTITUTION [FLAGS]", args)
	}
	var flags []string
	typed := false
	if len(words) > 2 && strings.HasPrefix(words[len(words)-1], "[") {
		for _, fl := range strings.Split(strings.Trim(words[len(words)-1], "[]"), ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(fl), "=")
			flags = append(flags, strings.ToLower(name))
			if n := strings.ToLower(name); (n == "t" || n == "type") && handlerType(value) {
				typed = true
			}
		}
	}
	has := func(names ...string) bool {
		return slices.ContainsFunc(flags, func(f string) bool { return slices.Contains(names, f) })
	}
	switch sub := words[1]; {
	case has("p", "proxy"):
		return "RewriteRule with [P] makes Apache a proxy that fetches URLs for any client (internal services included): redirect with [R] instead"
	case has("h", "handler") || typed:
		return "RewriteRule with [H] makes Apache run files with another handler (as code), as does [T=application/x-httpd-...]: not allowed in an app's config"
	case outside && sub != "-" && !has("r", "redirect", "pt", "passthrough", "f", "forbidden", "g", "gone") && !strings.Contains(sub, "://"):
		return fmt.Sprintf("RewriteRule to %q outside a <Location>: Apache reads it as a file of the server when its first directory exists there (e.g. /etc/passwd); add [PT] (a URL of this server) or [R] (a redirect)", sub)
	}
	return ""
}

// apacheWords splits the arguments of one configuration line as httpd's
// ap_getword_conf does: words separated by white space; a word that starts
// with " or ' runs to the matching quote, inside which \" (or \') and \\
// stand for the character; outside quotes \\ stands for \. It refuses ${,
// which httpd replaces by a variable's value before splitting.
func apacheWords(line string) ([]string, error) {
	if strings.Contains(line, "${") {
		return nil, fmt.Errorf("%q holds ${, which httpd expands", line)
	}
	var words []string
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' }
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return words, nil
		}
		var quote byte
		if line[i] == '"' || line[i] == '\'' {
			quote = line[i]
			i++
		}
		var w []byte
		for i < len(line) {
			c := line[i]
			if quote != 0 && c == quote || quote == 0 && isSpace(c) {
				break
			}
			if c == '\\' && i+1 < len(line) && (line[i+1] == '\\' || quote != 0 && line[i+1] == quote) {
				i++
				c = line[i]
			}
			w = append(w, c)
			i++
		}
		if quote != 0 {
			if i == len(line) {
				return nil, fmt.Errorf("%q: unterminated quote", line)
			}
			i++
		}
		words = append(words, string(w))
	}
}

// ServedWritable returns the writable paths Apache serves: those an
// apache.static directory is, or is inside. The install scripts let
// Apache's group read them (and only them) of the app's data.
func (s *Spec) ServedWritable() []string {
	var out []string
	for _, w := range s.Writable {
		for _, dir := range s.Apache.Static {
			if dir == w || strings.HasPrefix(dir, w+"/") {
				out = append(out, w)
				break
			}
		}
	}
	return out
}
