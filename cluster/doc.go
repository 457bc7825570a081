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
package cluster
