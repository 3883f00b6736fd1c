package yum

import (
	"fmt"
	"github.com/wsgipack/wsgipack/internal/publish/store"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wsgipack/wsgipack/internal/testtool"
)

// benchRepo is a repository of 2,000 tiny rpms of wsgipack's writer, made
// once: ours in a store.Dir, createrepo_c's beside it, and the rpm to add.
var benchRepo struct {
	once            sync.Once
	err             error
	dir, newRPM     string
	ours            store.Dir
	repomd          []byte // ours before the add
	createrepoDir   string // createrepo_c's repository directory
	createrepoSaved string // a copy of its repodata before the add
}

func setupBench(b *testing.B) {
	b.Helper()
	testtool.Need(b, "createrepo_c")
	br := &benchRepo
	br.once.Do(func() { br.err = makeBenchRepo(b) })
	if br.err != nil {
		b.Fatal(br.err)
	}
}

func makeBenchRepo(b *testing.B) error {
	br := &benchRepo
	var err error
	if br.dir, err = os.MkdirTemp("", "wsgipack-yum-bench-"); err != nil {
		return err
	}
	rpmDir := filepath.Join(br.dir, "rpms")
	if err := os.MkdirAll(rpmDir, 0o755); err != nil {
		return err
	}
	files := make([]string, 2000)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(files); i += 2 {
				f, err := writeWsgipackRPM(rpmDir, fmt.Sprintf("app%04d", i), "1.0.0", false)
				if err != nil {
					errs[w] = err
					return
				}
				files[i] = f
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if br.newRPM, err = writeWsgipackRPM(rpmDir, "app0000", "1.0.1", false); err != nil {
		return err
	}
	br.ours = store.Dir(filepath.Join(br.dir, "ours"))
	publish(b, br.ours, "el9/x86_64", time.Unix(1700000000, 0), files...)
	if br.repomd, err = br.ours.ReadFile("el9/x86_64/repodata/repomd.xml"); err != nil {
		return err
	}
	br.createrepoDir = filepath.Join(br.dir, "cr", "el9", "x86_64")
	createrepo(b, br.createrepoDir, files...)
	br.createrepoSaved = filepath.Join(br.dir, "cr-repodata")
	return exec.Command("cp", "-a", filepath.Join(br.createrepoDir, "repodata"), br.createrepoSaved).Run()
}

// BenchmarkAddOneTo2000 adds one rpm to a repository of 2,000 as the
// publish command will: Open, ReadRPM of the new file, Add, copy the rpm
// into the store, Files, write them. Then, taking turns three times (the
// machine may be shared), it times that once more and createrepo_c
// --update (no sqlite, gzip) adding the same rpm to the same 2,000, and
// reports the best of each and their ratio (x-createrepo_c: below 1 is
// faster).
func BenchmarkAddOneTo2000(b *testing.B) {
	setupBench(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		addOne(b)
	}
	b.StopTimer()

	br := &benchRepo
	var ours, theirs time.Duration
	link := filepath.Join(br.createrepoDir, "packages", filepath.Base(br.newRPM))
	for range 3 {
		start := time.Now()
		addOne(b)
		if d := time.Since(start); ours == 0 || d < ours {
			ours = d
		}
		for _, cmd := range [][]string{{"rm", "-rf", filepath.Join(br.createrepoDir, "repodata"), link},
			{"cp", "-a", br.createrepoSaved, filepath.Join(br.createrepoDir, "repodata")}, {"ln", br.newRPM, link}} {
			testtool.Run(b, cmd[0], cmd[1:]...)
		}
		start = time.Now()
		testtool.Run(b, "createrepo_c", "--quiet", "--update", "--no-database", "--general-compress-type", "gz", br.createrepoDir)
		if d := time.Since(start); theirs == 0 || d < theirs {
			theirs = d
		}
	}
	b.ReportMetric(float64(ours.Microseconds())/1000, "best-ms")
	b.ReportMetric(float64(theirs.Microseconds())/1000, "createrepo_c-ms")
	b.ReportMetric(float64(ours)/float64(theirs), "x-createrepo_c")
}

// addOne adds the new rpm to our 2,000 (the repository is first put back
// as it was, outside the timer).
func addOne(b *testing.B) {
	br := &benchRepo
	b.StopTimer()
	if err := br.ours.WriteFile("el9/x86_64/repodata/repomd.xml", br.repomd); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	r, err := Open(br.ours, "el9/x86_64")
	if err != nil {
		b.Fatal(err)
	}
	p, err := ReadRPM(br.newRPM)
	if err != nil {
		b.Fatal(err)
	}
	if added, err := r.Add(p); !added || err != nil {
		b.Fatal(added, err)
	}
	data, err := os.ReadFile(br.newRPM)
	if err != nil {
		b.Fatal(err)
	}
	if err := br.ours.WriteFile("el9/x86_64/"+p.Location, data); err != nil {
		b.Fatal(err)
	}
	writeFiles(b, r, br.ours, time.Now())
}
