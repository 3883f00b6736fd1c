package spec

import (
	"regexp"
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
		case seen[k]:
			r.add(f, "%s is listed twice", k)
		case s.Environment[k] != "" || hasKey(s.Environment, k):
			r.add(f, "%s also has a value under environment: a secret's value is generated on the server; remove it from environment", k)
		}
		seen[k] = true
	}
}

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

// checkDirectives validates apache.directives: allowed directives, sections
// that open and close in the list.
func checkDirectives(r *reporter, directives []string) {
	var open []string
	for i, d := range directives {
		f := index("apache.directives", i)
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
		if !strings.HasPrefix(name, "<") {
			continue
		}
		if strings.HasPrefix(m[1], "</") {
			if len(open) == 0 || open[len(open)-1] != name {
				r.add(f, "%s closes a section that is not open", m[1])
				continue
			}
			open = open[:len(open)-1]
		} else {
			open = append(open, name)
		}
	}
	if len(open) > 0 {
		last := strings.TrimPrefix(open[len(open)-1], "<")
		r.add("apache.directives", "<%s> is not closed: add </%s>", last, last)
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
