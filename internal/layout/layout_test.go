package layout

import (
	"testing"

	"github.com/wsgipack/wsgipack/internal/version"
)

// TestReleaseDir: a release directory names the version and the revision,
// an epoch without ':' (it would split PATH and PYTHONPATH).
func TestReleaseDir(t *testing.T) {
	for _, tt := range []struct {
		v    version.Version
		rev  int
		want string
	}{
		{version.Version{Upstream: "1.4.2"}, 1, "1.4.2-1"},
		{version.Version{Upstream: "1.4.2~rc1"}, 3, "1.4.2~rc1-3"},
		{version.Version{Epoch: 2, Upstream: "1.0"}, 1, "2!1.0-1"},
	} {
		if got := ReleaseDir(tt.v, tt.rev); got != tt.want {
			t.Errorf("ReleaseDir(%+v, %d) = %q, want %q", tt.v, tt.rev, got, tt.want)
		}
	}
	a := For("inventory")
	if r := a.Release("1.4.2-1"); r.Venv != "/opt/inventory/releases/1.4.2-1/venv" || r.EntryScript != "/opt/inventory/releases/1.4.2-1/wsgi/inventory.wsgi" {
		t.Errorf("Release: %+v", r)
	}
	if s := a.Served(); s.Code != "/opt/inventory/current/app" {
		t.Errorf("Served: %+v", s)
	}
}
