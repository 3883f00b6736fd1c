package readahead

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func files(t *testing.T, sizes ...int) ([]File, [][]byte) {
	t.Helper()
	dir := t.TempDir()
	var fs []File
	var data [][]byte
	for i, n := range sizes {
		b := bytes.Repeat([]byte{byte('a' + i)}, n)
		p := filepath.Join(dir, string(rune('a'+i)))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		fs = append(fs, File{Path: p, Size: int64(n)})
		data = append(data, b)
	}
	return fs, data
}

func TestInOrder(t *testing.T) {
	// empty, exactly one chunk, several chunks, more files than chunks
	sizes := []int{0, chunkSize, 3*chunkSize + 7, 1}
	for range 2 * chunks {
		sizes = append(sizes, 100)
	}
	fs, data := files(t, sizes...)
	r := New(fs)
	defer r.Close()
	for i := range fs {
		var b bytes.Buffer
		if err := r.WriteNext(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), data[i]) {
			t.Fatalf("file %d: %d bytes, want %d", i, b.Len(), len(data[i]))
		}
	}
}

func TestChangedSize(t *testing.T) {
	for _, delta := range []int64{-1, 1} {
		fs, _ := files(t, 10, 20)
		fs[1].Size += delta
		r := New(fs)
		var b bytes.Buffer
		if err := r.WriteNext(&b); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteNext(&b); err == nil || !strings.Contains(err.Error(), "changed during the build") {
			t.Errorf("delta %d: err = %v", delta, err)
		}
		r.Close()
	}
}

func TestCloseEarly(t *testing.T) {
	sizes := make([]int, 3*chunks)
	for i := range sizes {
		sizes[i] = 1000
	}
	fs, _ := files(t, sizes...)
	r := New(fs)
	r.Close() // must not hang with the reader blocked on a full queue
}
