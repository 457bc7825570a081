package prepare

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// mapTask is one input row group.
type mapTask struct {
	file     int
	rowGroup int
	firstRow int64 // input position of its first row
	rows     int64
}

// mapPass reads every input row group and spills its rows by output part.
func (r *runState) mapPass(ctx context.Context) error {
	var tasks []mapTask
	for f, in := range r.inputs {
		pos := in.firstRow
		for g, n := range in.rowGroups {
			if n > 0 {
				tasks = append(tasks, mapTask{file: f, rowGroup: g, firstRow: pos, rows: n})
			}
			pos += n
		}
	}
	r.sample = newSampler(r.l, int64(r.cfg.RowGroupRows))
	workers := max(1, min(r.cfg.Workers, len(tasks)))
	mappers := make([]*mapper, workers)
	for w := range mappers {
		mappers[w] = &mapper{
			r:     r,
			dec:   decoder{l: r.l},
			in:    newBatch(r.l),
			parts: make([]*batch, r.cfg.Files),
			share: r.cfg.MemoryBytes / int64(workers),
			codec: blockCodec{l: r.l},
			file:  -1,
		}
	}
	err := parallel(ctx, len(tasks), workers, func(ctx context.Context, w, i int) error {
		return mappers[w].process(&tasks[i])
	})
	for _, m := range mappers {
		m.closeFile()
	}
	if err != nil {
		return err
	}
	err = parallel(ctx, len(mappers), workers, func(_ context.Context, _, i int) error {
		err := mappers[i].flush()
		mappers[i] = nil // its buffers are no longer needed
		return err
	})
	if err != nil {
		return err
	}
	distinct, sampled := r.sample.counts()
	r.l.chooseDictionaries(distinct, sampled)
	return nil
}

// mapper is one map worker's state.
type mapper struct {
	r        *runState
	dec      decoder
	in       *batch
	parts    []*batch // by output part, created on first use
	part     []int32  // output part of each row of in
	buffered int64    // bytes in parts
	share    int64    // bytes parts may hold before they are spilled
	codec    blockCodec
	enc      []byte

	file int // index of the open input, or -1
	fh   *os.File
	pf   *parquet.File
}

func (m *mapper) process(t *mapTask) error {
	in := &m.r.inputs[t.file]
	if err := m.openFile(t.file); err != nil {
		return err
	}
	rgs := m.pf.RowGroups()
	if t.rowGroup >= len(rgs) || rgs[t.rowGroup].NumRows() != t.rows {
		return fmt.Errorf("read %s: row group %d changed since the inputs were listed", in.path, t.rowGroup)
	}
	b := m.in
	b.reset()
	if err := m.dec.decodeRowGroup(rgs[t.rowGroup], b); err != nil {
		return fmt.Errorf("read %s, row group %d: %w", in.path, t.rowGroup, err)
	}
	for i := range b.rows {
		b.ord = append(b.ord, t.firstRow+int64(i))
	}
	if err := m.checkKeys(b, in.path, t.rowGroup); err != nil {
		return err
	}
	m.r.sample.add(b)

	files := m.r.cfg.Files
	m.part = m.part[:0]
	for i := range b.rows {
		p := b.partOf(i, files)
		if m.parts[p] == nil {
			m.parts[p] = newBatch(m.r.l)
		}
		m.part = append(m.part, int32(p))
	}
	b.scatter(m.part, m.parts)
	m.buffered += b.memBytes()
	m.r.read.Add(int64(b.rows))
	m.r.report()
	// Buffers grow by doubling: spilling at half the share keeps their capacity within it.
	if m.buffered >= m.share/2 {
		return m.flush()
	}
	return nil
}

// checkKeys rejects null group ids and null or NaN timestamps.
func (m *mapper) checkKeys(b *batch, path string, rowGroup int) error {
	l := m.r.l
	for _, c := range []int{l.group, l.ts} {
		col := &l.cols[c]
		if col.optional && b.rows > 0 {
			for _, null := range b.cols[c].nulls {
				if null {
					return fmt.Errorf("read %s, row group %d: column %q has null values", path, rowGroup, col.name)
				}
			}
		}
	}
	if k := l.cols[l.ts].kind; k == kindFloat || k == kindDouble {
		col := &l.cols[l.ts]
		for _, u := range b.cols[l.ts].fixed {
			if _, ok := tsKey(col, u); !ok {
				return fmt.Errorf("read %s, row group %d: column %q has NaN values", path, rowGroup, col.name)
			}
		}
	}
	return nil
}

