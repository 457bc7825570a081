package scan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

type corruptRow struct {
	UserID    int64    `parquet:"userId,delta"`
	Timestamp int64    `parquet:"timestamp,delta"`
	EventType string   `parquet:"eventType,dict"`
	URL       string   `parquet:"url"`
	Price     *float64 `parquet:"price"`
	Quantity  *int64   `parquet:"quantity"`
	Small     int32    `parquet:"small,dict"`
	LoggedIn  bool     `parquet:"loggedIn"`
	Seq       int64    `parquet:"seq"`    // PLAIN: read straight into the column when uncompressed
	Amount    float64  `parquet:"amount"` // likewise
}

func corruptRows(rng *rand.Rand, n int) []corruptRow {
	rows := make([]corruptRow, n)
	u, ts := int64(1), int64(1_600_000_000_000)
	for i := range rows {
		if rng.IntN(8) == 0 {
			u += 1 + rng.Int64N(100)
		}
		ts += rng.Int64N(10_000)
		r := &rows[i]
		r.UserID, r.Timestamp = u, ts
		r.EventType = []string{"view", "click", "cart", "buy"}[rng.IntN(4)]
		r.URL = fmt.Sprintf("/p/%d", rng.IntN(50))
		if rng.IntN(3) == 0 {
			p, q := float64(rng.IntN(1000))/10, rng.Int64N(9)
			r.Price, r.Quantity = &p, &q
		}
		r.Small = int32(rng.IntN(5))
		r.LoggedIn = rng.IntN(2) == 0
		r.Seq, r.Amount = int64(i), float64(rng.IntN(100))/4
	}
	return rows
}

// stripChecksums rewrites a Parquet file with every page header's CRC removed (headers
// re-encoded, chunk offsets and sizes in the footer updated, page indexes dropped), so damage to
// page data reaches the decoders instead of failing the checksum.
func stripChecksums(t *testing.T, data []byte) []byte {
	t.Helper()
	proto := &thrift.CompactProtocol{}
	footerLen := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	var md format.FileMetaData
	if err := thrift.Unmarshal(proto, data[len(data)-8-footerLen:len(data)-8], &md); err != nil {
		t.Fatal(err)
	}
	out := []byte("PAR1")
	for g := range md.RowGroups {
		rg := &md.RowGroups[g]
		for c := range rg.Columns {
			cc := &rg.Columns[c]
			m := &cc.MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset != 0 {
				start = m.DictionaryPageOffset
			}
			buf := data[start : start+m.TotalCompressedSize]
			newStart := int64(len(out))
			m.DictionaryPageOffset = 0
			m.DataPageOffset = -1
			for off := 0; off < len(buf); {
				_, n, err := parsePageHeader(buf[off:])
				if err != nil {
					t.Fatal(err)
				}
				var h format.PageHeader
				if err := thrift.Unmarshal(proto, buf[off:off+n], &h); err != nil {
					t.Fatal(err)
				}
				h.CRC = 0
				enc, err := thrift.Marshal(proto, &h)
				if err != nil {
					t.Fatal(err)
				}
				if h.Type == format.DictionaryPage {
					m.DictionaryPageOffset = int64(len(out))
				} else if m.DataPageOffset < 0 {
					m.DataPageOffset = int64(len(out))
				}
				out = append(out, enc...)
				out = append(out, buf[off+n:off+n+int(h.CompressedPageSize)]...)
				off += n + int(h.CompressedPageSize)
			}
			m.TotalCompressedSize = int64(len(out)) - newStart
			cc.FileOffset = newStart
			cc.ColumnIndexOffset, cc.ColumnIndexLength, cc.OffsetIndexOffset, cc.OffsetIndexLength = 0, 0, 0, 0
		}
		rg.FileOffset = rg.Columns[0].FileOffset
	}
	footer, err := thrift.Marshal(proto, &md)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...)
}

