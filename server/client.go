package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/query"
)

// Client calls a frocket API server (or Funnel Rocket's, for the endpoints they share). A zero
// HTTP means http.DefaultClient; Token, when set, is sent as a bearer token.
//
// Errors answered by the server are *APIError values: errors.As(err, &query.Errors{}) finds the
// problems of a bad request, and errors.Is(err, catalog.ErrNotFound) holds for an unknown dataset.
// A job that ran and failed, or a refused unregister, is not an error: its result comes back with
// Success false, as from a local Engine.
type Client struct {
	BaseURL, Token string
	HTTP           *http.Client
}

// APIError is an error answer of the server that is not a job result.
type APIError struct {
	StatusCode int
	Message    string
	// Errors lists the problems of a bad request (400), as the server found them.
	Errors query.Errors
}

func (e *APIError) Error() string {
	if len(e.Errors) > 1 {
		return fmt.Sprintf("server answered %d: %s", e.StatusCode, e.Errors.Error())
	}
	return fmt.Sprintf("server answered %d: %s", e.StatusCode, e.Message)
}

// Unwrap exposes the problems of a bad request as a query.Errors and an unknown dataset as
// catalog.ErrNotFound.
func (e *APIError) Unwrap() []error {
	var out []error
	if len(e.Errors) > 0 {
		out = append(out, e.Errors)
	}
	if e.StatusCode == http.StatusNotFound {
		out = append(out, catalog.ErrNotFound)
	}
	return out
}

// registerBody is RegisterArgs as the API takes them.
type registerBody struct {
	Name            string                 `json:"name"`
	BasePath        string                 `json:"basepath"`
	GroupColumn     string                 `json:"groupIdColumn"`
	TimestampColumn string                 `json:"timestampColumn"`
	Pattern         string                 `json:"pattern,omitempty"`
	ValidationMode  catalog.ValidationMode `json:"validationMode,omitempty"`
	ValidateUniques bool                   `json:"validateUniques"`
}

// Register registers a dataset. A registration that ran and failed returns its result with Success
// false and a nil error.
func (c *Client) Register(ctx context.Context, args catalog.RegisterArgs) (*RegisterJobResult, error) {
	body, err := json.Marshal(registerBody{Name: args.Name, BasePath: args.BasePath, GroupColumn: args.GroupColumn,
		TimestampColumn: args.TimestampColumn, Pattern: args.Pattern, ValidationMode: args.ValidationMode,
		ValidateUniques: args.ValidateUniques})
	if err != nil {
		return nil, fmt.Errorf("encode register args: %w", err)
	}
	// Streamed, so that a job failure (last line) and a server error (status) cannot be confused.
	res := &RegisterJobResult{}
	if err := c.stream(ctx, "/datasets/register?stream=true", body, nil, res); err != nil {
		return nil, err
	}
	return res, nil
}

// List returns every registered dataset.
func (c *Client) List(ctx context.Context) ([]catalog.DatasetInfo, error) {
	var out []catalog.DatasetInfo
	if err := c.call(ctx, http.MethodGet, "/datasets", nil, &out, nil); err != nil {
		return nil, err
	}
	if out == nil {
		out = []catalog.DatasetInfo{}
	}
	return out, nil
}