// flush appends every non-empty part buffer to its spill file as one block.
func (m *mapper) flush() error {
	limit := 2 * m.share / int64(len(m.parts))
	for p, b := range m.parts {
		if b == nil || b.rows == 0 {
			continue
		}
		if err := m.r.spill(p, b, &m.codec, &m.enc); err != nil {
			return err
		}
		if b.capBytes() > limit {
			m.parts[p] = nil // let an unusually large buffer go
		} else {
			b.reset()
		}
	}
	m.buffered = 0
	return nil
}

func (m *mapper) openFile(f int) error {
	if m.file == f {
		return nil
	}
	m.closeFile()
	path := m.r.inputs[f].path
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open input %s: %w", path, err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return fmt.Errorf("open input %s: %w", path, err)
	}
	pf, err := openParquet(fh, st.Size())
	if err != nil {
		fh.Close()
		return fmt.Errorf("open input %s: %w", path, err)
	}
	m.file, m.fh, m.pf = f, fh, pf
	return nil
}

func openParquet(fh *os.File, size int64) (pf *parquet.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			pf, err = nil, fmt.Errorf("%w: %v", errCorrupt, p)
		}
	}()
	return parquet.OpenFile(fh, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(256<<10))
}

func (m *mapper) closeFile() {
	if m.fh != nil {
		m.fh.Close()
	}
	m.file, m.fh, m.pf = -1, nil, nil
}

// spill appends the rows of b to part p's spill file as one block.
func (r *runState) spill(p int, b *batch, codec *blockCodec, enc *[]byte) error {
	var err error
	*enc, err = codec.encode((*enc)[:0], b)
	if err != nil {
		return fmt.Errorf("spill part %d: %w", p, err)
	}
	ps := &r.parts[p]
	ps.mu.Lock()
	defer ps.mu.Unlock()
	f, err := os.OpenFile(ps.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("spill part %d: %w", p, err)
	}
	_, err = f.Write(*enc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spill part %d: %w", p, err)
	}
	ps.rows += int64(b.rows)
	ps.memBytes += b.memBytes()
	for c := range b.cols {
		ps.dataBytes[c] += int64(len(b.cols[c].data))
	}
	ps.blocks++
	return nil
}

// capBytes returns the bytes the batch's buffers hold, used or not.
func (b *batch) capBytes() int64 {
	n := int64(cap(b.ord)) * 8
	for i := range b.cols {
		c := &b.cols[i]
		n += int64(cap(c.fixed))*8 + int64(cap(c.data)) + int64(cap(c.offs))*8 + int64(cap(c.nulls))
	}
	return n
}

// sampler counts the distinct values of the string columns among the first rows of the input
// (by input position), to choose their encoding.
type sampler struct {
	mu    sync.Mutex
	limit int64 // rows with input position below limit are sampled
	ncols int
	cols  []int
	seen  []map[string]struct{}
	rows  int64
}

func newSampler(l *layout, limit int64) *sampler {
	s := &sampler{limit: limit, ncols: len(l.cols), cols: l.sampleColumns()}
	for range s.cols {
		s.seen = append(s.seen, make(map[string]struct{}))
	}
	return s
}

// add counts the rows of b that are in the sample.
func (s *sampler) add(b *batch) {
	if len(s.cols) == 0 || b.rows == 0 || b.ord[0] >= s.limit {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, ord := range b.ord {
		if ord >= s.limit {
			continue
		}
		s.rows++
		for k, c := range s.cols {
			cb := &b.cols[c]
			if b.l.cols[c].optional && cb.nulls[i] {
				continue
			}
			v := cb.bytesAt(i)
			if _, ok := s.seen[k][string(v)]; !ok {
				s.seen[k][string(v)] = struct{}{}
			}
		}
	}
}

// counts returns the distinct values per column (indexed like layout.cols) and the rows sampled.
func (s *sampler) counts() ([]int, int64) {
	out := make([]int, s.ncols)
	for k, c := range s.cols {
		out[c] = len(s.seen[k])
	}
	return out, s.rows
}
