package readahead

import (
	"errors"
	"fmt"
	"github.com/wsgipack/wsgipack/internal/inputfile"
	"io"
)

// File is one file to read: it must have Size bytes when read.
type File struct {
	Path string
	Size int64
}

const (
	chunkSize = 128 << 10
	chunks    = 64 // at most 8 MiB read ahead
)

type chunk struct {
	data []byte
	last bool // the file's last chunk
	err  error
}

// Reader hands out the files' contents in order.
type Reader struct {
	ch   chan chunk
	free chan []byte
	stop chan struct{}
	done chan struct{}
}

// New starts reading files.
func New(files []File) *Reader {
	r := &Reader{
		ch:   make(chan chunk, chunks),
		free: make(chan []byte, chunks+1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range chunks + 1 {
		r.free <- make([]byte, chunkSize)
	}
	go r.read(files)
	return r
}

func (r *Reader) read(files []File) {
	defer close(r.done)
	one := make([]byte, 1)
	for _, f := range files {
		if err := r.readFile(f, one); err != nil {
			select {
			case r.ch <- chunk{err: err, last: true}:
			case <-r.stop:
			}
			return
		}
	}
}

func (r *Reader) readFile(f File, one []byte) error {
	fd, err := inputfile.Open(f.Path)
	if err != nil {
		return err
	}
	defer fd.Close()
	left := f.Size
	for {
		var buf []byte
		select {
		case buf = <-r.free:
		case <-r.stop:
			return errors.New("stopped")
		}
		n := 0
		if left > 0 {
			n, err = io.ReadFull(fd, buf[:min(int64(len(buf)), left)])
			if err != nil {
				r.free <- buf
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					return changed(f)
				}
				return fmt.Errorf("%s: %w", f.Path, err)
			}
			left -= int64(n)
		}
		last := left == 0
		if last {
			if k, _ := fd.Read(one); k > 0 {
				r.free <- buf
				return changed(f)
			}
		}
		select {
		case r.ch <- chunk{data: buf[:n], last: last}:
		case <-r.stop:
			return errors.New("stopped")
		}
		if last {
			return nil
		}
	}
}

func changed(f File) error {
	return fmt.Errorf("%s changed during the build: it is no longer %d bytes", f.Path, f.Size)
}

// WriteNext writes the next file's contents to w.
func (r *Reader) WriteNext(w io.Writer) error {
	for {
		c, ok := <-r.ch
		if !ok {
			return errors.New("readahead: no more files")
		}
		if c.err != nil {
			return c.err
		}
		_, err := w.Write(c.data)
		r.free <- c.data[:cap(c.data)]
		if err != nil {
			return err
		}
		if c.last {
			return nil
		}
	}
}

// Close stops reading (when the consumer stops early) and waits for the
// reading goroutine.
func (r *Reader) Close() {
	close(r.stop)
	<-r.done
}
