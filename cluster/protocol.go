package cluster

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/frocket/frocket/query"
)

// Task statuses, as Funnel Rocket names them. A query task goes QUEUED -> LOADING_DATA ->
// RUNNING_QUERY -> ENDED_SUCCESS | ENDED_FAILED.
const (
	StatusQueued       = "QUEUED"
	StatusLoadingData  = "LOADING_DATA"
	StatusRunningQuery = "RUNNING_QUERY"
	StatusRunning      = "RUNNING"
	StatusEndedSuccess = "ENDED_SUCCESS"
	StatusEndedFailed  = "ENDED_FAILED"
)

// Ended reports whether a status is final.
func Ended(status string) bool { return status == StatusEndedSuccess || status == StatusEndedFailed }

// PartMode says who chooses a task's part.
type PartMode string

const (
	// SetByInvoker: the request names the part (retries, and every task without self-selection).
	SetByInvoker PartMode = "SET_BY_INVOKER"
	// SelectedByWorker: the worker takes a part from the request's published set, preferring parts
	// it already holds in its cache.
	SelectedByWorker PartMode = "SELECTED_BY_WORKER"
)

// Part selection methods reported in TaskMetrics.PartSelectMethod.
const (
	SelectSetByInvoker         = "set_by_invoker"
	SelectSpecificCandidate    = "specific_candidate"
	SelectRandomCandidateTaken = "random_candidates_taken"
	SelectRandomNoCandidates   = "random_no_candidates"
)

// Where a task's part was read from (TaskMetrics.LoadFrom).
const (
	LoadFromSource    = "source"
	LoadFromDiskCache = "disk_cache"
)

// DatasetRef identifies one registration of a dataset and says where its parts are.
type DatasetRef struct {
	Name            string    `json:"name"`
	RegisteredAt    time.Time `json:"registeredAt"`
	BasePath        string    `json:"basePath"`
	GroupColumn     string    `json:"groupColumn"`
	TimestampColumn string    `json:"timestampColumn"`
}

// PartRef is one part of a dataset. Index is its position in the dataset's sorted part list.
type PartRef struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Size  int64  `json:"size"`
}

// TaskRequest asks a worker to run one attempt of one query task.
type TaskRequest struct {
	RequestID string `json:"requestId"`
	// InvokeTime is when the invoker sent this attempt, in Unix seconds; workers drop requests older
	// than their reject age.
	InvokeTime float64    `json:"invokeTime"`
	TaskIndex  int        `json:"taskIndex"`
	AttemptNo  int        `json:"attemptNo"`
	Dataset    DatasetRef `json:"dataset"`
	Mode       PartMode   `json:"mode"`
	// Part is the part to answer when Mode is SetByInvoker.
	Part *PartRef `json:"part,omitempty"`
	// Query is the expanded, validated query document; UsedColumns are the columns it reads.
	Query       json.RawMessage `json:"query"`
	UsedColumns []string        `json:"usedColumns"`
}

// Validate checks that a request decoded from the wire is complete.
func (r *TaskRequest) Validate() error {
	switch {
	case r.RequestID == "":
		return fmt.Errorf("task request has no requestId")
	case r.TaskIndex < 0 || r.AttemptNo < 0:
		return fmt.Errorf("task request %s has a negative task index or attempt", r.RequestID)
	case r.Dataset.Name == "" || r.Dataset.BasePath == "":
		return fmt.Errorf("task request %s names no dataset", r.RequestID)
	case r.Mode == SetByInvoker && r.Part == nil:
		return fmt.Errorf("task request %s/%d is set by the invoker but names no part", r.RequestID, r.TaskIndex)
	case r.Mode != SetByInvoker && r.Mode != SelectedByWorker:
		return fmt.Errorf("task request %s has unknown mode %q", r.RequestID, r.Mode)
	case len(r.Query) == 0:
		return fmt.Errorf("task request %s has no query", r.RequestID)
	}
	return nil
}

// InvokedAt returns InvokeTime as a time.
func (r *TaskRequest) InvokedAt() time.Time { return TimeOf(r.InvokeTime) }

// UnixSeconds returns t as fractional Unix seconds.
func UnixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// TaskStatus is the latest state of one attempt of one task.
type TaskStatus struct {
	Status string `json:"status"`
	// Time is when the status was written, in Unix seconds.
	Time float64 `json:"time"`
	// Error says why an attempt ended failed.
	Error string `json:"error,omitempty"`
	// Worker names the process that wrote the status (host:pid or a Lambda request id).
	Worker string `json:"worker,omitempty"`
}

// TaskAttempt names one attempt of one task.
type TaskAttempt struct {
	Task, Attempt int
}

// TaskResult is what a successful attempt leaves for the invoker.
type TaskResult struct {
	Partial *query.Partial `json:"partial,omitempty"`
	Metrics TaskMetrics    `json:"metrics"`
}

// TaskMetrics describes one attempt's work. Times are in seconds.
type TaskMetrics struct {
	TaskIndex        int    `json:"taskIndex"`
	AttemptNo        int    `json:"attemptNo"`
	Success          bool   `json:"success"`
	Worker           string `json:"worker,omitempty"`
	Cold             bool   `json:"cold"`
	LoadFrom         string `json:"loadFrom,omitempty"`
	PartSelectMethod string `json:"partSelectMethod,omitempty"`
	Part             string `json:"part,omitempty"`
	// InvokeLatency is from the invoker sending the request to the worker starting it.
	InvokeLatency  float64 `json:"invokeLatency"`
	PreflightSleep float64 `json:"preflightSleep,omitempty"`
	DownloadTime   float64 `json:"downloadTime,omitempty"`
	// LoadTime includes any download; RunTime is the kernels; TotalTime is the whole task.
	LoadTime        float64 `json:"loadTime"`
	RunTime         float64 `json:"runTime"`
	TotalTime       float64 `json:"totalTime"`
	ScannedRows     int64   `json:"scannedRows"`
	ScannedGroups   int64   `json:"scannedGroups"`
	BytesDownloaded int64   `json:"bytesDownloaded,omitempty"`
	// MemoryMB is the Lambda function's configured memory; 0 elsewhere (then no cost is computed).
	MemoryMB int `json:"memoryMB,omitempty"`
}

// TimeOf converts fractional Unix seconds to a time.
func TimeOf(unixSeconds float64) time.Time {
	sec, frac := math.Modf(unixSeconds)
	return time.Unix(int64(sec), int64(frac*1e9))
}
