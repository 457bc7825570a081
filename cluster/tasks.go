package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Field returns the hash field of an attempt in the status and result hashes: "<task>/<attempt>".
func (ta TaskAttempt) Field() string {
	return strconv.Itoa(ta.Task) + "/" + strconv.Itoa(ta.Attempt)
}

// ParseTaskAttempt parses a field written by TaskAttempt.Field.
func ParseTaskAttempt(field string) (TaskAttempt, error) {
	t, a, ok := strings.Cut(field, "/")
	if ok {
		task, err1 := strconv.Atoi(t)
		attempt, err2 := strconv.Atoi(a)
		if err1 == nil && err2 == nil && task >= 0 && attempt >= 0 {
			return TaskAttempt{Task: task, Attempt: attempt}, nil
		}
	}
	return TaskAttempt{}, fmt.Errorf("task attempt field %q is not <task>/<attempt>", field)
}

// InitTasks starts request rid with n tasks: status QUEUED for attempt 0 of tasks 0..n-1, every
// attempt counter at 0, and, when parts is non-empty, the published part set (members: PartRef JSON).
// It replaces whatever the request's keys held and sets their TTL, in one MULTI. The result hash
// does not exist yet: Finish gives it the TTL.
func (c *Client) InitTasks(ctx context.Context, rid string, n int, parts []PartRef) error {
	if err := checkRID(rid); err != nil {
		return err
	}
	if n < 0 {
		return fmt.Errorf("init tasks of request %s: negative task count %d", rid, n)
	}
	queued, err := json.Marshal(TaskStatus{Status: StatusQueued, Time: UnixSeconds(time.Now())})
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	statuses := make([]any, 0, 2*n)
	counters := make([]any, 0, 2*n)
	for i := range n {
		statuses = append(statuses, TaskAttempt{Task: i}.Field(), queued)
		counters = append(counters, strconv.Itoa(i), 0)
	}
	members := make([]any, len(parts))
	for i := range parts {
		if members[i], err = json.Marshal(parts[i]); err != nil {
			return fmt.Errorf("encode part %s: %w", parts[i].Name, err)
		}
	}
	keys := c.RequestKeys(rid)
	_, err = c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, keys...)
		if n > 0 {
			p.HSet(ctx, c.statusKey(rid), statuses...)
			p.HSet(ctx, c.attemptKey(rid), counters...)
		}
		if len(members) > 0 {
			p.SAdd(ctx, c.partsKey(rid), members...)
		}
		c.expire(ctx, p, keys)
		return nil
	})
	if err != nil {
		return c.fail("MULTI HSET", c.statusKey(rid), err)
	}
	return nil
}

// NewAttempt starts a new attempt of task: it increments the task's attempt counter and writes status
// QUEUED for the new attempt, atomically, and refreshes the request's TTL. It returns the new attempt
// number (1, 2, ...).
func (c *Client) NewAttempt(ctx context.Context, rid string, task int) (int, error) {
	if err := checkRID(rid); err != nil {
		return 0, err
	}
	if task < 0 {
		return 0, fmt.Errorf("new attempt of request %s: negative task %d", rid, task)
	}
	queued, err := json.Marshal(TaskStatus{Status: StatusQueued, Time: UnixSeconds(time.Now())})
	if err != nil {
		return 0, fmt.Errorf("encode status: %w", err)
	}
	a, err := c.scripts.newAttempt.Run(ctx, c.rdb, c.RequestKeys(rid), task, queued, c.ttlMillis).Int()
	if err != nil {
		return 0, c.fail("EVALSHA new-attempt", c.attemptKey(rid), err)
	}
	return a, nil
}