// Schema returns a dataset's short schema, or its full schema when full is set, as the server
// wrote it.
func (c *Client) Schema(ctx context.Context, name string, full bool) (json.RawMessage, error) {
	var out json.RawMessage
	p := "/datasets/" + url.PathEscape(name) + "/schema"
	if full {
		p += "?full=true"
	}
	if err := c.call(ctx, http.MethodGet, p, nil, &out, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// Parts returns a dataset's parts.
func (c *Client) Parts(ctx context.Context, name string) (*catalog.PartsInfo, error) {
	out := &catalog.PartsInfo{}
	if err := c.call(ctx, http.MethodGet, "/datasets/"+url.PathEscape(name)+"/parts", nil, out, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// Query runs a query (the JSON document body) over a dataset, streaming: progress, when not nil,
// is called for every progress line. A query that ran and failed returns its result with Success
// false and a nil error.
func (c *Client) Query(ctx context.Context, name string, body []byte, progress ProgressFunc) (*QueryJobResult, error) {
	var line json.RawMessage
	if err := c.stream(ctx, "/datasets/"+url.PathEscape(name)+"/query?stream=true", body, progress, &line); err != nil {
		return nil, err
	}
	res := &QueryJobResult{}
	if err := json.Unmarshal(line, res); err != nil {
		return nil, fmt.Errorf("decode query result: %w", err)
	}
	if err := restoreAggValues(line, res); err != nil {
		return nil, fmt.Errorf("decode query result: %w", err)
	}
	return res, nil
}

// restoreAggValues gives decoded aggregation values their Go types back, as a local Engine returns
// them: int64 for count, query.ValueMap (keys in the server's rank order, which a map would lose)
// for the others.
func restoreAggValues(line []byte, res *QueryJobResult) error {
	type rawAgg struct {
		Value json.RawMessage `json:"value"`
	}
	var raw struct {
		Query *struct {
			Aggregations []rawAgg `json:"aggregations"`
		} `json:"query"`
		Funnel *struct {
			Sequence []struct {
				Aggregations []rawAgg `json:"aggregations"`
			} `json:"sequence"`
			EndAggregations []rawAgg `json:"endAggregations"`
		} `json:"funnel"`
	}
	if err := json.Unmarshal(line, &raw); err != nil {
		return err
	}
	restore := func(dst []query.AggResult, src []rawAgg) error {
		if len(dst) != len(src) {
			return fmt.Errorf("BUG: %d aggregations decoded from %d", len(dst), len(src))
		}
		for i := range dst {
			v, err := aggValue(dst[i].Type, src[i].Value)
			if err != nil {
				return fmt.Errorf("aggregation %d: %w", i, err)
			}
			dst[i].Value = v
		}
		return nil
	}
	if res.Query != nil && raw.Query != nil {
		if err := restore(res.Query.Aggregations, raw.Query.Aggregations); err != nil {
			return err
		}
	}
	if res.Funnel != nil && raw.Funnel != nil {
		if len(res.Funnel.Sequence) != len(raw.Funnel.Sequence) {
			return fmt.Errorf("BUG: %d funnel steps decoded from %d", len(res.Funnel.Sequence), len(raw.Funnel.Sequence))
		}
		for j := range res.Funnel.Sequence {
			if err := restore(res.Funnel.Sequence[j].Aggregations, raw.Funnel.Sequence[j].Aggregations); err != nil {
				return fmt.Errorf("funnel step %d: %w", j, err)
			}
		}
		if err := restore(res.Funnel.EndAggregations, raw.Funnel.EndAggregations); err != nil {
			return err
		}
	}
	return nil
}

// aggValue decodes one aggregation value: an int64 count, or an object (null values are NaN) read
// in order into a ValueMap. Anything else is left as json decodes it.
func aggValue(t query.AggregationType, raw json.RawMessage) (any, error) {
	trimmed := bytes.TrimSpace(raw)
	if t == query.AggCount {
		var n int64
		if err := json.Unmarshal(trimmed, &n); err == nil {
			return n, nil
		}
	}
	switch {
	case len(trimmed) == 0:
		return nil, nil
	case trimmed[0] != '{':
		var v any
		err := json.Unmarshal(trimmed, &v)
		return v, err
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	m := query.ValueMap{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var f *float64
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("value of %q: %w", key, err)
		}
		kv := query.KeyValue{Key: key, Value: math.NaN()}
		if f != nil {
			kv.Value = *f
		}
		m = append(m, kv)
	}
	return m, nil
}

// Unregister removes a dataset's metadata. A refusal (the dataset was used recently and force is not
// set) returns the result with Success false and a nil error.
func (c *Client) Unregister(ctx context.Context, name string, force bool) (*UnregisterResult, error) {
	p := "/datasets/" + url.PathEscape(name) + "/unregister"
	if force {
		p += "?force=true"
	}
	out := &UnregisterResult{}
	refused := func(status int, body []byte) bool {
		// A refusal is a 500 carrying an UnregisterResult, which an internal error is not.
		var probe struct {
			DatasetFound *bool `json:"datasetFound"`
		}
		return status == http.StatusInternalServerError && json.Unmarshal(body, &probe) == nil && probe.DatasetFound != nil
	}
	if err := c.call(ctx, http.MethodPost, p, nil, out, refused); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	u := strings.TrimRight(c.BaseURL, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}

// call makes a request and decodes a 200 body into out. A non-200 answer is an *APIError, unless
// accept says its body is a result to decode into out.
func (c *Client) call(ctx context.Context, method, path string, body []byte, out any, accept func(int, []byte) bool) error {
	resp, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK && (accept == nil || !accept(resp.StatusCode, b)) {
		return apiError(resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
	}
	return nil
}

// stream POSTs body to a streaming endpoint, passes the progress lines to progress and decodes the
// last line, the job result, into out.
func (c *Client) stream(ctx context.Context, path string, body []byte, progress ProgressFunc, out any) error {
	if body == nil {
		body = []byte{}
	}
	resp, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return fmt.Errorf("read answer of POST %s: %w", path, err)
		}
		return apiError(resp.StatusCode, b)
	}
	dec := json.NewDecoder(resp.Body)
	for {
		var line json.RawMessage
		if err := dec.Decode(&line); err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("POST %s: the stream ended before the result", path)
			}
			return fmt.Errorf("read stream of POST %s: %w", path, err)
		}
		var probe struct {
			Stage   *string `json:"stage"`
			Success *bool   `json:"success"`
		}
		if err := json.Unmarshal(line, &probe); err != nil {
			return fmt.Errorf("decode stream line of POST %s: %w", path, err)
		}
		switch {
		case probe.Success != nil:
			if err := json.Unmarshal(line, out); err != nil {
				return fmt.Errorf("decode result of POST %s: %w", path, err)
			}
			return nil
		case probe.Stage != nil && progress != nil:
			var p Progress
			if err := json.Unmarshal(line, &p); err != nil {
				return fmt.Errorf("decode progress of POST %s: %w", path, err)
			}
			progress(p)
		}
	}
}

// apiError turns an error answer into an *APIError, keeping the server's message and problems when
// the body is an ErrorResponse.
func apiError(status int, body []byte) error {
	e := &APIError{StatusCode: status}
	var r ErrorResponse
	if json.Unmarshal(body, &r) == nil && r.ErrorMessage != "" {
		e.Message, e.Errors = r.ErrorMessage, r.Errors
		return e
	}
	msg := strings.TrimSpace(string(body))
	if r := []rune(msg); len(r) > 200 {
		msg = string(r[:200]) + "..."
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	e.Message = msg
	return e
}
