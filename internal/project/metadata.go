package project

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Metadata is what the project's packaging files say about it, as written
// there (not yet made into spec values).
type Metadata struct {
	From        string // pyproject.toml or setup.cfg; empty when neither says anything
	Name        string
	Version     string
	Description string
	License     string
	Maintainer  string // "Name <email>"
	Homepage    string
	// VersionNote and LicenseNote say why Version or License is empty
	// although the file has one (a dynamic version, a license file).
	VersionNote, LicenseNote string
}

type person struct {
	Name  string `toml:"name"`
	Email string `toml:"email"`
}

type pyproject struct {
	Project struct {
		Name        string            `toml:"name"`
		Version     string            `toml:"version"`
		Description string            `toml:"description"`
		License     any               `toml:"license"`
		Authors     []person          `toml:"authors"`
		Maintainers []person          `toml:"maintainers"`
		URLs        map[string]string `toml:"urls"`
		Dynamic     []string          `toml:"dynamic"`
	} `toml:"project"`
	Tool struct {
		Setuptools struct {
			Dynamic struct {
				Version struct {
					Attr string `toml:"attr"`
				} `toml:"version"`
			} `toml:"dynamic"`
		} `toml:"setuptools"`
		Hatch struct {
			Version struct {
				Path string `toml:"path"`
			} `toml:"version"`
		} `toml:"hatch"`
		Poetry struct {
			Name        string   `toml:"name"`
			Version     string   `toml:"version"`
			Description string   `toml:"description"`
			License     string   `toml:"license"`
			Authors     []string `toml:"authors"`
			Maintainers []string `toml:"maintainers"`
			Homepage    string   `toml:"homepage"`
		} `toml:"poetry"`
	} `toml:"tool"`
}

// readMetadata reads pyproject.toml ([project], else [tool.poetry]),
// setup.cfg ([metadata]) and setup.py (setup()'s literal arguments) in
// dir; pyproject.toml's values win, then setup.cfg's.
func readMetadata(dir string) (Metadata, error) {
	var m Metadata
	if err := readSetupPy(filepath.Join(dir, "setup.py"), &m); err != nil {
		return m, err
	}
	if err := readSetupCfg(filepath.Join(dir, "setup.cfg"), dir, &m); err != nil {
		return m, err
	}
	if err := readPyproject(filepath.Join(dir, "pyproject.toml"), dir, &m); err != nil {
		return m, err
	}
	return m, nil
}

func readPyproject(file, dir string, m *Metadata) error {
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var p pyproject
	if _, err := toml.Decode(string(data), &p); err != nil {
		return fmt.Errorf("pyproject.toml: %w", err)
	}
	set := func(dst *string, v string) bool {
		v = strings.TrimSpace(v)
		if v == "" {
			return false
		}
		*dst = v
		m.From = "pyproject.toml"
		return true
	}
	pr, po := p.Project, p.Tool.Poetry
	if !set(&m.Name, pr.Name) {
		set(&m.Name, po.Name)
	}
	if !set(&m.Version, pr.Version) && !set(&m.Version, po.Version) && slices.Contains(pr.Dynamic, "version") {
		// A dynamic version that init can read from the code.
		tool := p.Tool
		if !set(&m.Version, attrVersionOf(dir, tool.Setuptools.Dynamic.Version.Attr)) && !set(&m.Version, fileVersionOf(dir, tool.Hatch.Version.Path)) {
			m.VersionNote = "pyproject.toml's version is dynamic: set it here, or pass --version to 'wsgipack build' (CI passes its tag)"
		}
	}
	if !set(&m.Description, pr.Description) {
		set(&m.Description, po.Description)
	}
	switch l := pr.License.(type) {
	case string:
		set(&m.License, l)
	case map[string]any:
		if text, ok := l["text"].(string); ok {
			set(&m.License, text)
		} else if f, ok := l["file"].(string); ok {
			m.LicenseNote = "pyproject.toml names the license file " + f + ": write its SPDX identifier (e.g. MIT) or Proprietary"
		}
	case nil:
		set(&m.License, po.License)
	}
	people := append(append([]person{}, pr.Maintainers...), pr.Authors...)
	for _, s := range append(append([]string{}, po.Maintainers...), po.Authors...) {
		name, email, _ := strings.Cut(s, "<")
		people = append(people, person{Name: strings.TrimSpace(name), Email: strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(email), ">"))})
	}
	for _, p := range people {
		if p.Name != "" && p.Email != "" {
			set(&m.Maintainer, p.Name+" <"+p.Email+">")
			break
		}
	}
	for _, k := range []string{"Homepage", "homepage", "Home", "home", "Documentation", "Repository", "repository", "Source"} {
		if set(&m.Homepage, pr.URLs[k]) {
			break
		}
	}
	if m.Homepage == "" {
		set(&m.Homepage, po.Homepage)
	}
	return nil
}

