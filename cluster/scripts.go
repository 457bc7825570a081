package cluster

import "github.com/redis/go-redis/v9"

// scripts are the Lua scripts that make a read-check-write atomic. Redis runs a script without
// interleaving other commands; go-redis sends EVALSHA and falls back to EVAL when the server does not
// know the script (after a restart, say).
type scripts struct {
	touchLastUsed *redis.Script
	newAttempt    *redis.Script
	setStatus     *redis.Script
	takePart      *redis.Script
}

func newScripts() scripts {
	return scripts{
		touchLastUsed: redis.NewScript(touchLastUsedLua),
		newAttempt:    redis.NewScript(newAttemptLua),
		setStatus:     redis.NewScript(setStatusLua),
		takePart:      redis.NewScript(takePartLua),
	}
}

// touchLastUsedLua sets the last-used time of a dataset that exists.
// KEYS: datasets, lastused. ARGV: name, unix seconds. Returns 1, or 0 when the dataset is absent.
const touchLastUsedLua = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
	return 0
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
`

// newAttemptLua bumps a task's attempt counter and writes the new attempt's status.
// KEYS: the request keys (status first, attempt counter third). ARGV: task, status JSON, TTL ms.
// Returns the new attempt number.
const newAttemptLua = `
local a = redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
redis.call('HSET', KEYS[1], ARGV[1] .. '/' .. a, ARGV[2])
for i = 1, #KEYS do
	redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return a
`

// setStatusLua writes one attempt's status unless that would replace an ended status with a
// non-ended one. KEYS: the request keys (status first). ARGV: field, status JSON, "1" if the new
// status is ended else "0", TTL ms. Returns 1 when written, 0 when kept.
const setStatusLua = `
if ARGV[3] == '0' then
	local cur = redis.call('HGET', KEYS[1], ARGV[1])
	if cur then
		local ok, st = pcall(cjson.decode, cur)
		if ok and type(st) == 'table' and (st.status == '` + StatusEndedSuccess + `' or st.status == '` + StatusEndedFailed + `') then
			return 0
		end
	end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 1, #KEYS do
	redis.call('PEXPIRE', KEYS[i], ARGV[4])
end
return 1
`

// takePartLua removes the first candidate present in the published set, or else a random member.
// KEYS: the part set. ARGV: candidate members in order of preference.
// Returns {1, member} for a candidate, {2, member} for a random member, {0} when the set is empty.
const takePartLua = `
for i = 1, #ARGV do
	if redis.call('SREM', KEYS[1], ARGV[i]) == 1 then
		return {1, ARGV[i]}
	end
end
local m = redis.call('SPOP', KEYS[1])
if not m then
	return {0}
end
return {2, m}
`
