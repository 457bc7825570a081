// Package cluster is the Redis protocol shared by the API server (the invoker) and the workers: the
// dataset catalog, the work queue, and per request the task statuses, attempt counters, results and
// the published part set for worker self-selection.
//
// It must not import server, worker or cmd.
//
// # Format
//
// Every key starts with a configurable prefix (default "frocket:") in one logical DB.
//
//	frocket:datasets                          hash  name -> catalog.Dataset JSON
//	frocket:dataset_lastused                  hash  name -> Unix seconds of the last query
//	frocket:queues:default                    list  TaskRequest JSON (LPUSH by invokers, BRPOP by workers)
//	frocket:req-<rid>:task:attempt:status     hash  "<task>/<attempt>" -> TaskStatus JSON
//	frocket:req-<rid>:task:attempt:result     hash  "<task>/<attempt>" -> TaskResult JSON
//	frocket:req-<rid>:task:attempt:no         hash  "<task>" -> highest attempt number
//	frocket:req-<rid>:job:published:parts     set   PartRef JSON, for self-selection
//
// Request keys carry a TTL, refreshed while the request runs and deleted when it ends, so a server
// that dies mid-request leaves nothing behind for long.
//
// # Atomicity
//
// Every write that must not be seen half done is one MULTI or one Lua script: registering (HSET
// datasets + HDEL dataset_lastused), unregistering, starting a request (all its keys at once), a new
// attempt (HINCRBY + its QUEUED status), a status write (checked so an ended status is never replaced
// by a non-ended one), finishing an attempt (result + final status), and taking a part (SREM of each
// candidate in turn, else SPOP). Last-used times are whole Unix seconds.
package cluster
