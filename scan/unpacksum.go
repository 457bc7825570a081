package scan

// unpackSumTab is what unpackSumAVX2 needs to unpack eight values of one bit width w <= 32 from
// the 32 bytes at a byte boundary (eight values take w bytes): value i starts at bit i*w, in
// dword i*w/32 at shift i*w%32, and ends in the next dword at the latest.
type unpackSumTab struct {
	perm  [2][8]uint32 // for values 0-3 and 4-7: each value's two dwords, low then high
	shift [2][4]uint64 // each value's shift within its two dwords
	mask  uint64       // w low bits
}

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

// unpackSumAVX2Ok reports whether unpackSum may use unpackSumAVX2 for n values of width w from
// src: the CPU has AVX2, w <= 32, n is a positive multiple of 8, and the last 32-byte load,
// at byte (n/8-1)*w, stays inside src.
func unpackSumAVX2Ok(avx2 bool, n int, w int, src []byte) bool {
	return avx2 && w <= 32 && n > 0 && n%8 == 0 && (n/8-1)*w+32 <= len(src)
}
