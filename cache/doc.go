// Package cache keeps parts (Parquet files) downloaded from a remote object store on local disk, so a warm
// worker answers the next query over the same dataset without downloading again. Parts are read through
// mmap (or plain ReadAt), the cache is bounded by bytes with least-recently-used eviction, and it lists the
// parts of a dataset registration it holds so a worker can prefer them (self-selection).
//
// A part is identified by a Key: dataset name, registration time and part name. Re-registering a dataset
// gives it a new registration time, so files cached for the old registration are never served for the new
// one; they are not purged eagerly either, LRU eviction removes them in time.
//
// Downloads are atomic: a part is written to a temp file, fsynced and renamed into place only when complete,
// and only then is its metadata sidecar written (atomically, the same way). A crash, a failed fill or a
// cancelled download never leaves anything that a later Open serves. Concurrent Fetches of one key download
// once. A Reader pins its entry: eviction skips pinned entries and removes them after their last Close.
//
// cache imports only the standard library and objstore (for the Bucket fill helper); it must not import
// scan, query, cluster, worker or any other frocket package.
//
// # Format
//
// Everything lives directly in Config.Dir:
//
//   - LOCK: an empty file, locked (flock, exclusive) while a Cache has the directory open, so two
//     processes never share one directory.
//   - <h>.part: the bytes of one part, exactly as the fill function wrote them. <h> is the lowercase hex of
//     the first 16 bytes of the SHA-256 of the key encoded as: the string "frocket-cache-v1", then the
//     dataset name, the registration time as Unix seconds and nanoseconds, and the part name, each string
//     preceded by its length and every number written as 8 bytes big endian.
//   - <h>.meta: the sidecar of <h>.part, a JSON object
//     {"version": 1, "dataset": "...", "registeredAt": "<RFC 3339 with nanoseconds, UTC>", "part": "...",
//     "size": <bytes>}. It is the commit record of the entry: an entry exists only when its sidecar parses,
//     has version 1, its key hashes to <h>, and <h>.part is a regular file of exactly that size. Open
//     removes the files of any entry that fails these checks, and any .part without a .meta.
//   - tmp-*: a download or sidecar being written. Open removes them all (they are leftovers of a crash).
//
// Other files in the directory are left alone. The modification time of <h>.part records when the entry
// was last used (set explicitly on every download and hit, strictly increasing within one process), so the
// LRU order survives a restart, as exactly as the filesystem's timestamp resolution allows.
package cache
