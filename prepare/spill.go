package prepare

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/parquet-go/parquet-go"
)

// errBadSpill is wrapped by errors of malformed spill files (see Format in the package doc).
var errBadSpill = errors.New("malformed spill block")

// maxBlockBytes bounds the raw size of one spill block.
const maxBlockBytes = 1 << 31

// blockCodec encodes and decodes spill blocks, reusing its buffers.
type blockCodec struct {
	l    *layout
	raw  []byte
	comp []byte
}

// encode appends the block holding the rows of b to dst.
func (e *blockCodec) encode(dst []byte, b *batch) ([]byte, error) {
	raw := e.raw[:0]
	for c := range e.l.cols {
		col := &e.l.cols[c]
		cb := &b.cols[c]
		if col.optional {
			raw = appendBitmap(raw, cb.nulls)
		}
		switch col.kind {
		case kindBool:
			for _, v := range cb.fixed {
				raw = append(raw, byte(v))
			}
		case kindInt32, kindFloat:
			for _, v := range cb.fixed {
				raw = binary.LittleEndian.AppendUint32(raw, uint32(v))
			}
		case kindInt64, kindDouble:
			for _, v := range cb.fixed {
				raw = binary.LittleEndian.AppendUint64(raw, v)
			}
		case kindBytes:
			for i := range b.rows {
				n := cb.offs[i+1] - cb.offs[i]
				if n > math.MaxUint32 {
					return dst, fmt.Errorf("column %q: a value of %d bytes is too long", col.name, n)
				}
				raw = binary.LittleEndian.AppendUint32(raw, uint32(n))
			}
			raw = append(raw, cb.data[cb.offs[0]:cb.offs[b.rows]]...)
		}
	}
	for _, v := range b.ord {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
	}
	if len(raw) > maxBlockBytes {
		return dst, fmt.Errorf("spill block of %d bytes is too large", len(raw))
	}
	e.raw = raw
	comp, err := parquet.Snappy.Encode(e.comp[:0], raw)
	if err != nil {
		return dst, fmt.Errorf("compress spill block: %w", err)
	}
	e.comp = comp
	dst = binary.AppendUvarint(dst, uint64(b.rows))
	dst = binary.AppendUvarint(dst, uint64(len(raw)))
	dst = binary.AppendUvarint(dst, uint64(len(comp)))
	return append(dst, comp...), nil
}

func appendBitmap(dst []byte, bits []bool) []byte {
	start := len(dst)
	for range (len(bits) + 7) / 8 {
		dst = append(dst, 0)
	}
	out := dst[start:]
	for i, v := range bits {
		if v {
			out[i>>3] |= 1 << (uint(i) & 7)
		}
	}
	return dst
}

