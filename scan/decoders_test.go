package scan

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// edgeLengths are where blocks, miniblocks, bit-packed groups and unpacking batches run out.
var edgeLengths = func() []int {
	var n []int
	for i := range 40 {
		n = append(n, i)
	}
	return append(n, 127, 128, 129, 1023, 1024, 1025, 4095, 4096, 4097)
}()

// int64Patterns returns value sequences of length n that exercise every bit width.
func int64Patterns(rng *rand.Rand, n int) map[string][]int64 {
	p := map[string][]int64{}
	gen := func(name string, f func(i int) int64) {
		v := make([]int64, n)
		for i := range v {
			v[i] = f(i)
		}
		p[name] = v
	}
	gen("constant", func(int) int64 { return 42 })
	gen("increasing", func(i int) int64 { return int64(i) * 3 })
	gen("decreasing", func(i int) int64 { return -int64(i) * 1000 })
	gen("small", func(int) int64 { return rng.Int64N(16) })
	gen("wide", func(int) int64 { return int64(rng.Uint64()) })
	gen("extremes", func(i int) int64 {
		return []int64{math.MinInt64, math.MaxInt64, 0, -1}[rng.IntN(4)]
	})
	gen("sorted-ids", func(i int) int64 { return int64(i/7) * 7919 })
	gen("timestamps", func(i int) int64 { return 1_600_000_000_000 + int64(i)*1000 + rng.Int64N(999) })
	// Sorted by (user, ts): ten increasing timestamps per user over a 30-day span, so most
	// miniblocks have a backward jump and deltas of about 32 bits.
	var userTS int64
	gen("user-timestamps", func(i int) int64 {
		if i%10 == 0 {
			userTS = 1_700_000_000_000 + rng.Int64N(30*86_400_000)
		}
		userTS += rng.Int64N(600_000)
		return userTS
	})
	return p
}

// withoutSlack returns a copy of b whose capacity ends at its length, so the decoders must not
// rely on bytes past the end.
func withoutSlack(b []byte) []byte { return slices.Clip(slices.Clone(b)) }

func TestDecodeDeltaInt64(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	var enc delta.BinaryPackedEncoding
	var tmp []byte
	for _, n := range edgeLengths {
		for name, vals := range int64Patterns(rng, n) {
			data, err := enc.EncodeInt64(nil, vals)
			if err != nil {
				t.Fatal(err)
			}
			for _, src := range [][]byte{data, withoutSlack(data)} {
				got := make([]int64, n)
				if tmp, err = decodeDeltaInt64(got, src, tmp); err != nil {
					t.Fatalf("n %d %s: %v", n, name, err)
				}
				if !slices.Equal(got, vals) {
					t.Fatalf("n %d %s: decoded %v, want %v", n, name, got, vals)
				}
				// A prefix decodes alone; more values than the stream holds is an error.
				k := n / 3
				got = got[:k]
				if tmp, err = decodeDeltaInt64(got, src, tmp); err != nil || !slices.Equal(got, vals[:k]) {
					t.Fatalf("n %d %s: prefix %d: %v", n, name, k, err)
				}
				if _, err := decodeDeltaInt64(make([]int64, n+1), src, tmp); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("n %d %s: decoding past the end: %v", n, name, err)
				}
			}
		}
	}
}

func TestDecodeDeltaInt32(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	var enc delta.BinaryPackedEncoding
	var tmp []byte
	for _, n := range edgeLengths {
		for name, wide := range int64Patterns(rng, n) {
			vals := make([]int32, n)
			for i, v := range wide {
				vals[i] = int32(v)
			}
			data, err := enc.EncodeInt32(nil, vals)
			if err != nil {
				t.Fatal(err)
			}
			for _, unsigned := range []bool{false, true} {
				got := make([]int64, n)
				if tmp, err = decodeDeltaInt32(got, withoutSlack(data), unsigned, tmp); err != nil {
					t.Fatalf("n %d %s: %v", n, name, err)
				}
				for i, v := range vals {
					if want := widen32(v, unsigned); got[i] != want {
						t.Fatalf("n %d %s unsigned %v: value %d = %d, want %d", n, name, unsigned, i, got[i], want)
					}
				}
			}
		}
	}
}