// pagesEnd returns the end of the last column chunk's bytes.
func pagesEnd(f *File) int {
	end := int64(0)
	for _, g := range f.pq.Metadata().RowGroups {
		for _, c := range g.Columns {
			start := c.MetaData.DataPageOffset
			if c.MetaData.DictionaryPageOffset != 0 {
				start = c.MetaData.DictionaryPageOffset
			}
			end = max(end, start+c.MetaData.TotalCompressedSize)
		}
	}
	return int(end)
}

// TestCorruptPagesFastPath damages one byte of the pages of generated files at a time and checks
// that Read, through the fast path, returns the right table or an error wrapping ErrCorrupt that
// names the column and row group, and never panics. With checksums stripped, damaged data reaches
// the decoders and may decode to other values: the table must then be consistent.
func TestCorruptPagesFastPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	rows := corruptRows(rng, 3000)
	req := Request{GroupColumn: "userId", TimestampColumn: "timestamp",
		Columns: []string{"eventType", "url", "price", "quantity", "small", "loggedIn", "seq", "amount"}}
	for _, layout := range []struct {
		name string
		opts []parquet.WriterOption
	}{
		{"v2-snappy", []parquet.WriterOption{parquet.Compression(&parquet.Snappy), parquet.PageBufferSize(2048)}},
		{"v1", []parquet.WriterOption{parquet.DataPageVersion(1), parquet.PageBufferSize(1024)}},
		{"v1-snappy", []parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Snappy)}},
	} {
		var buf bytes.Buffer
		w := parquet.NewGenericWriter[corruptRow](&buf, layout.opts...)
		for chunk := range slices.Chunk(rows, 1200) {
			if _, err := w.Write(chunk); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		withCRC := buf.Bytes()
		for _, checksums := range []bool{true, false} {
			good := withCRC
			if !checksums {
				good = stripChecksums(t, withCRC)
			}
			name := fmt.Sprintf("%s/checksums=%v", layout.name, checksums)
			f0, err := Open(bytes.NewReader(good), int64(len(good)), "good.parquet")
			if err != nil {
				t.Fatal(err)
			}
			want, err := f0.Read(req)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if want.slowChunks != 0 || want.Rows != len(rows) {
				t.Fatalf("%s: %d chunks left to parquet-go, %d rows", name, want.slowChunks, want.Rows)
			}
			end := pagesEnd(f0)
			failed, same := 0, 0
			const trials = 400
			for trial := range trials {
				bad := slices.Clone(good)
				pos := 4 + rng.IntN(end-4)
				if trial%2 == 0 {
					bad[pos] ^= 1 << rng.IntN(8)
				} else {
					bad[pos] = byte(rng.Uint32())
				}
				f, err := Open(bytes.NewReader(bad), int64(len(bad)), "bad.parquet")
				if err != nil {
					t.Fatalf("%s trial %d: open: %v", name, trial, err)
				}
				tbl, err := f.Read(req)
				if err != nil {
					failed++
					msg := err.Error()
					if !errors.Is(err, ErrCorrupt) || !strings.Contains(msg, "bad.parquet") || !strings.Contains(msg, `column "`) ||
						!strings.Contains(msg, "row group") || strings.Contains(msg, "runtime error") {
						t.Fatalf("%s trial %d (byte %d): error %v", name, trial, pos, err)
					}
					continue
				}
				if checksums {
					if d := diffTables(tbl, want); d != "" {
						t.Fatalf("%s trial %d (byte %d): wrong table without an error: %s", name, trial, pos, d)
					}
				} else {
					checkTable(t, tbl)
				}
				if diffTables(tbl, want) == "" {
					same++
				}
			}
			if failed == 0 {
				t.Fatalf("%s: no damage detected in %d trials", name, trials)
			}
			t.Logf("%s: %d of %d damaged files failed to read, %d read as the original", name, failed, trials, same)
		}
	}
}
