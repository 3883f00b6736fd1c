package inspect

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// TextOptions choose the sections of the text output.
type TextOptions struct {
	NoScripts bool // leave out the [scripts] section
	NoFiles   bool // leave out the [files] section
}

// WriteText writes p as text, the same layout for both formats: the
// sections [metadata], [depends], [config files], [scripts] and [files],
// each line greppable on its own:
//
//	[metadata]           Key: value lines, the same keys for deb and rpm, then the format's own
//	                     (an rpm's Signature: algorithm, key ID and time, or (none))
//	[depends]            Kind: relation, one per line (Depends: apache2, Requires: httpd)
//	[config files]       one path per line
//	[scripts]            "name: interpreter X, N lines", then the script indented by 4 spaces
//	[files]              mode owner/group size path [-> link] [mark], as ls -l and dpkg-deb -c show them
//
// An empty section says (none).
func WriteText(w io.Writer, p *Package, o TextOptions) error {
	bw := bufio.NewWriter(w)
	field := func(name, value string) {
		if value == "" {
			return
		}
		first, rest, _ := strings.Cut(value, "\n")
		fmt.Fprintf(bw, "%s: %s\n", name, first)
		if rest != "" {
			continuation(bw, rest)
		}
	}
	fmt.Fprintln(bw, "[metadata]")
	field("Format", p.Format)
	field("Package", p.Name)
	field("Version", p.Version)
	field("Architecture", p.Arch)
	field("Summary", p.Summary)
	field("Maintainer", p.Maintainer)
	field("Homepage", p.Homepage)
	field("License", p.License)
	if p.InstalledKiB > 0 {
		field("Installed-Size", strconv.FormatInt(p.InstalledKiB, 10)+" KiB")
	}
	for _, f := range p.Extra {
		field(f.Name, f.Value)
	}
	switch {
	case p.Signature != nil:
		v := p.Signature.Algorithm + ", key ID " + p.Signature.KeyID
		if t, err := time.Parse(time.RFC3339, p.Signature.Time); err == nil {
			v += ", " + t.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		field("Signature", v)
	case p.Format == "rpm":
		field("Signature", "(none)")
	}
	if p.Description != "" {
		fmt.Fprintln(bw, "Description:")
		continuation(bw, p.Description)
	}

	fmt.Fprintln(bw, "\n[depends]")
	for _, r := range p.Relations {
		line := r.Kind + ": " + r.Value
		if len(r.Qualifiers) > 0 {
			line += " [" + strings.Join(r.Qualifiers, ",") + "]"
		}
		fmt.Fprintln(bw, line)
	}
	if len(p.Relations) == 0 {
		fmt.Fprintln(bw, "(none)")
	}

	fmt.Fprintln(bw, "\n[config files]")
	for _, c := range p.ConfigFiles {
		fmt.Fprintln(bw, c)
	}
	if len(p.ConfigFiles) == 0 {
		fmt.Fprintln(bw, "(none)")
	}

	if !o.NoScripts {
		fmt.Fprintln(bw, "\n[scripts]")
		for _, s := range p.Scripts {
			lines := strings.Split(strings.TrimSuffix(s.Text, "\n"), "\n")
			interp := "interpreter " + s.Interpreter
			if s.Interpreter == "" {
				interp = "no interpreter"
			}
			fmt.Fprintf(bw, "%s: %s, %d lines\n", s.Name, interp, len(lines))
			for _, l := range lines {
				if l == "" {
					fmt.Fprintln(bw)
					continue
				}
				fmt.Fprintf(bw, "    %s\n", l)
			}
		}
		if len(p.Scripts) == 0 {
			fmt.Fprintln(bw, "(none)")
		}
	}

	if !o.NoFiles {
		fmt.Fprintln(bw, "\n[files]")
		ownerW, sizeW := 0, 0
		for _, f := range p.Files {
			ownerW = max(ownerW, len(f.Owner)+1+len(f.Group))
			sizeW = max(sizeW, len(strconv.FormatInt(f.Size, 10)))
		}
		for _, f := range p.Files {
			line := fmt.Sprintf("%s %-*s %*d %s", f.Mode, ownerW, f.Owner+"/"+f.Group, sizeW, f.Size, f.Path)
			switch {
			case strings.HasPrefix(f.Mode, "h"):
				line += " link to " + f.Link
			case f.Link != "":
				line += " -> " + f.Link
			}
			if f.Config != "" {
				line += "  " + f.Config
			}
			fmt.Fprintln(bw, line)
		}
		if len(p.Files) == 0 {
			fmt.Fprintln(bw, "(none)")
		}
	}
	return bw.Flush()
}

// continuation writes a multi-line value as a control file does: each line
// after one space, an empty line as " .".
func continuation(w io.Writer, text string) {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == "" {
			l = "."
		}
		fmt.Fprintf(w, " %s\n", l)
	}
}
