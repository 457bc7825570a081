// Package catalog keeps dataset metadata and registers datasets.
//
// A Dataset is what registration learns about a set of Parquet parts: the part list and a merged
// schema. Store is where datasets are kept: FileStore (one JSON file under a data directory) in
// embedded mode, a Redis store (package cluster) in the distributed modes. Register discovers the parts
// of a location (package objstore), inspects a sample of them (package scan), checks that group ids
// are unique across the sample and that the schemas agree, and merges the schema. The JSON views
// (Info, ShortSchema, FullSchema, PartsInfo) have the keys and shapes of Funnel Rocket's API.
//
// catalog imports objstore, scan and query; it must not import server, worker, cluster or cmd.
//
// # Format
//
// FileStore keeps three files in its directory:
//
//	catalog.json   {"version":1,"datasets":{name: Dataset as JSON}}
//	lastused.json  {"version":1,"lastUsed":{name: RFC 3339 time}}
//	catalog.lock   empty; flock(2)ed exclusively by every writer
//
// Last-used times live apart from the catalog so that marking a dataset used on every query rewrites
// a few bytes, not every dataset's part list. Both JSON files are replaced whole: written to a
// temporary file in the same directory, fsynced, and renamed over the old one.
package catalog