func TestDeltaCorruptHeaders(t *testing.T) {
	var enc delta.BinaryPackedEncoding
	vals := make([]int64, 300)
	for i := range vals {
		vals[i] = int64(i * i)
	}
	good, _ := enc.EncodeInt64(nil, vals)
	var tmp []byte
	// A truncation fails with ErrCorrupt unless it cut only the padding of the last miniblock;
	// every single-byte change either decodes or fails with ErrCorrupt.
	for cut := range len(good) {
		got := make([]int64, 300)
		_, err := decodeDeltaInt64(got, good[:cut], tmp)
		if err == nil && !slices.Equal(got, vals) || err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d of %d bytes: %v", cut, len(good), err)
		}
	}
	rng := rand.New(rand.NewPCG(35, 36))
	for range 2000 {
		bad := slices.Clone(good)
		bad[rng.IntN(len(bad))] = byte(rng.Uint32())
		if _, err := decodeDeltaInt64(make([]int64, 300), bad, tmp); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("unexpected error %v", err)
		}
		if _, err := decodeDeltaInt32(make([]int64, 300), bad, false, tmp); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("unexpected error %v", err)
		}
	}
	for _, hdr := range [][]byte{
		{0x00, 0x04, 0x01, 0x00},       // block size 0
		{0x80, 0x01, 0x00, 0x01, 0x00}, // no miniblocks
		{0x80, 0x01, 0x03, 0x01, 0x00}, // 128/3 is not a multiple of 32
		{0x81, 0x01, 0x04, 0x01, 0x00}, // block size 129
	} {
		if _, err := decodeDeltaInt64(make([]int64, 1), hdr, tmp); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("header % x: %v", hdr, err)
		}
	}
}

func TestDecodeIndexes(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	var enc rle.DictionaryEncoding
	idx := make([]uint32, indexBatch)
	var tmp []byte
	for _, n := range edgeLengths {
		for _, dictLen := range []int{1, 2, 3, 8, 200, 70000} {
			ids := make([]int32, n)
			for i := range ids {
				if i > 0 && rng.IntN(3) == 0 {
					ids[i] = ids[i-1] // runs, so both run kinds appear
				} else {
					ids[i] = int32(rng.IntN(dictLen))
				}
			}
			data, err := enc.EncodeInt32(nil, ids)
			if err != nil {
				t.Fatal(err)
			}
			table := make([]uint32, dictLen)
			for i := range table {
				table[i] = uint32(i)*7 + 1
			}
			got := make([]uint32, n)
			if tmp, err = decodeIndexes(got, table, withoutSlack(data), idx, tmp); err != nil {
				t.Fatalf("n %d dict %d: %v", n, dictLen, err)
			}
			for i, k := range ids {
				if got[i] != table[k] {
					t.Fatalf("n %d dict %d: row %d = %d, want %d", n, dictLen, i, got[i], table[k])
				}
			}
			// An index past a smaller table is an error.
			if n > 0 && dictLen > 1 {
				small := table[:slices.Max(ids)]
				if _, err := decodeIndexes(got, small, data, idx, tmp); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("n %d dict %d: index past the table: %v", n, dictLen, err)
				}
			}
			if _, err := decodeIndexes(make([]uint32, n+9), table, data, idx, tmp); n > 0 && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("n %d dict %d: decoding past the end: %v", n, dictLen, err)
			}
		}
	}
}

func TestDecodeLevels(t *testing.T) {
	rng := rand.New(rand.NewPCG(39, 40))
	enc := rle.Encoding{BitWidth: 1}
	for _, n := range edgeLengths {
		for _, pNull := range []int{0, 1, 10, 50, 100} {
			levels := make([]byte, n)
			want := 0
			for i := range levels {
				if rng.IntN(100) >= pNull {
					levels[i] = 1
					want++
				}
			}
			data, err := enc.EncodeLevels(nil, levels)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, n)
			defined, err := decodeLevels(got, withoutSlack(data))
			if err != nil || defined != want || !slices.Equal(got, levels) {
				t.Fatalf("n %d nulls %d%%: defined %d (want %d), err %v", n, pNull, defined, want, err)
			}
			if _, err := decodeLevels(make([]byte, n+9), data); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("n %d: decoding past the end: %v", n, err)
			}
		}
	}
	if _, err := decodeLevels(make([]byte, 4), []byte{0x08, 0x02}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a level of 2 was accepted: %v", err)
	}
}

