package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
)

// SortedMetadataKey is the key-value metadata entry written in sorted parts;
// its value names the sort columns ("userId,timestamp").
const SortedMetadataKey = "frocket.sorted"

// rowTail holds the columns common to every row layout, after userId and
// timestamp. Optional columns are pointers (nil is null) into the read-only
// tables, so filling a row allocates nothing. Pointers, not zero values with
// the optional tag: parquet-go v0.32.0 mis-writes runs of zero values after
// a non-zero one in that path (nulls come out as non-null zeros).
type rowTail struct {
	EventType  string   `parquet:"eventType,dict"`
	URL        string   `parquet:"url,dict"`
	Browser    string   `parquet:"browser,dict"`
	Country    string   `parquet:"country,dict"`
	Device     string   `parquet:"device,dict"`
	SKU        *string  `parquet:"sku,dict"`
	Price      *float64 `parquet:"price"`
	Quantity   *int64   `parquet:"quantity"`   // delta: see encode
	CampaignID *int64   `parquet:"campaignId"` // delta: see encode
	LoggedIn   bool     `parquet:"loggedIn"`
}

type rowIntMillis struct {
	UserID    int64 `parquet:"userId,delta"`
	Timestamp int64 `parquet:"timestamp,delta,uncompressed"`
	rowTail
}

type rowIntSeconds struct {
	UserID    int64   `parquet:"userId,delta"`
	Timestamp float64 `parquet:"timestamp"`
	rowTail
}

type rowStringMillis struct {
	UserID    string `parquet:"userId,dict"`
	Timestamp int64  `parquet:"timestamp,delta,uncompressed"`
	rowTail
}

type rowStringSeconds struct {
	UserID    string  `parquet:"userId,dict"`
	Timestamp float64 `parquet:"timestamp"`
	rowTail
}

// writeBatchRows is the number of rows converted and handed to the parquet
// writer at a time.
const writeBatchRows = 4096

// progressEveryRows is how many rows a worker writes between progress reports.
const progressEveryRows = 64 * 1024

// partWriter generates and writes parts; one per worker, reused across parts.
type partWriter struct {
	cfg     *GenConfig
	plan    *userPlan
	t       *tables
	prog    *progress
	gen     userGen
	events  []event
	userIDs []int64  // user numbers of the current part, by local index
	userStr []string // their string ids, when StringUserIDs
}

