package apt

import (
	"fmt"
	"github.com/wsgipack/wsgipack/internal/publish/publishtest"
	"github.com/wsgipack/wsgipack/internal/publish/store"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

// TestPrune: --keep 2 on five versions (an epoch, a ~rc) keeps the two
// newest by dpkg's order, per name and architecture; protected packages
// stay on top of those; the pool paths returned are those gone from the
// Packages files.
func TestPrune(t *testing.T) {
	versions := []string{"1.0-1+deb12", "1:0.9-1+deb12", "1.1~rc1-1+deb12", "1.1-1+deb12", "1.0-2+deb12"}
	dir := t.TempDir()
	st := publishtest.Mem{}
	ix, err := Open(st, "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"amd64", "all"} {
		for _, v := range versions {
			file := filepath.Join(dir, "p.deb")
			tinyDeb(t, file, tinyControl("inventory", v, arch))
			p, err := ReadDeb(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ix.Add(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	other, _ := ReadDeb(func() string {
		f := filepath.Join(dir, "o.deb")
		tinyDeb(t, f, tinyControl("other", "1.0-1+deb12", "all"))
		return f
	}())
	ix.Add(other)

	// The two newest by dpkg --compare-versions.
	testtool.Need(t, "dpkg")
	sorted := slices.Clone(versions)
	slices.SortFunc(sorted, func(a, b string) int {
		if err := exec.Command("dpkg", "--compare-versions", a, "lt", b).Run(); err == nil {
			return 1
		}
		return -1
	})
	want := sorted[:2]
	if !slices.Equal(want, []string{"1:0.9-1+deb12", "1.1-1+deb12"}) {
		t.Fatalf("dpkg's two newest: %v", want)
	}

	removed := ix.Prune(2, func(p Package) bool { return p.Version() == "1.0-1+deb12" && p.Arch() == "all" })
	var wantRemoved []string
	for _, v := range sorted[2:] {
		for _, arch := range []string{"amd64", "all"} {
			if v == "1.0-1+deb12" && arch == "all" {
				continue
			}
			wantRemoved = append(wantRemoved, "pool/main/i/inventory/inventory_"+strings.TrimPrefix(v, "1:")+"_"+arch+".deb")
		}
	}
	slices.Sort(wantRemoved)
	if !slices.Equal(removed, wantRemoved) {
		t.Errorf("Prune removed\n%v\nwant\n%v", removed, wantRemoved)
	}
	files, err := ix.Files(testRelease)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, st, files)
	left := map[string][]string{}
	paras, err := parseParagraphs(st["dists/bookworm/main/binary-amd64/Packages"], "Packages")
	if err != nil {
		t.Fatal(err)
	}
	for _, fields := range paras { // in the file's order: by name, version, architecture
		q := Package{Fields: fields}
		left[q.Name()+" "+q.Arch()] = append(left[q.Name()+" "+q.Arch()], q.Version())
		if slices.Contains(removed, q.Filename()) {
			t.Errorf("%s is still in Packages", q.Filename())
		}
	}
	for k, want := range map[string][]string{
		"inventory amd64": {"1.1-1+deb12", "1:0.9-1+deb12"},
		"inventory all":   {"1.0-1+deb12", "1.1-1+deb12", "1:0.9-1+deb12"},
		"other all":       {"1.0-1+deb12"},
	} {
		if !slices.Equal(left[k], want) {
			t.Errorf("%s: left %v, want %v", k, left[k], want)
		}
	}
	if got := ix.Prune(0, nil); got != nil {
		t.Errorf("Prune(0) removed %v", got)
	}
}

// bigIndex is a bookworm repository of 2,000 generated packages in memory,
// and a new package (on disk) to add to it.
type bigIndex struct {
	root  string // the pool on disk
	store publishtest.Mem
	deb   string
}

var (
	bigOnce sync.Once
	big     bigIndex
)

// twoThousand makes the repository once per test binary.
func twoThousand(tb testing.TB) bigIndex {
	tb.Helper()
	bigOnce.Do(func() {
		root, err := os.MkdirTemp("", "apt-2000-")
		if err != nil {
			tb.Fatal(err)
		}
		start := time.Now()
		ps := tinyPool(tb, root, 2000)
		st := publishtest.Mem{}
		ix, err := Open(st, "bookworm")
		if err != nil {
			tb.Fatal(err)
		}
		for _, p := range ps {
			if _, err := ix.Add(p); err != nil {
				tb.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(root, p.Filename()))
			if err != nil {
				tb.Fatal(err)
			}
			st.WriteFile(p.Filename(), data) // the pool is in the store too: reading it would be counted
		}
		files, err := ix.Files(testRelease)
		if err != nil {
			tb.Fatal(err)
		}
		writeFiles(tb, st, files)
		deb := filepath.Join(root, "new.deb")
		tinyDeb(tb, deb, tinyControl("newapp", "2.0-1+deb12", "amd64"))
		big = bigIndex{root: root, store: st, deb: deb}
		tb.Logf("2,000-package pool made in %v", time.Since(start).Round(time.Millisecond))
	})
	if big.store == nil {
		tb.Fatal("making the 2,000-package repository failed")
	}
	return big
}

func TestMain(m *testing.M) {
	code := m.Run()
	if big.root != "" {
		os.RemoveAll(big.root)
	}
	os.Exit(code)
}

// addOne is one incremental publish: open, read the new .deb, add, files.
func addOne(tb testing.TB, st store.Files, deb string) []File {
	ix, err := Open(st, "bookworm")
	if err != nil {
		tb.Fatal(err)
	}
	p, err := ReadDeb(deb)
	if err != nil {
		tb.Fatal(err)
	}
	if added, err := ix.Add(p); !added || err != nil {
		tb.Fatalf("Add: %v %v", added, err)
	}
	files, err := ix.Files(testRelease)
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// TestIncremental: adding one package to an index of 2,000 reads the
// Release and one Packages file per architecture, by hash, and nothing of
// the pool.
func TestIncremental(t *testing.T) {
	b := twoThousand(t)
	cs := &publishtest.Counting{Files: b.store}
	files := addOne(t, cs, b.deb)
	var want []string
	want = append(want, "dists/bookworm/Release")
	rel := string(b.store["dists/bookworm/Release"])
	for _, line := range strings.Split(rel, "\n") {
		if f := strings.Fields(line); len(f) == 3 && strings.HasSuffix(f[2], "/Packages") {
			want = append(want, "dists/bookworm/"+filepath.Dir(f[2])+"/by-hash/SHA256/"+f[0])
		}
	}
	if !slices.Equal(cs.Reads, want) {
		t.Errorf("reads %v, want %v", cs.Reads, want)
	}
	for _, name := range cs.Reads {
		if strings.HasPrefix(name, "pool/") {
			t.Errorf("read the pool: %s", name)
		}
	}
	for _, f := range files {
		if f.Name == "dists/bookworm/main/binary-amd64/Packages" {
			if n := strings.Count(string(f.Data), "\nFilename: "); n != 2001 {
				t.Errorf("%d packages after adding one to 2,000", n)
			}
		}
	}
}

// BenchmarkAddOneTo2000 is an incremental publish into an index of 2,000
// packages: Open (Release and Packages files), ReadDeb of the new package,
// Add, and Files (Packages, .gz, by-hash copies, Release).
func BenchmarkAddOneTo2000(b *testing.B) {
	big := twoThousand(b)
	for b.Loop() {
		addOne(b, big.store, big.deb)
	}
}

// BenchmarkAddOneToEmpty is the same publish into an empty index: what
// BenchmarkAddOneTo2000 is compared with.
func BenchmarkAddOneToEmpty(b *testing.B) {
	big := twoThousand(b)
	for b.Loop() {
		addOne(b, publishtest.Mem{}, big.deb)
	}
}

// BenchmarkDpkgScanpackages2000 and BenchmarkAptFtparchive2000 index the
// same 2,000-file pool with dpkg-scanpackages -m and apt-ftparchive
// packages (no cache database), for comparison.
func BenchmarkDpkgScanpackages2000(b *testing.B) {
	benchTool(b, "dpkg-scanpackages", "-m", "pool")
}

func BenchmarkAptFtparchive2000(b *testing.B) {
	benchTool(b, "apt-ftparchive", "packages", "pool")
}

func benchTool(b *testing.B, tool string, args ...string) {
	testtool.Need(b, tool)
	big := twoThousand(b)
	for b.Loop() {
		cmd := exec.Command(tool, args...)
		cmd.Dir = big.root
		out, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		if n := strings.Count(string(out), "\nFilename: "); n != 2000 {
			b.Fatal(fmt.Sprintf("%s wrote %d stanzas", tool, n))
		}
	}
}
