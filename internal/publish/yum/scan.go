package yum

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// eachPackage calls f with every <package> element below the root of the
// XML document doc. It reads XML as the metadata writers (createrepo_c's
// libxml2, this package) write it: elements, attributes, text with entity
// and character references, CDATA sections, comments and processing
// instructions; a DOCTYPE is refused. Element and attribute names lose
// their namespace prefix. It is several times faster than encoding/xml,
// which made reading the metadata back most of the time of adding a
// package.
func eachPackage(doc []byte, f func(*elem) error) error {
	var stack []*elem
	depth := 0 // elements open, the root and those above a package included
	i := 0
	for i < len(doc) {
		if doc[i] != '<' {
			j := bytes.IndexByte(doc[i:], '<')
			if j < 0 {
				j = len(doc) - i
			}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				var err error
				if top.text, err = unescape(top.text, doc[i:i+j], false); err != nil {
					return err
				}
			}
			i += j
			continue
		}
		rest := doc[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			n, err := skipTo(rest, "?>")
			if err != nil {
				return err
			}
			i += n
		case bytes.HasPrefix(rest, []byte("<!--")):
			n, err := skipTo(rest, "-->")
			if err != nil {
				return err
			}
			i += n
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			n, err := skipTo(rest, "]]>")
			if err != nil {
				return err
			}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.text = append(top.text, normalizeNewlines(rest[len("<![CDATA["):n-len("]]>")])...)
			}
			i += n
		case bytes.HasPrefix(rest, []byte("<!")):
			return fmt.Errorf("offset %d: DOCTYPE and other declarations are not read", i)
		case bytes.HasPrefix(rest, []byte("</")):
			j := bytes.IndexByte(rest, '>')
			if j < 0 {
				return fmt.Errorf("offset %d: unterminated end tag", i)
			}
			name := localName(bytes.TrimRight(rest[2:j], " \t\r\n"))
			i += j + 1
			depth--
			if depth < 0 {
				return fmt.Errorf("offset %d: </%s> closes nothing", i, name)
			}
			if len(stack) == 0 {
				continue
			}
			e := stack[len(stack)-1]
			if e.name != name {
				return fmt.Errorf("offset %d: <%s> ends with </%s>", i, e.name, name)
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				if err := f(e); err != nil {
					return err
				}
			}
		default:
			e, n, closed, err := startTag(rest)
			if err != nil {
				return fmt.Errorf("offset %d: %v", i, err)
			}
			i += n
			inPackage := len(stack) > 0 || depth == 1 && e.name == "package"
			if !closed {
				depth++
			}
			if !inPackage {
				continue
			}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.kids = append(top.kids, e)
			}
			if closed {
				if len(stack) == 0 {
					if err := f(e); err != nil {
						return err
					}
				}
				continue
			}
			stack = append(stack, e)
		}
	}
	if depth != 0 || len(stack) != 0 {
		return fmt.Errorf("unexpected end of the document")
	}
	return nil
}

// startTag reads the start tag at the beginning of b: the element, the
// tag's length, and whether it closes itself (<x/>).
func startTag(b []byte) (e *elem, n int, closed bool, err error) {
	i := 1
	start := i
	for i < len(b) && !isSpace(b[i]) && b[i] != '>' && b[i] != '/' {
		i++
	}
	if i == start {
		return nil, 0, false, fmt.Errorf("a tag without a name")
	}
	e = &elem{name: localName(b[start:i])}
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return nil, 0, false, fmt.Errorf("unterminated tag <%s", e.name)
		}
		switch b[i] {
		case '>':
			return e, i + 1, false, nil
		case '/':
			if i+1 < len(b) && b[i+1] == '>' {
				return e, i + 2, true, nil
			}
			return nil, 0, false, fmt.Errorf("stray / in <%s>", e.name)
		}
		start = i
		for i < len(b) && !isSpace(b[i]) && b[i] != '=' && b[i] != '>' && b[i] != '/' {
			i++
		}
		name := b[start:i]
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if len(name) == 0 || i+1 >= len(b) || b[i] != '=' {
			return nil, 0, false, fmt.Errorf("attribute without a value in <%s>", e.name)
		}
		i++
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) || b[i] != '"' && b[i] != '\'' {
			return nil, 0, false, fmt.Errorf("unquoted attribute %s in <%s>", name, e.name)
		}
		q := b[i]
		end := bytes.IndexByte(b[i+1:], q)
		if end < 0 {
			return nil, 0, false, fmt.Errorf("unterminated attribute %s in <%s>", name, e.name)
		}
		v, err := unescape(nil, b[i+1:i+1+end], true)
		if err != nil {
			return nil, 0, false, err
		}
		e.attrs = append(e.attrs, xml.Attr{Name: xml.Name{Local: localName(name)}, Value: string(v)})
		i += end + 2
	}
}

// unescape appends s to dst with references replaced and line ends
// normalized; in attribute values tabs and line ends become spaces, as
// XML has it.
func unescape(dst, s []byte, inAttr bool) ([]byte, error) {
	if !utf8.Valid(s) {
		return nil, fmt.Errorf("text that is not UTF-8")
	}
	if bytes.IndexByte(s, '&') < 0 && bytes.IndexByte(s, '\r') < 0 && (!inAttr || bytes.IndexAny(s, "\t\n") < 0) {
		return append(dst, s...), nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			c = '\n'
		case c == '&':
			j := bytes.IndexByte(s[i:], ';')
			if j < 0 {
				return nil, fmt.Errorf("unterminated reference in %q", s)
			}
			ref := string(s[i+1 : i+j])
			i += j
			switch ref {
			case "amp":
				dst = append(dst, '&')
			case "lt":
				dst = append(dst, '<')
			case "gt":
				dst = append(dst, '>')
			case "quot":
				dst = append(dst, '"')
			case "apos":
				dst = append(dst, '\'')
			default:
				var n uint64
				var err error
				switch {
				case len(ref) > 2 && (ref[:2] == "#x" || ref[:2] == "#X"):
					n, err = strconv.ParseUint(ref[2:], 16, 32)
				case len(ref) > 1 && ref[0] == '#':
					n, err = strconv.ParseUint(ref[1:], 10, 32)
				default:
					return nil, fmt.Errorf("unknown entity &%s;", ref)
				}
				if err != nil || !utf8.ValidRune(rune(n)) {
					return nil, fmt.Errorf("bad character reference &%s;", ref)
				}
				dst = utf8.AppendRune(dst, rune(n))
			}
			continue
		}
		if inAttr && (c == '\n' || c == '\t') {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst, nil
}

func normalizeNewlines(s []byte) []byte {
	if bytes.IndexByte(s, '\r') < 0 {
		return s
	}
	s = bytes.ReplaceAll(s, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(s, []byte("\r"), []byte("\n"))
}

func skipTo(b []byte, end string) (int, error) {
	j := bytes.Index(b, []byte(end))
	if j < 0 {
		return 0, fmt.Errorf("unterminated %s", b[:min(len(b), 9)])
	}
	return j + len(end), nil
}

func localName(b []byte) string {
	if j := bytes.LastIndexByte(b, ':'); j >= 0 {
		b = b[j+1:]
	}
	return string(b)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
