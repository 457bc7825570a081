package server

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"time"
)

// JobStats is the stats object of a job result, shaped as Funnel Rocket's. Times are in seconds.
type JobStats struct {
	TotalTime float64       `json:"totalTime"`
	Invoker   *InvokerStats `json:"invoker,omitempty"`
	Worker    *WorkerStats  `json:"worker,omitempty"`
	Dataset   *DatasetStats `json:"dataset,omitempty"`
	Cost      *float64      `json:"cost,omitempty"`
}

// InvokerStats describes how the tasks were dispatched and awaited.
type InvokerStats struct {
	EnqueueTime         float64        `json:"enqueueTime"`
	PollTime            float64        `json:"pollTime"`
	TotalTasks          int            `json:"totalTasks"`
	FailedTasks         int            `json:"failedTasks"`
	TaskSuccessOverTime map[string]int `json:"taskSuccessOverTime,omitempty"`
}

// WorkerStats sums what the successful task attempts reported.
type WorkerStats struct {
	ColdTasks     int          `json:"coldTasks"`
	WarmTasks     int          `json:"warmTasks"`
	InvokeLatency *TimingStats `json:"invokeLatency,omitempty"`
	LoadTime      *TimingStats `json:"loadTime,omitempty"`
	TotalTime     *TimingStats `json:"totalTime,omitempty"`
	ScannedRows   int64        `json:"scannedRows"`
	ScannedGroups int64        `json:"scannedGroups"`
	Cache         CacheStats   `json:"cache"`
}

// CacheStats counts where the tasks' parts were read from.
type CacheStats struct {
	Source    int `json:"source"`
	DiskCache int `json:"diskCache"`
}

// DatasetStats describes the parts a job covered.
type DatasetStats struct {
	TotalSize int64 `json:"totalSize"`
	Parts     int   `json:"parts"`
}

// TimingStats summarises durations: min, mean, max and percentiles keyed like "50%".
type TimingStats struct {
	Min, Mean, Max float64
	Percentiles    []Percentile
}

// Percentile is one percentile of a TimingStats.
type Percentile struct {
	Q     float64 // in (0, 1)
	Value float64
}

// MarshalJSON writes {"min":..,"mean":..,"max":..,"25%":..,...}.
func (t *TimingStats) MarshalJSON() ([]byte, error) {
	b := []byte(`{"min":`)
	b = strconv.AppendFloat(b, t.Min, 'g', -1, 64)
	b = append(b, `,"mean":`...)
	b = strconv.AppendFloat(b, t.Mean, 'g', -1, 64)
	b = append(b, `,"max":`...)
	b = strconv.AppendFloat(b, t.Max, 'g', -1, 64)
	for _, p := range t.Percentiles {
		k, _ := json.Marshal(strconv.FormatFloat(p.Q*100, 'g', -1, 64) + "%")
		b = append(b, ',')
		b = append(b, k...)
		b = append(b, ':')
		b = strconv.AppendFloat(b, p.Value, 'g', -1, 64)
	}
	return append(b, '}'), nil
}

// DefaultPercentiles are FROCKET_STATS_TIMING_PERCENTILES' default.
var DefaultPercentiles = []float64{0.25, 0.5, 0.75, 0.95, 0.99}

// NewTimingStats summarises samples (seconds) as Funnel Rocket did: below 20 samples only the median
// is given, below 100 the 99th percentile is left out. Percentiles interpolate linearly.
func NewTimingStats(samples []float64, percentiles []float64) *TimingStats {
	if len(samples) == 0 {
		return nil
	}
	s := append([]float64(nil), samples...)
	sort.Float64s(s)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	t := &TimingStats{Min: s[0], Max: s[len(s)-1], Mean: sum / float64(len(s))}
	for _, q := range percentiles {
		if len(s) < 20 && q != 0.5 {
			continue
		}
		if len(s) < 100 && q >= 0.99 {
			continue
		}
		t.Percentiles = append(t.Percentiles, Percentile{Q: q, Value: quantile(s, q)})
	}
	return t
}

func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	frac := pos - float64(lo)
	return sorted[lo] + (sorted[hi]-sorted[lo])*frac
}

// successOverTime buckets task durations into quarter seconds, keyed like "0.25" (Funnel Rocket's
// taskSuccessOverTime).
func successOverTime(durations []time.Duration) map[string]int {
	if len(durations) == 0 {
		return nil
	}
	out := map[string]int{}
	for _, d := range durations {
		b := math.Ceil(d.Seconds()/0.25) * 0.25
		if b == 0 {
			b = 0.25
		}
		out[strconv.FormatFloat(b, 'g', -1, 64)]++
	}
	return out
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1e6) / 1e6 }
