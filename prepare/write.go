package prepare

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/parquet-go/parquet-go"

	"github.com/frocket/frocket/bench"
)

// writeChunkRows is the number of rows handed to the column writers at a time. Chunks are cut
// at fixed offsets within each row group, so the pages of a file do not depend on how the
// caller batches rows.
const writeChunkRows = 4096

// dictMaxRatio is the largest ratio of distinct values to rows for which a string column is
// dictionary encoded.
const dictMaxRatio = 0.5

// orderedGroup is a schema group whose fields keep the given order (parquet.Group sorts
// them by name).
type orderedGroup struct {
	parquet.Group
	fields []parquet.Field
}

func (g orderedGroup) Fields() []parquet.Field { return g.fields }

// outputSchema returns the schema of the output files.
func (l *layout) outputSchema() *parquet.Schema {
	g := parquet.Group{}
	for i := range l.cols {
		c := &l.cols[i]
		var n parquet.Node = parquet.Leaf(c.typ)
		switch {
		case c.kind == kindInt64:
			n = parquet.Encoded(n, &parquet.DeltaBinaryPacked)
		case c.kind == kindBytes && c.dict:
			n = parquet.Encoded(n, &parquet.RLEDictionary)
		case c.kind == kindBytes:
			n = parquet.Encoded(n, &parquet.Plain)
		}
		if i == l.ts && c.kind == kindInt64 {
			n = parquet.Compressed(n, &parquet.Uncompressed) // see doc.go: snappy does not shrink it
		}
		if c.optional {
			n = parquet.Optional(n)
		}
		g[c.name] = n
	}
	byName := make(map[string]parquet.Field, len(l.cols))
	for _, f := range g.Fields() {
		byName[f.Name()] = f
	}
	og := orderedGroup{Group: g}
	for i := range l.cols {
		og.fields = append(og.fields, byName[l.cols[i].name])
	}
	return parquet.NewSchema("frocket", og)
}

// writerOptions returns the options of every output file's writer.
func (l *layout) writerOptions(schema *parquet.Schema) []parquet.WriterOption {
	g, ts := l.cols[l.group].name, l.cols[l.ts].name
	return []parquet.WriterOption{
		schema,
		parquet.Compression(&parquet.Snappy),
		parquet.CreatedBy("frocket prepare", "1", "none"),
		parquet.SortingWriterConfig(parquet.SortingColumns(parquet.Ascending(g), parquet.Ascending(ts))),
		parquet.KeyValueMetadata(bench.SortedMetadataKey, g+","+ts),
	}
}

// partWriter writes one output file under a temporary name in the output directory.
type partWriter struct {
	l            *layout
	rowGroupRows int
	final        string
	f            *os.File
	bw           *bufio.Writer
	pw           *parquet.Writer
	inGroup      int // rows in the current row group
	vals         []parquet.Value
	seq          []uint32

	rows    int64
	groups  int64
	lastInt uint64
	lastStr []byte
}

// createPart starts writing the file final.
func createPart(final string, l *layout, opts []parquet.WriterOption, rowGroupRows int) (*partWriter, error) {
	f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", final, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	return &partWriter{
		l: l, rowGroupRows: rowGroupRows, final: final, f: f, bw: bw,
		pw:   parquet.NewWriter(bw, opts...),
		vals: make([]parquet.Value, writeChunkRows),
	}, nil
}

// room returns how many rows may be written before the next chunk boundary.
func (w *partWriter) room() int {
	end := min(w.rowGroupRows, (w.inGroup/writeChunkRows+1)*writeChunkRows)
	return end - w.inGroup
}

// write writes the rows idx of b in that order (all rows in order when idx is nil).
func (w *partWriter) write(b *batch, idx []uint32) error {
	n := b.rows
	if idx != nil {
		n = len(idx)
	}
	for pos := 0; pos < n; {
		k := min(n-pos, w.room())
		var sel []uint32
		if idx != nil {
			sel = idx[pos : pos+k]
		}
		if err := w.writeChunk(b, pos, k, sel); err != nil {
			return fmt.Errorf("write %s: %w", w.final, err)
		}
		pos += k
		w.inGroup += k
		if w.inGroup == w.rowGroupRows {
			if err := w.pw.Flush(); err != nil {
				return fmt.Errorf("write %s: %w", w.final, err)
			}
			w.inGroup = 0
		}
	}
	return nil
}