// write generates part p and writes it atomically; it returns the path and size.
func (w *partWriter) write(ctx context.Context, p int) (string, int64, error) {
	if err := ctx.Err(); err != nil {
		return "", 0, err
	}
	cfg := w.cfg
	users := w.plan.byPart[w.plan.partStart[p]:w.plan.partStart[p+1]]
	w.events = w.events[:0]
	w.userIDs = w.userIDs[:0]
	w.userStr = w.userStr[:0]
	for i, u := range users {
		w.events = w.gen.appendUser(w.events, uint64(u), uint32(i), int(w.plan.counts[u]))
		w.userIDs = append(w.userIDs, int64(u))
		if cfg.StringUserIDs {
			w.userStr = append(w.userStr, StringUserID(int64(u)))
		}
	}
	if cfg.Unsorted {
		shuffleEvents(w.events, newRNG(cfg.Seed, uint64(p), streamShuffle))
	}

	final := partPath(cfg.OutDir, p)
	f, err := os.CreateTemp(cfg.OutDir, "."+filepath.Base(final)+".tmp*")
	if err != nil {
		return "", 0, fmt.Errorf("create part %d: %w", p, err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := w.encode(ctx, bw); err != nil {
		return "", 0, fmt.Errorf("write part %d: %w", p, err)
	}
	if err := bw.Flush(); err != nil {
		return "", 0, fmt.Errorf("write part %d: %w", p, err)
	}
	// CreateTemp makes the file private; parts are ordinary data files.
	if err := f.Chmod(0o644); err != nil {
		return "", 0, fmt.Errorf("chmod part %d: %w", p, err)
	}
	if err := f.Sync(); err != nil {
		return "", 0, fmt.Errorf("sync part %d: %w", p, err)
	}
	info, err := f.Stat()
	if err != nil {
		return "", 0, fmt.Errorf("stat part %d: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return "", 0, fmt.Errorf("close part %d: %w", p, err)
	}
	if err := os.Rename(f.Name(), final); err != nil {
		os.Remove(f.Name())
		done = true
		return "", 0, fmt.Errorf("rename part %d: %w", p, err)
	}
	done = true
	return final, info.Size(), nil
}

// shuffleEvents permutes events uniformly (Fisher-Yates).
func shuffleEvents(evs []event, r rng) {
	for i := len(evs) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		evs[i], evs[j] = evs[j], evs[i]
	}
}

// encode writes the current part's events as a parquet file to out, in the
// row layout the config asks for.
func (w *partWriter) encode(ctx context.Context, out io.Writer) error {
	cfg := w.cfg
	opts := []parquet.WriterOption{
		parquet.Compression(&parquet.Snappy),
		// Struct tags cannot ask for delta on pointer fields: make it the
		// default for every int64 column instead.
		parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked),
		parquet.MaxRowsPerRowGroup(int64(cfg.RowGroupRows)),
		parquet.CreatedBy("frocket gen", "1", "none"),
	}
	if !cfg.Unsorted {
		opts = append(opts,
			parquet.SortingWriterConfig(parquet.SortingColumns(
				parquet.Ascending("userId"), parquet.Ascending("timestamp"))),
			parquet.KeyValueMetadata(SortedMetadataKey, "userId,timestamp"))
	}
	t := w.t
	tail := func(d *rowTail, e *event) {
		*d = rowTail{
			EventType: t.eventTypes[e.kind],
			URL:       t.urls[e.url],
			Browser:   t.browsers[e.browser],
			Country:   t.countries[e.country],
			Device:    t.devices[e.device],
			LoggedIn:  e.loggedIn,
		}
		if e.product != 0 {
			d.SKU = &t.skus[e.product-1]
			d.Price = &t.prices[e.product-1]
			d.Quantity = &t.quantities[e.quantity]
		}
		if e.campaign != 0 {
			d.CampaignID = &t.campaignIDs[e.campaign-1]
		}
	}
	ids, strs := w.userIDs, w.userStr
	switch {
	case !cfg.StringUserIDs && !cfg.FloatTimestamps:
		return writeRows(ctx, w, out, opts, func(d *rowIntMillis, e *event) {
			d.UserID, d.Timestamp = ids[e.user], e.ts
			tail(&d.rowTail, e)
		})
	case !cfg.StringUserIDs:
		return writeRows(ctx, w, out, opts, func(d *rowIntSeconds, e *event) {
			d.UserID, d.Timestamp = ids[e.user], float64(e.ts)/1000
			tail(&d.rowTail, e)
		})
	case !cfg.FloatTimestamps:
		return writeRows(ctx, w, out, opts, func(d *rowStringMillis, e *event) {
			d.UserID, d.Timestamp = strs[e.user], e.ts
			tail(&d.rowTail, e)
		})
	default:
		return writeRows(ctx, w, out, opts, func(d *rowStringSeconds, e *event) {
			d.UserID, d.Timestamp = strs[e.user], float64(e.ts)/1000
			tail(&d.rowTail, e)
		})
	}
}

// writeRows converts the part's events to rows of type T in batches and
// writes them, closing a row group every cfg.RowGroupRows rows.
func writeRows[T any](ctx context.Context, w *partWriter, out io.Writer, opts []parquet.WriterOption, fill func(*T, *event)) error {
	pw := parquet.NewGenericWriter[T](out, opts...)
	batch := make([]T, writeBatchRows)
	evs := w.events
	rowGroup := w.cfg.RowGroupRows
	inGroup := 0
	var unreported int64
	for len(evs) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(evs), len(batch), rowGroup-inGroup)
		for i := range n {
			fill(&batch[i], &evs[i])
		}
		if _, err := pw.Write(batch[:n]); err != nil {
			return err
		}
		evs = evs[n:]
		inGroup += n
		if inGroup == rowGroup {
			if err := pw.Flush(); err != nil {
				return err
			}
			inGroup = 0
		}
		if unreported += int64(n); unreported >= progressEveryRows {
			w.prog.add(unreported)
			unreported = 0
		}
	}
	if err := pw.Close(); err != nil {
		return err
	}
	w.prog.add(unreported)
	return nil
}
