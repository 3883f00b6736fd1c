package yum

import (
	"bytes"
	"encoding/xml"
	"io"
	"reflect"
	"testing"
)

// referencePackages reads doc's packages with encoding/xml, as the
// scanner should.
func referencePackages(t *testing.T, doc []byte) []*elem {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var out, stack []*elem
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			if len(stack) == 0 && (depth != 2 || tok.Name.Local != "package") {
				continue
			}
			e := &elem{name: tok.Name.Local}
			for _, a := range tok.Attr {
				if a.Name.Space != "xmlns" && a.Name.Local != "xmlns" {
					e.attrs = append(e.attrs, xml.Attr{Name: xml.Name{Local: a.Name.Local}, Value: a.Value})
				}
			}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.kids = append(top.kids, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			depth--
			if len(stack) > 0 {
				e := stack[len(stack)-1]
				if stack = stack[:len(stack)-1]; len(stack) == 0 {
					out = append(out, e)
				}
			}
		case xml.CharData:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.text = append(top.text, tok...)
			}
		}
	}
}

func scanned(doc []byte) ([]*elem, error) {
	var out []*elem
	err := eachPackage(doc, func(e *elem) error { out = append(out, e); return nil })
	return out, err
}

// tricky is XML as other writers may write the metadata: a DOCTYPE-free
// prolog with a comment, namespace prefixes, single quotes, spaces around
// =, references of every kind, CDATA, CRLF line ends, empty and
// self-closing elements, nested packages' lookalikes.
var tricky = "<?xml version='1.0' encoding='UTF-8'?>\r\n<!-- made by hand -->\n" +
	`<md:metadata xmlns:md="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="3">
<md:package type='rpm'>
  <md:name>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#xE9; ü</md:name>
  <md:description><![CDATA[raw <text> & more]]> and after` + "\r\nline two\rline three" + `</md:description>
  <md:format><rpm:entry name = "x&amp;y" flags='EQ' epoch="0"/><rpm:entry name="z"></rpm:entry></md:format>
  <?pi inside?><!-- a comment -->
  <md:empty></md:empty>
  <md:package>not a package: nested</md:package>
</md:package>
<package pkgid="2"/>
<package pkgid="3" ><file type="dir">/etc</file ></package>
</md:metadata>
`

// TestScanMatchesEncodingXML: the scanner reads what encoding/xml reads.
func TestScanMatchesEncodingXML(t *testing.T) {
	want := referencePackages(t, []byte(tricky))
	got, err := scanned([]byte(tricky))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 3 || !reflect.DeepEqual(got, want) {
		for i := range want {
			if i < len(got) {
				t.Errorf("package %d: got\n%+v\nwant\n%+v", i, *got[i], *want[i])
			}
		}
		t.Fatalf("%d packages, want %d", len(got), len(want))
	}
	if got, _ := scanned([]byte("<r><package a=\"x\ty\r\nz\"/></r>")); got[0].attr("a") != "x y z" {
		t.Errorf("attribute whitespace: %q", got[0].attr("a"))
	}
	for _, bad := range []string{
		"<!DOCTYPE r [<!ENTITY e 'x'>]><r><package>&e;</package></r>",
		"<r><package><a></b></package></r>",
		"<r><package>&unknown;</package></r>",
		"<r><package>&#xD800;</package></r>",
		"<r><package a=x/></r>",
		"<r><package a=\"x/></r>",
		"<r><package>",
		"<r><package></package>",
		"<r></r></r>",
		"<r><package>\xff</package></r>",
		"<r><!-- unterminated",
	} {
		if _, err := scanned([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
