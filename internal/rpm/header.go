package rpm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
)

// Header data types.
const (
	typeChar        = 1
	typeInt8        = 2
	typeInt16       = 3
	typeInt32       = 4
	typeInt64       = 5
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
var align = map[int]int{typeInt16: 2, typeInt32: 4, typeInt64: 8}

// typeSize is the size of one value of the fixed-size data types.
var typeSize = map[int]int{typeChar: 1, typeInt8: 1, typeInt16: 2, typeInt32: 4, typeInt64: 8, typeBin: 1}

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

var headerMagic = []byte{0x8e, 0xad, 0xe8, 0x01}

// headerLen reads the intro of the header structure at the start of b
// (magic, number of index entries, data size) and returns its length
// without padding, or 0 when b holds too few bytes for the intro.
func headerLen(b []byte, what string) (int, error) {
	if len(b) < 16 {
		return 0, nil
	}
	if !bytes.Equal(b[:4], headerMagic) {
		return 0, fmt.Errorf("the %s does not start with the header magic 8e ad e8 01", what)
	}
	il, dl := binary.BigEndian.Uint32(b[8:12]), binary.BigEndian.Uint32(b[12:16])
	if il < 1 || il > 0xffff || dl > 256<<20 {
		return 0, fmt.Errorf("the %s claims %d tags and %d bytes of data", what, il, dl)
	}
	return 16 + 16*int(il) + int(dl), nil
}

// parseHeader decodes the header structure b (exactly as long as
// headerLen says) whose first entry is the region tag, covering the whole
// header as rpm requires of the headers of a package file. The region entry
// is not among the entries returned: bytes adds it again.
func parseHeader(b []byte, region int, what string) (*header, error) {
	n, err := headerLen(b, what)
	if err != nil {
		return nil, err
	}
	if n == 0 || n != len(b) {
		return nil, fmt.Errorf("the %s is cut off", what)
	}
	il := int(binary.BigEndian.Uint32(b[8:12]))
	index, data := b[16:16+16*il], b[16+16*il:]
	at := func(i int) (tag, typ, off, count int) {
		e := index[16*i:]
		return int(int32(binary.BigEndian.Uint32(e))), int(int32(binary.BigEndian.Uint32(e[4:]))),
			int(int32(binary.BigEndian.Uint32(e[8:]))), int(int32(binary.BigEndian.Uint32(e[12:])))
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("the %s is corrupt: %s", what, fmt.Sprintf(format, a...))
	}
	tag, typ, off, count := at(0)
	if tag != region || typ != typeBin || count != 16 || off < 0 || off > len(data)-16 {
		return nil, bad("no region tag %d first", region)
	}
	trailer := data[off : off+16]
	if t := int(binary.BigEndian.Uint32(trailer)); (t != region && t != 61) || -int(int32(binary.BigEndian.Uint32(trailer[8:]))) != 16*il || off+16 != len(data) {
		return nil, bad("the region does not cover the whole header")
	}
	h := newHeader()
	for i := 1; i < il; i++ {
		tag, typ, off, count := at(i)
		if off < 0 || off > len(data) || count < 1 || count > len(data) {
			return nil, bad("tag %d lies outside the header", tag)
		}
		var size int
		switch typ {
		case typeString, typeStringArray, typeI18NString:
			if typ == typeString && count != 1 {
				return nil, bad("tag %d is a string with %d values", tag, count)
			}
			for j := 0; j < count; j++ {
				z := bytes.IndexByte(data[off+size:], 0)
				if z < 0 {
					return nil, bad("tag %d has an unterminated string", tag)
				}
				size += z + 1
			}
		default:
			ts, ok := typeSize[typ]
			if !ok {
				return nil, bad("tag %d has the unknown type %d", tag, typ)
			}
			size = ts * count
			if size > len(data)-off {
				return nil, bad("tag %d runs past the end of the header", tag)
			}
		}
		if _, dup := h.entries[tag]; dup || tag == region {
			return nil, bad("tag %d is there twice", tag)
		}
		h.put(tag, typ, count, data[off:off+size])
	}
	return h, nil
}
