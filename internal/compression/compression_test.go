package compression

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func input() []byte {
	var b bytes.Buffer
	for i := range 300000 {
		b.WriteString("line ")
		b.WriteByte(byte('a' + i%26))
		b.WriteByte('\n')
	}
	return b.Bytes() // 2.1 MB: several async buffers
}

func compress(t *testing.T, setting string, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := New(setting, &out)
	if err != nil {
		t.Fatal(err)
	}
	for len(data) > 0 { // odd-sized writes
		n := min(len(data), 77777)
		if _, err := w.Write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestRoundTripAndReproducible(t *testing.T) {
	data := input()
	for _, s := range []string{"zstd", "zstd:fastest", "zstd:3", "zstd:19", "gzip", "gzip:9"} {
		t.Run(s, func(t *testing.T) {
			a, b := compress(t, s, data), compress(t, s, data)
			if !bytes.Equal(a, b) {
				t.Error("two compressions differ")
			}
			var r io.Reader
			if Algorithm(s) == "zstd" {
				d, err := zstd.NewReader(bytes.NewReader(a))
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				r = d
			} else {
				g, err := gzip.NewReader(bytes.NewReader(a))
				if err != nil {
					t.Fatal(err)
				}
				r = g
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("round trip: %d bytes, %v", len(got), err)
			}
		})
	}
	if empty := compress(t, "zstd", nil); len(empty) == 0 {
		t.Error("no zstd frame for empty input")
	}
}

// TestZstdWorkers: libzstd's multi-threaded mode writes the same single
// frame whatever the number of threads, so packages do not depend on the
// machine.
func TestZstdWorkers(t *testing.T) {
	var data []byte
	for x := uint64(1); len(data) < 16<<20; { // several 2 MB jobs
		x = x*6364136223846793005 + 1442695040888963407
		data = fmt.Appendf(data, "%016x %d\n", x, x%1000)
	}
	var first []byte
	for _, n := range []int{1, 2, 4} {
		var out bytes.Buffer
		w, err := newZstd(&out, 1, n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = out.Bytes()
		} else if !bytes.Equal(out.Bytes(), first) {
			t.Errorf("%d workers write other bytes than 1", n)
		}
	}
	d, err := zstd.NewReader(bytes.NewReader(first), zstd.WithDecoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got, err := io.ReadAll(d); err != nil || !bytes.Equal(got, data) {
		t.Errorf("round trip: %d bytes, %v", len(got), err)
	}
}

func TestBadSettings(t *testing.T) {
	for _, s := range []string{"", "xz", "zstd:nope", "zstd:0", "zstd:20", "gzip:12", "gzip:x"} {
		if _, err := New(s, io.Discard); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorReported(t *testing.T) {
	w, err := New("zstd", failWriter{})
	if err != nil {
		t.Fatal(err)
	}
	_, werr := w.Write(input())
	cerr := w.Close()
	if werr == nil && cerr == nil {
		t.Error("write error lost")
	}
}
