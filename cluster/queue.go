package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrBadRequest is wrapped by Dequeue's error for a payload that is not a valid TaskRequest.
var ErrBadRequest = errors.New("cluster: malformed task request")

const (
	// enqueueChunk bounds the values of one LPUSH, so a huge job does not become one huge command.
	enqueueChunk = 1000
	// payloadPrefix bounds how much of a malformed payload an error quotes.
	payloadPrefix = 200
)

// QueueKey returns the key of the named work queue.
func (c *Client) QueueKey(queue string) string { return c.Key("queues", queue) }

// Enqueue appends reqs, in order, to the named queue (LPUSH, in one pipeline), so that Dequeue
// returns them first in, first out.
func (c *Client) Enqueue(ctx context.Context, queue string, reqs []TaskRequest) error {
	if queue == "" {
		return errors.New("enqueue: empty queue name")
	}
	if len(reqs) == 0 {
		return nil
	}
	payloads := make([]any, len(reqs))
	for i := range reqs {
		b, err := json.Marshal(&reqs[i])
		if err != nil {
			return fmt.Errorf("encode task request %s/%d/%d: %w", reqs[i].RequestID, reqs[i].TaskIndex, reqs[i].AttemptNo, err)
		}
		payloads[i] = b
	}
	key := c.QueueKey(queue)
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for start := 0; start < len(payloads); start += enqueueChunk {
			p.LPush(ctx, key, payloads[start:min(start+enqueueChunk, len(payloads))]...)
		}
		return nil
	})
	if err != nil {
		return c.fail("LPUSH", key, err)
	}
	return nil
}

// Dequeue takes the oldest request of the named queue, waiting up to timeout for one (BRPOP); it
// returns (nil, nil) when none came. A timeout <= 0 does not wait. A cancellation of ctx is noticed
// at the latest when the wait ends, so a worker that must stop promptly uses a short timeout.
//
// A payload that is not a valid TaskRequest is consumed and returned as an error wrapping
// ErrBadRequest that quotes the start of the payload; the caller logs it and goes on.
func (c *Client) Dequeue(ctx context.Context, queue string, timeout time.Duration) (*TaskRequest, error) {
	if queue == "" {
		return nil, errors.New("dequeue: empty queue name")
	}
	key := c.QueueKey(queue)
	var payload string
	var err error
	switch {
	case timeout <= 0:
		payload, err = c.rdb.RPop(ctx, key).Result()
	case timeout%time.Second != 0 && c.fitsReadTimeout(timeout):
		// Redis takes a fractional block time; go-redis's BRPop would round it to whole seconds.
		var kv []string
		kv, err = c.rdb.Do(ctx, "brpop", key, strconv.FormatFloat(timeout.Seconds(), 'f', 3, 64)).StringSlice()
		if err == nil {
			payload, err = popValue(kv)
		}
	default:
		// Round up to whole seconds; go-redis extends the read deadline by the block time.
		secs := (timeout + time.Second - 1) / time.Second
		var kv []string
		kv, err = c.rdb.BRPop(ctx, secs*time.Second, key).Result()
		if err == nil {
			payload, err = popValue(kv)
		}
	}
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, c.fail("BRPOP", key, err)
	}
	return decodeRequest(payload)
}

// fitsReadTimeout reports whether a command blocking for d (plus a margin) is safe under the
// configured read timeout, which applies to commands sent with Do.
func (c *Client) fitsReadTimeout(d time.Duration) bool {
	return c.cfg.ReadTimeout < 0 || d+time.Second <= c.cfg.ReadTimeout
}

// popValue returns the value of a BRPOP reply [key, value].
func popValue(kv []string) (string, error) {
	if len(kv) != 2 {
		return "", fmt.Errorf("BRPOP replied %d elements, want 2", len(kv))
	}
	return kv[1], nil
}

// decodeRequest parses and validates a queued payload.
func decodeRequest(payload string) (*TaskRequest, error) {
	r := new(TaskRequest)
	err := json.Unmarshal([]byte(payload), r)
	if err == nil {
		err = r.Validate()
	}
	if err != nil {
		quoted := payload
		if len(quoted) > payloadPrefix {
			quoted = quoted[:payloadPrefix] + "..."
		}
		return nil, fmt.Errorf("%w: %v; payload %q", ErrBadRequest, err, quoted)
	}
	return r, nil
}