// SetStatus writes the status of one attempt and refreshes the request's TTL. A zero st.Time is set
// to now. It never replaces an ended status (ENDED_SUCCESS, ENDED_FAILED) with a non-ended one: a
// worker that is slow to report progress cannot move a finished attempt backwards; such a write is
// dropped without error.
func (c *Client) SetStatus(ctx context.Context, rid string, ta TaskAttempt, st TaskStatus) error {
	if err := checkAttempt(rid, ta); err != nil {
		return err
	}
	if st.Time == 0 {
		st.Time = UnixSeconds(time.Now())
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	ended := "0"
	if Ended(st.Status) {
		ended = "1"
	}
	err = c.scripts.setStatus.Run(ctx, c.rdb, c.RequestKeys(rid), ta.Field(), raw, ended, c.ttlMillis).Err()
	if err != nil {
		return c.fail("EVALSHA set-status", c.statusKey(rid), err)
	}
	return nil
}

// Finish ends one attempt: it writes res (unless nil, as for a failure) and the final status st in
// one MULTI, so a reader that sees the status also sees the result, and refreshes the request's TTL.
// A zero st.Time is set to now; st must be ended.
func (c *Client) Finish(ctx context.Context, rid string, ta TaskAttempt, st TaskStatus, res *TaskResult) error {
	if err := checkAttempt(rid, ta); err != nil {
		return err
	}
	if !Ended(st.Status) {
		return fmt.Errorf("finish task %d attempt %d of request %s: status %q is not final", ta.Task, ta.Attempt, rid, st.Status)
	}
	if st.Time == 0 {
		st.Time = UnixSeconds(time.Now())
	}
	rawStatus, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	var rawResult []byte
	if res != nil {
		if rawResult, err = json.Marshal(res); err != nil {
			return fmt.Errorf("encode result of task %d attempt %d: %w", ta.Task, ta.Attempt, err)
		}
	}
	field := ta.Field()
	_, err = c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if rawResult != nil {
			p.HSet(ctx, c.resultKey(rid), field, rawResult)
		}
		p.HSet(ctx, c.statusKey(rid), field, rawStatus)
		c.expire(ctx, p, c.RequestKeys(rid))
		return nil
	})
	if err != nil {
		return c.fail("MULTI HSET", c.resultKey(rid), err)
	}
	return nil
}

// Statuses returns the status of every attempt of the request (HGETALL); fields or values that do
// not parse are skipped. An unknown request gives an empty map.
func (c *Client) Statuses(ctx context.Context, rid string) (map[TaskAttempt]TaskStatus, error) {
	if err := checkRID(rid); err != nil {
		return nil, err
	}
	key := c.statusKey(rid)
	all, err := c.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, c.fail("HGETALL", key, err)
	}
	out := make(map[TaskAttempt]TaskStatus, len(all))
	for field, raw := range all {
		ta, err := ParseTaskAttempt(field)
		if err != nil {
			continue
		}
		var st TaskStatus
		if err := json.Unmarshal([]byte(raw), &st); err != nil || st.Status == "" {
			continue
		}
		out[ta] = st
	}
	return out, nil
}

// Results returns the results of the given attempts, in their order (HMGET). A missing or
// undecodable result is an error naming the attempt.
func (c *Client) Results(ctx context.Context, rid string, tas []TaskAttempt) ([]*TaskResult, error) {
	if err := checkRID(rid); err != nil {
		return nil, err
	}
	if len(tas) == 0 {
		return nil, nil
	}
	fields := make([]string, len(tas))
	for i, ta := range tas {
		fields[i] = ta.Field()
	}
	key := c.resultKey(rid)
	vals, err := c.rdb.HMGet(ctx, key, fields...).Result()
	if err != nil {
		return nil, c.fail("HMGET", key, err)
	}
	if len(vals) != len(tas) {
		return nil, fmt.Errorf("redis HMGET %s: %d values for %d fields", key, len(vals), len(tas))
	}
	out := make([]*TaskResult, len(tas))
	for i, v := range vals {
		ta := tas[i]
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("no result for task %d attempt %d of request %s", ta.Task, ta.Attempt, rid)
		}
		res := new(TaskResult)
		if err := json.Unmarshal([]byte(s), res); err != nil {
			return nil, fmt.Errorf("decode result of task %d attempt %d of request %s: %w", ta.Task, ta.Attempt, rid, err)
		}
		out[i] = res
	}
	return out, nil
}

