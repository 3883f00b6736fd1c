package compression

import (
	"bytes"
	"errors"
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
	for _, s := range []string{"zstd", "zstd:fastest", "zstd:3", "zstd:default", "gzip", "gzip:9"} {
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

func TestBadSettings(t *testing.T) {
	for _, s := range []string{"", "xz", "zstd:nope", "gzip:12", "gzip:x"} {
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
