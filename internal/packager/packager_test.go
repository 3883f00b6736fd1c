package packager_test

import (
	"strings"
	"testing"

	_ "github.com/wsgipack/wsgipack/internal/deb"
	"github.com/wsgipack/wsgipack/internal/distro"
	"github.com/wsgipack/wsgipack/internal/packager"
	_ "github.com/wsgipack/wsgipack/internal/rpm"
)

// TestEveryReleaseHasItsFormat: each release's format is registered, and
// an unknown format is an error, not a silent fallback.
func TestEveryReleaseHasItsFormat(t *testing.T) {
	for _, name := range distro.Names() {
		rel, _ := distro.Lookup(name)
		if _, err := packager.Get(rel.Format); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := packager.Get("apk"); err == nil || !strings.Contains(err.Error(), `unknown package format "apk" (known: deb, rpm)`) {
		t.Errorf("Get(apk) = %v", err)
	}
}
