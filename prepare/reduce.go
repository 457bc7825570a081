package prepare

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// Sizes of the reduce pass.
const (
	// sortBytesPerRow is the memory an in-memory sort needs per row beyond the rows
	// themselves: a sort entry, the permutation and a share of the group ranks.
	sortBytesPerRow = 48
	// minRunBytes is the smallest sorted run, whatever the budget.
	minRunBytes = 32 << 10
	// maxFanIn is the most runs merged at once.
	maxFanIn = 32
	// minRunBlockBytes and maxRunBlockBytes bound the blocks of sorted runs.
	minRunBlockBytes = 4 << 10
	maxRunBlockBytes = 4 << 20
	// writeProgressRows is how many rows an in-memory part writes between progress reports.
	writeProgressRows = 64 << 10
)

// reducePass sorts and writes every part, the largest first.
func (r *runState) reducePass(ctx context.Context) error {
	r.sem = newByteSem(r.cfg.MemoryBytes)
	order := make([]int, len(r.parts))
	for p := range order {
		order[p] = p
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(r.parts[b].rows, r.parts[a].rows) })
	schema := r.l.outputSchema()
	opts := r.l.writerOptions(schema)
	return parallel(ctx, len(order), r.cfg.Workers, func(ctx context.Context, _, i int) error {
		return r.reducePart(ctx, order[i], opts)
	})
}

// writerBytes estimates the memory of a part's Parquet writer: about one row group, twice.
func (r *runState) writerBytes(ps *partSpill) int64 {
	if ps.rows == 0 {
		return 0
	}
	return min(ps.rows, int64(r.cfg.RowGroupRows)) * (ps.memBytes / ps.rows) * 2
}

// reducePart sorts part p and writes its file: in memory when its rows fit in the budget,
// else by sorted runs and merges.
func (r *runState) reducePart(ctx context.Context, p int, opts []parquet.WriterOption) error {
	ps := &r.parts[p]
	budget := r.cfg.MemoryBytes
	need := ps.memBytes + ps.rows*sortBytesPerRow + r.writerBytes(ps)
	if need <= budget && ps.rows < math.MaxUint32 {
		if err := r.sem.acquire(ctx, need); err != nil {
			return err
		}
		defer r.sem.release(need)
		return r.sortInMemory(ctx, p, opts)
	}
	// Parts sorted with runs share the budget evenly, so that several are sorted at once.
	share := budget / int64(max(1, min(r.cfg.Workers, len(r.parts))))
	if err := r.sem.acquire(ctx, share); err != nil {
		return err
	}
	defer r.sem.release(share)
	r.externalParts.Add(1)
	return r.sortExternal(ctx, p, opts, share-r.writerBytes(ps))
}

// sortInMemory loads part p's spill, sorts it and writes the part.
func (r *runState) sortInMemory(ctx context.Context, p int, opts []parquet.WriterOption) error {
	ps := &r.parts[p]
	b := newBatch(r.l)
	if ps.blocks > 0 {
		b.grow(int(ps.rows), ps.dataBytes)
		rd, err := openSpill(ps.path, r.l, 256<<10)
		if err != nil {
			return err
		}
		for err == nil {
			err = rd.next(b)
		}
		rd.close()
		if !isEOF(err) {
			return err
		}
		os.Remove(ps.path)
		if int64(b.rows) != ps.rows {
			return fmt.Errorf("BUG: part %d spilled %d rows, read back %d", p, ps.rows, b.rows)
		}
	}
	perm := sortOrder(b)
	w, err := createPart(r.paths[p], r.l, opts, r.cfg.RowGroupRows)
	if err != nil {
		return err
	}
	for pos := 0; pos < len(perm); pos += writeProgressRows {
		end := min(len(perm), pos+writeProgressRows)
		if err := ctx.Err(); err != nil {
			w.abort()
			return err
		}
		if err := w.write(b, perm[pos:end]); err != nil {
			w.abort()
			return err
		}
		r.written.Add(int64(end - pos))
		r.report()
	}
	return r.finishPart(p, w)
}

// finishPart closes part p's writer and records the file.
func (r *runState) finishPart(p int, w *partWriter) error {
	size, err := w.close()
	if err != nil {
		return err
	}
	r.sizes[p], r.groups[p], r.rows[p], r.temps[p] = size, w.groups, w.rows, w.tempPath()
	return nil
}