// TestParsePageHeader round-trips page headers through parquet-go's thrift encoder.
func TestParsePageHeader(t *testing.T) {
	proto := &thrift.CompactProtocol{}
	stats := format.Statistics{Max: []byte("zz"), Min: []byte("a"), NullCount: 3, MaxValue: []byte{1, 2, 3}, MinValue: []byte{0}}
	headers := []format.PageHeader{
		{Type: format.DataPage, UncompressedPageSize: 100, CompressedPageSize: 80, CRC: -5,
			DataPageHeader: thrift.New(format.DataPageHeader{NumValues: 10, Encoding: format.Plain, DefinitionLevelEncoding: format.RLE, RepetitionLevelEncoding: format.BitPacked, Statistics: stats})},
		{Type: format.DataPageV2, UncompressedPageSize: 1 << 30, CompressedPageSize: 12345,
			DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{NumValues: 70000, NumNulls: 12, NumRows: 70000, Encoding: format.DeltaBinaryPacked,
				DefinitionLevelsByteLength: 33, RepetitionLevelsByteLength: 0, IsCompressed: thrift.New(false), Statistics: stats})},
		{Type: format.DataPageV2, UncompressedPageSize: 7, CompressedPageSize: 7,
			DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{NumValues: 1, NumRows: 1, Encoding: format.RLEDictionary})},
		{Type: format.DictionaryPage, UncompressedPageSize: 91, CompressedPageSize: 94, CRC: math.MaxInt32,
			DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{NumValues: 8, Encoding: format.Plain, IsSorted: true})},
	}
	for i, want := range headers {
		b, err := thrift.Marshal(proto, &want)
		if err != nil {
			t.Fatal(err)
		}
		trailing := append(slices.Clone(b), 0xde, 0xad)
		h, n, err := parsePageHeader(trailing)
		if err != nil || n != len(b) {
			t.Fatalf("header %d: length %d of %d, err %v", i, n, len(b), err)
		}
		ok := h.typ == want.Type && h.uncompressedSize == want.UncompressedPageSize && h.compressedSize == want.CompressedPageSize &&
			h.hasCRC == (want.CRC != 0) && h.crc == want.CRC
		switch {
		case want.DataPageHeader.Valid:
			v := want.DataPageHeader.V
			ok = ok && h.hasData && h.numValues == v.NumValues && h.encoding == v.Encoding && h.defEncoding == v.DefinitionLevelEncoding
		case want.DataPageHeaderV2.Valid:
			v := want.DataPageHeaderV2.V
			ok = ok && h.hasDataV2 && h.numValues == v.NumValues && h.numNulls == v.NumNulls && h.numRows == v.NumRows &&
				h.encoding == v.Encoding && h.defBytes == v.DefinitionLevelsByteLength && h.repBytes == v.RepetitionLevelsByteLength &&
				h.isCompressed == (!v.IsCompressed.Valid || v.IsCompressed.V)
		case want.DictionaryPageHeader.Valid:
			v := want.DictionaryPageHeader.V
			ok = ok && h.hasDict && h.numValues == v.NumValues && h.encoding == v.Encoding
		}
		if !ok {
			t.Fatalf("header %d: parsed %+v from %+v", i, h, want)
		}
		// Every truncation is an error, never a panic.
		for cut := range len(b) {
			if _, _, err := parsePageHeader(b[:cut]); err == nil {
				t.Fatalf("header %d truncated to %d bytes was accepted", i, cut)
			}
		}
	}
	// Deep nesting and negative sizes are errors.
	deep := []byte{0x1c} // field 1, struct
	for range 40 {
		deep = append(deep, 0x1c)
	}
	if _, _, err := parsePageHeader(deep); err == nil {
		t.Fatalf("deeply nested header accepted")
	}
	neg, _ := thrift.Marshal(proto, &format.PageHeader{Type: format.DataPage, UncompressedPageSize: -1, CompressedPageSize: 1,
		DataPageHeader: thrift.New(format.DataPageHeader{NumValues: 1})})
	if _, _, err := parsePageHeader(neg); err == nil {
		t.Fatalf("negative size accepted")
	}
}

// BenchmarkDecode times the fast path's page decoders on one 32K-value page held in cache.
func BenchmarkDecode(b *testing.B) {
	const n = 32 << 10
	rng := rand.New(rand.NewPCG(65, 66))
	pats := int64Patterns(rng, n)
	var enc delta.BinaryPackedEncoding
	dst := make([]int64, n)
	var tmp []byte
	for _, name := range []string{"timestamps", "user-timestamps", "sorted-ids"} {
		data, _ := enc.EncodeInt64(nil, pats[name])
		b.Run("delta-"+name, func(b *testing.B) {
			for b.Loop() {
				if _, err := decodeDeltaInt64(dst, data, tmp); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "values/s")
		})
	}
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(rng.IntN(8))
	}
	data, _ := (&rle.DictionaryEncoding{}).EncodeInt32(nil, ids)
	table := []uint32{5, 3, 7, 1, 0, 2, 4, 6}
	codes := make([]uint32, n)
	idx := make([]uint32, indexBatch)
	b.Run("dictionary-indexes", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeIndexes(codes, table, data, idx, tmp); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "values/s")
	})
}
