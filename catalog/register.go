package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/frocket/frocket/objstore"
	"github.com/frocket/frocket/scan"
)

// ValidationMode says which parts registration inspects.
type ValidationMode string

const (
	// ValidateSingle inspects the first part only.
	ValidateSingle ValidationMode = "SINGLE"
	// ValidateFirstLast inspects the first and the last part.
	ValidateFirstLast ValidationMode = "FIRST_LAST"
	// ValidateSample inspects the first and the last part and distinct random others (see Register).
	ValidateSample ValidationMode = "SAMPLE"
)

// DefaultPattern is the part pattern when RegisterArgs.Pattern is empty.
const DefaultPattern = "*.parquet"

// RegisterArgs are the arguments of a registration, as a client gives them.
type RegisterArgs struct {
	Name            string
	BasePath        string
	GroupColumn     string
	TimestampColumn string
	// Pattern selects the parts among the base path's objects (fnmatch rules, see objstore.Match);
	// default DefaultPattern.
	Pattern string
	// ValidationMode defaults to ValidateSample.
	ValidationMode ValidationMode
	// ValidateUniques asks for the check that no group id is in two sampled parts. Its zero value is
	// false, so callers set it (Funnel Rocket's default is true).
	ValidateUniques bool
}

// Validate fills in the defaults of Pattern and ValidationMode, then reports every problem of the
// arguments at once.
func (a *RegisterArgs) Validate() error {
	if a.Pattern == "" {
		a.Pattern = DefaultPattern
	}
	if a.ValidationMode == "" {
		a.ValidationMode = ValidateSample
	}
	var errs []error
	if err := ValidateName(a.Name); err != nil {
		errs = append(errs, err)
	}
	if a.BasePath == "" {
		errs = append(errs, errors.New("basepath is required"))
	} else if _, err := objstore.ParseLocation(a.BasePath); err != nil {
		errs = append(errs, err)
	}
	if a.GroupColumn == "" {
		errs = append(errs, errors.New("groupIdColumn is required"))
	}
	if a.TimestampColumn == "" {
		errs = append(errs, errors.New("timestampColumn is required"))
	}
	if a.GroupColumn != "" && a.GroupColumn == a.TimestampColumn {
		errs = append(errs, fmt.Errorf("groupIdColumn and timestampColumn are both %q", a.GroupColumn))
	}
	switch a.ValidationMode {
	case ValidateSingle, ValidateFirstLast, ValidateSample:
	default:
		errs = append(errs, fmt.Errorf("'%s' is not a valid validation mode: want SINGLE, FIRST_LAST or SAMPLE", a.ValidationMode))
	}
	return errors.Join(errs...)
}

// RegisterConfig tunes registration.
type RegisterConfig struct {
	// SampleRatio and SampleMax size a SAMPLE: min(floor(parts*SampleRatio), SampleMax) parts, but
	// never fewer than the first and the last.
	SampleRatio float64
	SampleMax   int
	// CategoricalRatio is the highest distinct/rows ratio of a categorical string column.
	CategoricalRatio float64
	// TopCount is how many top values a categorical column keeps (0: none), and TopMinPct the least
	// share of rows a kept value has.
	TopCount  int
	TopMinPct float64
	// Concurrency is how many parts are inspected at once; 0 means GOMAXPROCS.
	Concurrency int
	// Rand draws the SAMPLE parts; nil means a generator seeded from the clock. It is used by the
	// calling goroutine only.
	Rand *rand.Rand
}

// DefaultRegisterConfig returns Funnel Rocket's defaults.
func DefaultRegisterConfig() RegisterConfig {
	return RegisterConfig{
		SampleRatio:      0.1,
		SampleMax:        10,
		CategoricalRatio: 0.1,
		TopCount:         20,
		TopMinPct:        0.01,
		Concurrency:      runtime.GOMAXPROCS(0),
	}
}