// sortExternal sorts part p with runs of about runBytes and merges them into the part.
func (r *runState) sortExternal(ctx context.Context, p int, opts []parquet.WriterOption, runBytes int64) error {
	ps := &r.parts[p]
	runBytes = max(runBytes, minRunBytes)
	blockBytes := min(max(runBytes/(3*maxFanIn), minRunBlockBytes), maxRunBlockBytes)
	fanIn := int(min(max(runBytes/(3*blockBytes), 2), maxFanIn))
	blockRows := int(max(blockBytes/max(ps.memBytes/max(ps.rows, 1), 1), 1))
	bufBytes := int(min(blockBytes, 64<<10))
	seq := 0
	newRun := func() (string, *runWriter, error) {
		path := filepath.Join(r.tmp, fmt.Sprintf("p%05d.run%d", p, seq))
		seq++
		w, err := createRun(path, r.l)
		return path, w, err
	}

	// Cut the spill into sorted runs.
	var runs []string
	chunk, out := newBatch(r.l), newBatch(r.l)
	writeRun := func() error {
		path, rw, err := newRun()
		if err != nil {
			return err
		}
		for _, i := range sortOrder(chunk) {
			out.appendRow(chunk, int(i))
			if out.rows == blockRows {
				if err = rw.write(out); err != nil {
					break
				}
				out.reset()
			}
		}
		if err == nil {
			err = rw.write(out)
		}
		out.reset()
		if cerr := rw.close(); err == nil {
			err = cerr
		}
		runs = append(runs, path)
		r.runFiles.Add(1)
		chunk.reset()
		return err
	}
	rd, err := openSpill(ps.path, r.l, bufBytes)
	if err != nil {
		return err
	}
	for {
		if err = ctx.Err(); err != nil {
			break
		}
		if err = rd.next(chunk); err != nil {
			break
		}
		if chunk.memBytes()+int64(chunk.rows)*sortBytesPerRow >= runBytes {
			if err = writeRun(); err != nil {
				break
			}
		}
	}
	rd.close()
	if !isEOF(err) {
		return err
	}
	os.Remove(ps.path)
	if chunk.rows > 0 {
		if err := writeRun(); err != nil {
			return err
		}
	}
	chunk.release()
	out.release()

	// Merge runs until at most fanIn are left.
	for len(runs) > fanIn {
		path, rw, err := newRun()
		if err != nil {
			return err
		}
		err = r.merge(ctx, runs[:fanIn], bufBytes, func() int { return blockRows }, rw.write)
		if cerr := rw.close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		for _, done := range runs[:fanIn] {
			os.Remove(done)
		}
		runs = append(slices.Clone(runs[fanIn:]), path)
		r.mergePasses.Add(1)
		r.runFiles.Add(1)
	}

	// Merge the rest into the part.
	w, err := createPart(r.paths[p], r.l, opts, r.cfg.RowGroupRows)
	if err != nil {
		return err
	}
	err = r.merge(ctx, runs, bufBytes, w.room, func(b *batch) error {
		if err := w.write(b, nil); err != nil {
			return err
		}
		r.written.Add(int64(b.rows))
		r.report()
		return nil
	})
	if err != nil {
		w.abort()
		return err
	}
	for _, done := range runs {
		os.Remove(done)
	}
	return r.finishPart(p, w)
}

// merge merges sorted run files and hands the rows to emit in batches of outRows() rows (the
// last one may be shorter). The batch is reused after emit returns.
func (r *runState) merge(ctx context.Context, paths []string, bufBytes int, outRows func() int, emit func(*batch) error) error {
	m := &merger{l: r.l, strGroup: r.l.cols[r.l.group].kind == kindBytes}
	defer m.close()
	for _, path := range paths {
		rd, err := openSpill(path, r.l, bufBytes)
		if err != nil {
			return err
		}
		c := &cursor{rd: rd, b: newBatch(r.l)}
		m.all = append(m.all, c)
		ok, err := m.load(c)
		if err != nil {
			return err
		}
		if ok {
			m.heap = append(m.heap, c)
		}
	}
	for i := len(m.heap)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	out := newBatch(r.l)
	for len(m.heap) > 0 {
		c := m.heap[0]
		out.appendRow(c.b, c.i)
		c.i++
		if c.i == c.b.rows {
			ok, err := m.load(c)
			if err != nil {
				return err
			}
			if !ok {
				last := len(m.heap) - 1
				m.heap[0] = m.heap[last]
				m.heap = m.heap[:last]
			}
		}
		if len(m.heap) > 0 {
			m.down(0)
		}
		if out.rows >= outRows() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := emit(out); err != nil {
				return err
			}
			out.reset()
		}
	}
	if out.rows > 0 {
		return emit(out)
	}
	return nil
}