// attrVersionOf reads "attr: package.__version__" (setup.cfg) or
// {attr = "package.__version__"} (pyproject.toml): the literal in
// package/__init__.py or package.py, under dir or dir/src; "" when there
// is none.
func attrVersionOf(dir, attr string) string {
	if strings.TrimSpace(attr) == "" {
		return ""
	}
	mod := strings.TrimSuffix(strings.TrimSpace(attr), ".__version__")
	rel := filepath.Join(strings.Split(mod, ".")...)
	for _, root := range []string{dir, filepath.Join(dir, "src")} {
		for _, p := range []string{filepath.Join(root, rel, "__init__.py"), filepath.Join(root, rel+".py")} {
			if data, err := os.ReadFile(p); err == nil {
				if mm := attrVersion.FindSubmatch(data); mm != nil {
					return string(mm[1])
				}
			}
		}
	}
	return ""
}

// fileVersionOf reads __version__ = "..." from file (hatch's
// [tool.hatch.version] path), "" when it has none.
func fileVersionOf(dir, file string) string {
	if file == "" || !filepath.IsLocal(file) {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return ""
	}
	if mm := attrVersion.FindSubmatch(data); mm != nil {
		return string(mm[1])
	}
	return ""
}

var attrVersion = regexp.MustCompile(`(?m)^__version__\s*=\s*["']([^"']+)["']`)

// readSetupCfg reads [metadata] of setup.cfg: setuptools' INI dialect
// (key = value, continuation lines indented, # and ; comments).
func readSetupCfg(file, dir string, m *Metadata) error {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	meta := map[string]string{}
	section, key := "", ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, ";"):
			continue
		case strings.HasPrefix(trimmed, "[") && strings.HasSuffix(trimmed, "]"):
			section, key = strings.TrimSpace(trimmed[1:len(trimmed)-1]), ""
		case line[0] == ' ' || line[0] == '\t':
			if section == "metadata" && key != "" && meta[key] == "" {
				meta[key] = trimmed // the first line of a multi-line value
			}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				k, v, ok = strings.Cut(line, ":")
			}
			if !ok {
				continue
			}
			key = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k)), "-", "_")
			if section == "metadata" {
				meta[key] = strings.TrimSpace(v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(meta) == 0 {
		return nil
	}
	m.From = "setup.cfg"
	if meta["description"] == "" {
		meta["description"] = meta["summary"]
	}
	if meta["url"] == "" {
		meta["url"] = meta["home_page"]
	}
	// What setup.py said stays where setup.cfg says nothing.
	for dst, k := range map[*string]string{&m.Name: "name", &m.Description: "description", &m.License: "license", &m.Homepage: "url"} {
		if meta[k] != "" {
			*dst = meta[k]
		}
	}
	v := meta["version"]
	if attr, ok := strings.CutPrefix(v, "attr:"); ok {
		// attr: package.__version__ -> the literal in package/__init__.py or package.py
		v = attrVersionOf(dir, attr)
		if v == "" {
			m.VersionNote = "setup.cfg's version is " + meta["version"] + ", which init cannot read: set it here, or pass --version to 'wsgipack build'"
		}
	} else if strings.HasPrefix(v, "file:") {
		m.VersionNote = "setup.cfg's version comes from a file: set it here, or pass --version to 'wsgipack build'"
		v = ""
	}
	if meta["version"] != "" {
		m.Version = v
	}
	for _, who := range []string{"maintainer", "author"} {
		if n, e := meta[who], meta[who+"_email"]; n != "" && e != "" {
			m.Maintainer = n + " <" + e + ">"
			break
		}
	}
	return nil
}

// setupKeyword is a keyword argument of setup() given as a string literal.
var setupKeyword = regexp.MustCompile(`(?m)^\s*(name|version|description|license|author|author_email|maintainer|maintainer_email|url)\s*=\s*(?:"([^"\\\n]*)"|'([^'\\\n]*)')\s*,?\s*(?:#.*)?$`)

// readSetupPy reads the literal arguments of setup() in a setup.py (one
// per line, as projects write them): name="shop", version="1.2", ...;
// anything computed (version=__version__, a description read from a file)
// is left out. setup.py is not run.
func readSetupPy(file string, m *Metadata) error {
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	i := bytes.Index(data, []byte("setup("))
	if i < 0 {
		return nil
	}
	kw := map[string]string{}
	for _, mm := range setupKeyword.FindAllSubmatch(data[i:], -1) {
		if k := string(mm[1]); kw[k] == "" {
			kw[k] = strings.TrimSpace(string(mm[2]) + string(mm[3]))
		}
	}
	if len(kw) == 0 {
		return nil
	}
	m.From = "setup.py"
	m.Name, m.Version, m.Description, m.License, m.Homepage = kw["name"], kw["version"], kw["description"], kw["license"], kw["url"]
	if m.Version == "" {
		if mm := regexp.MustCompile(`(?m)^\s*version\s*=\s*([^"'\s].*?)\s*,?\s*$`).FindSubmatch(data[i:]); mm != nil {
			m.VersionNote = "setup.py's version is " + string(mm[1]) + ", which init does not run: set it here, or pass --version to 'wsgipack build'"
		}
	}
	for _, who := range []string{"maintainer", "author"} {
		if n, e := kw[who], kw[who+"_email"]; n != "" && e != "" {
			m.Maintainer = n + " <" + e + ">"
			break
		}
	}
	return nil
}