// read reads the next block from r and appends its rows to b. It returns io.EOF when r is at
// its end before a block.
func (e *blockCodec) read(r *bufio.Reader, b *batch) error {
	rows, err := binary.ReadUvarint(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return fmt.Errorf("read spill block: %w", err)
	}
	rawLen, err := binary.ReadUvarint(r)
	if err != nil {
		return fmt.Errorf("read spill block: %w", noEOF(err))
	}
	compLen, err := binary.ReadUvarint(r)
	if err != nil {
		return fmt.Errorf("read spill block: %w", noEOF(err))
	}
	if rawLen > maxBlockBytes || compLen > maxBlockBytes || rows > rawLen/8 {
		return fmt.Errorf("%w: %d rows, %d raw bytes, %d compressed", errBadSpill, rows, rawLen, compLen)
	}
	if cap(e.comp) < int(compLen) {
		e.comp = make([]byte, compLen)
	}
	comp := e.comp[:compLen]
	if _, err := io.ReadFull(r, comp); err != nil {
		return fmt.Errorf("read spill block: %w", noEOF(err))
	}
	if cap(e.raw) < int(rawLen) {
		e.raw = make([]byte, rawLen)
	}
	raw, err := parquet.Snappy.Decode(e.raw[:rawLen], comp)
	if err != nil {
		return fmt.Errorf("%w: %w", errBadSpill, err)
	}
	if len(raw) != int(rawLen) {
		return fmt.Errorf("%w: %d raw bytes, header says %d", errBadSpill, len(raw), rawLen)
	}
	return e.decode(raw, int(rows), b)
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decode appends the rows of one raw block to b.
func (e *blockCodec) decode(raw []byte, rows int, b *batch) error {
	short := func() error {
		return fmt.Errorf("%w: block of %d rows ends early", errBadSpill, rows)
	}
	take := func(n int) ([]byte, bool) {
		if n < 0 || n > len(raw) {
			return nil, false
		}
		p := raw[:n]
		raw = raw[n:]
		return p, true
	}
	b.grow(rows, nil)
	for c := range e.l.cols {
		col := &e.l.cols[c]
		cb := &b.cols[c]
		if col.optional {
			bm, ok := take((rows + 7) / 8)
			if !ok {
				return short()
			}
			for i := range rows {
				cb.nulls = append(cb.nulls, bm[i>>3]>>(uint(i)&7)&1 != 0)
			}
		}
		if col.kind == kindBytes {
			lens, ok := take(rows * 4)
			if !ok {
				return short()
			}
			total := 0
			for i := range rows {
				total += int(binary.LittleEndian.Uint32(lens[i*4:]))
			}
			data, ok := take(total)
			if !ok {
				return short()
			}
			pos := 0
			base := len(cb.data)
			cb.data = append(cb.data, data...)
			for i := range rows {
				pos += int(binary.LittleEndian.Uint32(lens[i*4:]))
				cb.offs = append(cb.offs, base+pos)
			}
			continue
		}
		w := col.kind.width()
		vals, ok := take(rows * w)
		if !ok {
			return short()
		}
		switch w {
		case 1:
			for _, v := range vals {
				cb.fixed = append(cb.fixed, uint64(v))
			}
		case 4:
			for i := 0; i < len(vals); i += 4 {
				cb.fixed = append(cb.fixed, uint64(binary.LittleEndian.Uint32(vals[i:])))
			}
		default:
			for i := 0; i < len(vals); i += 8 {
				cb.fixed = append(cb.fixed, binary.LittleEndian.Uint64(vals[i:]))
			}
		}
	}
	ords, ok := take(rows * 8)
	if !ok {
		return short()
	}
	for i := 0; i < len(ords); i += 8 {
		b.ord = append(b.ord, int64(binary.LittleEndian.Uint64(ords[i:])))
	}
	if len(raw) != 0 {
		return fmt.Errorf("%w: %d bytes left after a block of %d rows", errBadSpill, len(raw), rows)
	}
	b.rows += rows
	return nil
}

// spillReader reads the blocks of one spill or run file.
type spillReader struct {
	f     *os.File
	br    *bufio.Reader
	codec blockCodec
}

func openSpill(path string, l *layout, bufBytes int) (*spillReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open spill: %w", err)
	}
	return &spillReader{f: f, br: bufio.NewReaderSize(f, bufBytes), codec: blockCodec{l: l}}, nil
}

// next appends the next block's rows to b; io.EOF at the end.
func (r *spillReader) next(b *batch) error {
	err := r.codec.read(r.br, b)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", r.f.Name(), err)
	}
	return err
}

func (r *spillReader) close() error { return r.f.Close() }

// runWriter writes sorted rows as blocks of a run file.
type runWriter struct {
	f     *os.File
	bw    *bufio.Writer
	codec blockCodec
	buf   []byte
}

func createRun(path string, l *layout) (*runWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create run: %w", err)
	}
	return &runWriter{f: f, bw: bufio.NewWriterSize(f, 64<<10), codec: blockCodec{l: l}}, nil
}

// write appends the rows of b as one block.
func (w *runWriter) write(b *batch) error {
	if b.rows == 0 {
		return nil
	}
	var err error
	w.buf, err = w.codec.encode(w.buf[:0], b)
	if err != nil {
		return err
	}
	if _, err := w.bw.Write(w.buf); err != nil {
		return fmt.Errorf("write run %s: %w", w.f.Name(), err)
	}
	return nil
}

func (w *runWriter) close() error {
	err := w.bw.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write run %s: %w", w.f.Name(), err)
	}
	return nil
}