// cursor is the current block of one run and the position in it.
type cursor struct {
	rd *spillReader
	b  *batch
	i  int
	gk []int64 // group keys of b (integer group columns)
	tk []int64 // timestamp keys of b
}

// merger is a min-heap of cursors by (group, timestamp, input position).
type merger struct {
	l        *layout
	strGroup bool
	heap     []*cursor
	all      []*cursor
}

// load reads c's next non-empty block; false at the end of its run.
func (m *merger) load(c *cursor) (bool, error) {
	for {
		c.b.reset()
		if err := c.rd.next(c.b); err != nil {
			if isEOF(err) {
				return false, nil
			}
			return false, err
		}
		if c.b.rows == 0 {
			continue
		}
		c.i = 0
		c.tk, _ = c.b.tsKeys(c.tk[:0])
		if !m.strGroup {
			c.gk = c.b.groupKeys(c.gk[:0])
		}
		return true, nil
	}
}

func (m *merger) less(a, b *cursor) bool {
	if m.strGroup {
		g := m.l.group
		if c := bytes.Compare(a.b.cols[g].bytesAt(a.i), b.b.cols[g].bytesAt(b.i)); c != 0 {
			return c < 0
		}
	} else if a.gk[a.i] != b.gk[b.i] {
		return a.gk[a.i] < b.gk[b.i]
	}
	if a.tk[a.i] != b.tk[b.i] {
		return a.tk[a.i] < b.tk[b.i]
	}
	return a.b.ord[a.i] < b.b.ord[b.i]
}

// down restores the heap order below position i.
func (m *merger) down(i int) {
	h := m.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		j := l
		if r := l + 1; r < len(h) && m.less(h[r], h[l]) {
			j = r
		}
		if !m.less(h[j], h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

func (m *merger) close() {
	for _, c := range m.all {
		c.rd.close()
	}
}

// sortEntry is one row's sort key and position.
type sortEntry struct {
	g, t, o int64
	i       uint32
}

func compareEntries(a, b sortEntry) int {
	if c := cmp.Compare(a.g, b.g); c != 0 {
		return c
	}
	if c := cmp.Compare(a.t, b.t); c != 0 {
		return c
	}
	return cmp.Compare(a.o, b.o)
}

// sortOrder returns the rows of b ordered by (group, timestamp, input position).
func sortOrder(b *batch) []uint32 {
	l := b.l
	entries := make([]sortEntry, b.rows)
	gcol, tcol := &l.cols[l.group], &l.cols[l.ts]
	if gcol.kind == kindBytes {
		ranks := stringRanks(&b.cols[l.group], b.rows)
		for i := range entries {
			entries[i].g = int64(ranks[i])
		}
	} else {
		for i, u := range b.cols[l.group].fixed {
			entries[i].g = intKey(gcol, u)
		}
	}
	for i, u := range b.cols[l.ts].fixed {
		entries[i].t, _ = tsKey(tcol, u) // NaN was rejected when read
		entries[i].o = b.ord[i]
		entries[i].i = uint32(i)
	}
	slices.SortFunc(entries, compareEntries)
	perm := make([]uint32, len(entries))
	for i := range entries {
		perm[i] = entries[i].i
	}
	return perm
}

// stringRanks returns, for each of the first rows byte arrays of c, its rank among the
// distinct values in byte order.
func stringRanks(c *colBuf, rows int) []uint32 {
	index := make(map[string]uint32)
	var distinct []string
	for i := range rows {
		v := c.bytesAt(i)
		if _, ok := index[string(v)]; !ok {
			s := string(v)
			index[s] = 0
			distinct = append(distinct, s)
		}
	}
	slices.Sort(distinct)
	for k, s := range distinct {
		index[s] = uint32(k)
	}
	ranks := make([]uint32, rows)
	for i := range rows {
		ranks[i] = index[string(c.bytesAt(i))]
	}
	return ranks
}

// isEOF reports the end of a spill file.
func isEOF(err error) bool { return errors.Is(err, io.EOF) }