// writeChunk writes k rows: sel when set, else rows [pos, pos+k) of b.
func (w *partWriter) writeChunk(b *batch, pos, k int, sel []uint32) error {
	if sel == nil {
		w.seq = w.seq[:0]
		for i := range k {
			w.seq = append(w.seq, uint32(pos+i))
		}
		sel = w.seq
	}
	writers := w.pw.ColumnWriters()
	vals := w.vals[:k]
	for c := range w.l.cols {
		col := &w.l.cols[c]
		cb := &b.cols[c]
		def := 0
		if col.optional {
			def = 1
		}
		for i, r := range sel {
			if col.optional && cb.nulls[r] {
				vals[i] = parquet.NullValue().Level(0, 0, c)
				continue
			}
			var v parquet.Value
			switch col.kind {
			case kindBool:
				v = parquet.BooleanValue(cb.fixed[r] != 0)
			case kindInt32:
				v = parquet.Int32Value(int32(uint32(cb.fixed[r])))
			case kindInt64:
				v = parquet.Int64Value(int64(cb.fixed[r]))
			case kindFloat:
				v = parquet.FloatValue(math.Float32frombits(uint32(cb.fixed[r])))
			case kindDouble:
				v = parquet.DoubleValue(math.Float64frombits(cb.fixed[r]))
			case kindBytes:
				v = parquet.ByteArrayValue(cb.bytesAt(int(r)))
			}
			vals[i] = v.Level(0, def, c)
		}
		if _, err := writers[c].WriteRowValues(vals); err != nil {
			return fmt.Errorf("column %q: %w", col.name, err)
		}
	}
	clear(vals) // drop references to b's bytes
	w.countGroups(b, sel)
	w.rows += int64(k)
	return nil
}

// countGroups counts the group ids that start among the rows sel.
func (w *partWriter) countGroups(b *batch, sel []uint32) {
	g := &b.cols[w.l.group]
	if w.l.cols[w.l.group].kind == kindBytes {
		for i, r := range sel {
			s := g.bytesAt(int(r))
			if w.rows+int64(i) == 0 || !bytes.Equal(s, w.lastStr) {
				w.groups++
				w.lastStr = append(w.lastStr[:0], s...)
			}
		}
		return
	}
	for i, r := range sel {
		v := g.fixed[r]
		if w.rows+int64(i) == 0 || v != w.lastInt {
			w.groups++
			w.lastInt = v
		}
	}
}

// close finishes the temporary file; the caller renames it (see tempPath) once every part is
// written. It returns the file's size.
func (w *partWriter) close() (int64, error) {
	fail := func(op string, err error) (int64, error) {
		w.abort()
		return 0, fmt.Errorf("%s %s: %w", op, w.final, err)
	}
	if err := w.pw.Close(); err != nil {
		return fail("write", err)
	}
	if err := w.bw.Flush(); err != nil {
		return fail("write", err)
	}
	// CreateTemp makes the file private; parts are ordinary data files.
	if err := w.f.Chmod(0o644); err != nil {
		return fail("chmod", err)
	}
	if err := w.f.Sync(); err != nil {
		return fail("sync", err)
	}
	st, err := w.f.Stat()
	if err != nil {
		return fail("stat", err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.f.Name())
		return 0, fmt.Errorf("close %s: %w", w.final, err)
	}
	return st.Size(), nil
}

// tempPath returns the name the file is written under.
func (w *partWriter) tempPath() string { return w.f.Name() }

// abort closes and removes the temporary file.
func (w *partWriter) abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}

// chooseDictionaries decides which string columns are dictionary encoded from the number of
// distinct values among the first sampled rows.
func (l *layout) chooseDictionaries(distinct []int, sampled int64) {
	for i := range l.cols {
		c := &l.cols[i]
		if c.kind != kindBytes {
			continue
		}
		c.dict = float64(distinct[i]) <= dictMaxRatio*float64(sampled)
	}
}

// sampleColumns lists the byte-array columns, whose distinct values are counted.
func (l *layout) sampleColumns() []int {
	var out []int
	for i := range l.cols {
		if l.cols[i].kind == kindBytes {
			out = append(out, i)
		}
	}
	return slices.Clip(out)
}