// TakePart takes a part from the request's published set for a self-selecting worker, atomically
// (one script): the first of candidates, in order, still in the set wins (SREM; method
// SelectSpecificCandidate); otherwise a random member (SPOP; SelectRandomCandidateTaken when candidates
// was non-empty, else SelectRandomNoCandidates). ok is false when the set is empty. Candidates match
// members by their JSON, so they must equal the published PartRefs field for field.
func (c *Client) TakePart(ctx context.Context, rid string, candidates []PartRef) (part PartRef, method string, ok bool, err error) {
	if err := checkRID(rid); err != nil {
		return PartRef{}, "", false, err
	}
	args := make([]any, len(candidates))
	for i := range candidates {
		if args[i], err = json.Marshal(candidates[i]); err != nil {
			return PartRef{}, "", false, fmt.Errorf("encode part %s: %w", candidates[i].Name, err)
		}
	}
	key := c.partsKey(rid)
	reply, err := c.scripts.takePart.Run(ctx, c.rdb, []string{key}, args...).Slice()
	if err != nil {
		return PartRef{}, "", false, c.fail("EVALSHA take-part", key, err)
	}
	kind, member, err := takeReply(reply)
	if err != nil {
		return PartRef{}, "", false, fmt.Errorf("take part from %s: %w", key, err)
	}
	switch kind {
	case 0:
		return PartRef{}, "", false, nil
	case 1:
		method = SelectSpecificCandidate
	case 2:
		method = SelectRandomNoCandidates
		if len(candidates) > 0 {
			method = SelectRandomCandidateTaken
		}
	default:
		return PartRef{}, "", false, fmt.Errorf("take part from %s: unknown reply kind %d", key, kind)
	}
	if err := json.Unmarshal([]byte(member), &part); err != nil {
		return PartRef{}, "", false, fmt.Errorf("decode part %q taken from %s: %w", member, key, err)
	}
	return part, method, true, nil
}

// takeReply parses the reply of takePartLua.
func takeReply(reply []any) (kind int64, member string, err error) {
	if len(reply) == 0 {
		return 0, "", errors.New("empty reply")
	}
	kind, ok := reply[0].(int64)
	if !ok {
		return 0, "", fmt.Errorf("reply kind is %T", reply[0])
	}
	if kind == 0 {
		return 0, "", nil
	}
	if len(reply) != 2 {
		return 0, "", fmt.Errorf("reply has %d elements, want 2", len(reply))
	}
	if member, ok = reply[1].(string); !ok {
		return 0, "", fmt.Errorf("reply member is %T", reply[1])
	}
	return kind, member, nil
}

// Cleanup deletes every key of the request. Cleaning up an unknown request does nothing.
func (c *Client) Cleanup(ctx context.Context, rid string) error {
	if err := checkRID(rid); err != nil {
		return err
	}
	keys := c.RequestKeys(rid)
	if err := c.rdb.Del(ctx, keys...).Err(); err != nil {
		return c.fail("DEL", keys[0], err)
	}
	return nil
}

// expire queues a PEXPIRE with the request TTL for each key.
func (c *Client) expire(ctx context.Context, p redis.Pipeliner, keys []string) {
	for _, k := range keys {
		p.PExpire(ctx, k, time.Duration(c.ttlMillis)*time.Millisecond)
	}
}

func checkRID(rid string) error {
	if rid == "" {
		return errors.New("empty request id")
	}
	return nil
}

func checkAttempt(rid string, ta TaskAttempt) error {
	if err := checkRID(rid); err != nil {
		return err
	}
	if ta.Task < 0 || ta.Attempt < 0 {
		return fmt.Errorf("request %s: negative task %d or attempt %d", rid, ta.Task, ta.Attempt)
	}
	return nil
}
