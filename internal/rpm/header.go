package rpm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
)

// Header data types.
const (
	typeInt16       = 3
	typeInt32       = 4
	typeString      = 6
	typeBin         = 7
	typeStringArray = 8
	typeI18NString  = 9
)

// Region tags: the first index entry of the signature and of the header.
const (
	regionSignatures = 62
	regionImmutable  = 63
)

// entry is one tag's value, already encoded (big-endian; strings NUL-terminated).
type entry struct {
	tag, typ, count int
	data            []byte
}

// header is a set of tags, written sorted by tag.
type header struct{ entries map[int]entry }

func newHeader() *header { return &header{entries: map[int]entry{}} }

func (h *header) put(tag, typ, count int, data []byte) {
	h.entries[tag] = entry{tag, typ, count, data}
}

func (h *header) str(tag int, s string) {
	h.put(tag, typeString, 1, append([]byte(s), 0))
}

func (h *header) i18n(tag int, s string) {
	h.put(tag, typeI18NString, 1, append([]byte(s), 0))
}

func (h *header) strs(tag int, ss []string) {
	var b bytes.Buffer
	for _, s := range ss {
		b.WriteString(s)
		b.WriteByte(0)
	}
	h.put(tag, typeStringArray, len(ss), b.Bytes())
}

func (h *header) int32s(tag int, v ...uint32) {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.BigEndian.PutUint32(b[4*i:], x)
	}
	h.put(tag, typeInt32, len(v), b)
}

func (h *header) int16s(tag int, v ...uint16) {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.BigEndian.PutUint16(b[2*i:], x)
	}
	h.put(tag, typeInt16, len(v), b)
}

func (h *header) bin(tag int, b []byte) { h.put(tag, typeBin, len(b), b) }

// align is the alignment of each data type in the data store.
var align = map[int]int{typeInt16: 2, typeInt32: 4}

// bytes encodes the header structure: magic, index entries (the region
// entry first), then the data store, which ends with the region trailer,
// an index entry whose negative offset spans the whole index.
func (h *header) bytes(region int) []byte {
	tags := make([]int, 0, len(h.entries))
	for t := range h.entries {
		tags = append(tags, t)
	}
	sort.Ints(tags)
	n := len(tags) + 1 // with the region entry
	var store bytes.Buffer
	offsets := make([]int, len(tags))
	for i, t := range tags {
		e := h.entries[t]
		if a := align[e.typ]; a > 0 {
			for store.Len()%a != 0 {
				store.WriteByte(0)
			}
		}
		offsets[i] = store.Len()
		store.Write(e.data)
	}
	trailerAt := store.Len()
	writeIndex(&store, region, typeBin, -16*n, 16)

	var out bytes.Buffer
	out.Write([]byte{0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0})
	binary.Write(&out, binary.BigEndian, [2]int32{int32(n), int32(store.Len())})
	writeIndex(&out, region, typeBin, trailerAt, 16)
	for i, t := range tags {
		e := h.entries[t]
		writeIndex(&out, t, e.typ, offsets[i], e.count)
	}
	out.Write(store.Bytes())
	return out.Bytes()
}

func writeIndex(b *bytes.Buffer, tag, typ, offset, count int) {
	binary.Write(b, binary.BigEndian, [4]int32{int32(tag), int32(typ), int32(offset), int32(count)})
}

// lead is the 96-byte lead of a binary package.
func lead(nevr string) []byte {
	b := make([]byte, 96)
	copy(b, []byte{0xed, 0xab, 0xee, 0xdb, 3, 0}) // magic, format 3.0
	// type 0 (binary) at 6; archnum 1 at 8 (rpm ignores it)
	b[9] = 1
	name := []byte(nevr)
	if len(name) > 65 {
		name = name[:65]
	}
	copy(b[10:76], name)
	b[77] = 1 // osnum: Linux
	b[79] = 5 // signature type: header-style signature
	return b
}

func checkUint32(what string, n int64) error {
	if n < 0 || n > 0xffffffff {
		return fmt.Errorf("%s is %d bytes: packages of 4 GiB or more are not supported", what, n)
	}
	return nil
}
