package scan

import "unsafe"

// unpackSumTab is what unpackSumBlockAVX2 needs to unpack eight values of one bit width w <= 32 from
// the 32 bytes at a byte boundary (eight values take w bytes): value i starts at bit i*w, in
// dword i*w/32 at shift i*w%32, and ends in the next dword at the latest.
type unpackSumTab struct {
	perm  [2][8]uint32 // for values 0-3 and 4-7: each value's two dwords, low then high
	shift [2][4]uint64 // each value's shift within its two dwords
	mask  uint64       // w low bits
}

// runs_amd64.s indexes unpackSumTabs with a stride of 136 bytes: this fails to compile when
// unpackSumTab has another size.
const _ = uint(unsafe.Sizeof(unpackSumTab{})-136) + uint(136-unsafe.Sizeof(unpackSumTab{}))

// unpackSumTabs holds the table of every bit width from 0 to 32.
var unpackSumTabs = func() (tabs [33]unpackSumTab) {
	for w := range tabs {
		t := &tabs[w]
		for i := range 8 {
			b := i * w
			lo := uint32(b / 32)
			t.perm[i/4][2*(i%4)] = lo
			t.perm[i/4][2*(i%4)+1] = min(lo+1, 7) // past the last dword only when w == 32, whose values need one dword
			t.shift[i/4][i%4] = uint64(b % 32)
		}
		t.mask = 1<<w - 1
	}
	return tabs
}()

// unpackSumBlockOk returns how many bytes of src the miniblocks of one block take, and whether
// unpackSumBlockAVX2 may decode them into the first per*len(widths) of n values: every width is
// at most 32 and the last 32-byte load, at (per/8-1)*w bytes into the last miniblock, stays
// inside src. per is a multiple of 32 (parseDeltaHeader checks it).
func unpackSumBlockOk(widths []byte, per, n int, src []byte) (int, bool) {
	if per*len(widths) > n || len(widths) == 0 {
		return 0, false
	}
	size, last := 0, 0
	for _, w := range widths {
		if w > 32 {
			return 0, false
		}
		last = size + (per/8-1)*int(w)
		size += per * int(w) / 8
	}
	return size, last+32 <= len(src)
}