// Validate reports every problem of the config at once.
func (c RegisterConfig) Validate() error {
	var errs []error
	if !(c.SampleRatio >= 0 && c.SampleRatio <= 1) {
		errs = append(errs, fmt.Errorf("sample ratio %v is not in [0, 1]", c.SampleRatio))
	}
	if c.SampleMax < 0 {
		errs = append(errs, fmt.Errorf("sample max %d is negative", c.SampleMax))
	}
	if !(c.CategoricalRatio >= 0 && c.CategoricalRatio <= 1) {
		errs = append(errs, fmt.Errorf("categorical ratio %v is not in [0, 1]", c.CategoricalRatio))
	}
	if c.TopCount < 0 {
		errs = append(errs, fmt.Errorf("top count %d is negative", c.TopCount))
	}
	if !(c.TopMinPct >= 0 && c.TopMinPct <= 1) {
		errs = append(errs, fmt.Errorf("top min pct %v is not in [0, 1]", c.TopMinPct))
	}
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("concurrency %d is negative", c.Concurrency))
	}
	return errors.Join(errs...)
}

// Register discovers the parts, inspects the sampled ones in parallel, checks schema equality and
// group-id uniqueness across them, merges the schema, and returns the Dataset (not stored: the caller
// Puts it).
//
// One part means SINGLE and no uniqueness check; two parts turn SAMPLE into FIRST_LAST. SAMPLE
// inspects the first part, the last, and max(min(floor(n*SampleRatio), SampleMax)-2, 0) further
// distinct parts drawn at random. Errors about a part name it.
func Register(ctx context.Context, b objstore.Bucket, args RegisterArgs, cfg RegisterConfig) (*Dataset, error) {
	return RegisterWithProgress(ctx, b, args, cfg, nil)
}

// InspectProgress is told, one call at a time, how many of the sampled parts have been inspected;
// the first call (done 0) comes once the parts are discovered.
type InspectProgress func(done, total int)

// RegisterWithProgress is Register reporting the inspection of the sampled parts to progress (may
// be nil).
func RegisterWithProgress(ctx context.Context, b objstore.Bucket, args RegisterArgs, cfg RegisterConfig, progress InspectProgress) (*Dataset, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("register config: %w", err)
	}
	objs, err := b.List(ctx, args.Pattern)
	if err != nil {
		return nil, fmt.Errorf("discover parts in %s: %w", args.BasePath, err)
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("no files found at %s matching %s", args.BasePath, args.Pattern)
	}
	parts := make([]Part, len(objs))
	for i, o := range objs {
		parts[i] = Part{Name: o.Name, Size: o.Size}
	}
	slices.SortFunc(parts, func(a, b Part) int { return strings.Compare(a.Name, b.Name) })

	mode, uniques := args.ValidationMode, args.ValidateUniques
	switch {
	case len(parts) == 1:
		mode, uniques = ValidateSingle, false
	case len(parts) == 2 && mode == ValidateSample:
		mode = ValidateFirstLast
	}
	rng := cfg.Rand
	if rng == nil {
		now := uint64(time.Now().UnixNano())
		rng = rand.New(rand.NewPCG(now, now>>32|now<<32))
	}
	idx := sampleIndexes(len(parts), mode, cfg, rng)

	if progress == nil {
		progress = func(int, int) {}
	}
	progress(0, len(idx))
	sampled, err := inspectParts(ctx, b, args, parts, idx, cfg, progress)
	if err != nil {
		return nil, err
	}
	if err := compareSchemas(sampled); err != nil {
		return nil, err
	}
	if uniques {
		if err := checkUniques(sampled); err != nil {
			return nil, err
		}
	}
	schema, err := mergeSchema(args.GroupColumn, args.TimestampColumn, sampled, cfg)
	if err != nil {
		return nil, err
	}
	return &Dataset{
		Name:            args.Name,
		BasePath:        args.BasePath,
		Pattern:         args.Pattern,
		GroupColumn:     args.GroupColumn,
		TimestampColumn: args.TimestampColumn,
		RegisteredAt:    time.Now().UTC().Truncate(time.Microsecond),
		Parts:           parts,
		Schema:          schema,
	}, nil
}

