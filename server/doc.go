// Package server runs frocket's jobs: registration (discover, validate and store a dataset) and
// queries (validate, plan one task per part, run the tasks, merge their partial results exactly,
// attach stats). The embedded mode, in engine.go, runs the tasks in process on a pool of goroutines
// over the local catalog; the HTTP API and the Redis and Lambda invokers build on the same jobs.
//
// It must not import cmd.
package server
