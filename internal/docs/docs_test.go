package docs

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/golden"
	"github.com/wsgipack/wsgipack/internal/layout"
)

func TestCopyright(t *testing.T) {
	e, err := Copyright(App{Layout: layout.For("inventory"), Maintainer: "Ops Team <ops@example.com>", License: "MIT",
		Homepage: "https://example.com/inventory", Time: time.Date(2023, 11, 14, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if e.Path != "/usr/share/doc/inventory/copyright" || !e.Doc || e.Mode != 0o644 || e.Size != int64(len(e.Data)) {
		t.Errorf("entry: %+v", e)
	}
	golden.Check(t, filepath.Join("..", "..", "testdata", "golden", "copyright.golden"), e.Data)
}