// sampleIndexes returns the ascending indexes of the parts to inspect, all distinct.
func sampleIndexes(n int, mode ValidationMode, cfg RegisterConfig, rng *rand.Rand) []int {
	switch {
	case n <= 0:
		return nil
	case n == 1 || mode == ValidateSingle:
		return []int{0}
	case mode == ValidateFirstLast:
		return []int{0, n - 1}
	}
	want := min(int(float64(n)*cfg.SampleRatio), cfg.SampleMax)
	extra := min(max(want-2, 0), n-2)
	// Floyd's algorithm: extra distinct values from the inner parts 1..n-2.
	chosen := make(map[int]bool, extra)
	inner := n - 2
	for j := inner - extra; j < inner; j++ {
		t := rng.IntN(j + 1)
		if chosen[t] {
			t = j
		}
		chosen[t] = true
	}
	idx := []int{0, n - 1}
	for t := range chosen {
		idx = append(idx, t+1)
	}
	slices.Sort(idx)
	return idx
}

// sampledPart is one inspected part.
type sampledPart struct {
	path   string // the base path joined with the part's name, for messages
	schema *scan.FileSchema
}

// inspectParts inspects parts[idx...] with up to cfg.Concurrency goroutines. On failure it stops
// starting new inspections and returns the error of the lowest failing index.
func inspectParts(ctx context.Context, b objstore.Bucket, args RegisterArgs, parts []Part, idx []int, cfg RegisterConfig, progress InspectProgress) ([]sampledPart, error) {
	var mu sync.Mutex
	done := 0
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	topN := cfg.TopCount * 3 / 2 // Funnel Rocket's grace factor of 1.5, floored
	out := make([]sampledPart, len(idx))
	errs := make([]error, len(idx))
	workers := cfg.Concurrency
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(idx))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				name := parts[idx[k]].Name
				p := partPath(args.BasePath, name)
				if err := ctx.Err(); err != nil {
					errs[k] = fmt.Errorf("part %s: %w", p, err)
					continue
				}
				fs, err := inspectPart(ctx, b, name, p, args.GroupColumn, args.TimestampColumn, topN)
				if err != nil {
					errs[k] = namePart(err, p, name)
					cancel()
					continue
				}
				out[k] = sampledPart{path: p, schema: fs}
				mu.Lock()
				done++
				progress(done, len(idx))
				mu.Unlock()
			}
		}()
	}
	for k := range idx {
		next <- k
	}
	close(next)
	wg.Wait()
	// Prefer a real failure over the cancellations it caused.
	var canceled error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			if canceled == nil {
				canceled = err
			}
		default:
			return nil, err
		}
	}
	if canceled != nil {
		return nil, canceled
	}
	return out, nil
}

func inspectPart(ctx context.Context, b objstore.Bucket, name, path, group, ts string, topN int) (*scan.FileSchema, error) {
	var (
		f      *scan.File
		closer io.Closer
		err    error
	)
	if lp := b.LocalPath(name); lp != "" {
		f, closer, err = scan.OpenPath(lp)
	} else {
		var r objstore.ReaderAtCloser
		var size int64
		r, size, err = b.Open(ctx, name)
		if err == nil {
			closer = r
			f, err = scan.Open(r, size, path)
		}
	}
	if closer != nil {
		defer closer.Close()
	}
	if err != nil {
		return nil, err
	}
	return f.Inspect(group, ts, topN)
}

// namePart makes sure err names the part: scan's errors already name the file they were opened
// with, and are not prefixed a second time.
func namePart(err error, path, name string) error {
	if strings.Contains(err.Error(), name) {
		return err
	}
	return fmt.Errorf("part %s: %w", path, err)
}

// partPath joins a base path and a relative part name for messages.
func partPath(base, name string) string {
	return strings.TrimSuffix(base, "/") + "/" + name
}
