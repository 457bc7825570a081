// Package bench holds frocket's synthetic dataset generator and, beside it,
// the benchmark harness. The generator (Generate, GenConfig) writes a
// deterministic user-activity dataset shaped like the one Funnel Rocket was
// benchmarked on, so that every other package can be tested and measured on
// the same data, sorted or not.
//
// The generator imports no other frocket package. The rest of bench may import
// cluster, query, cache, objstore and scan (see DESIGN.md), never cmd, server
// or worker.
//
// # Format
//
// A dataset is Files Parquet files named part-00000.parquet,
// part-00001.parquet, ... in OutDir. Every row is one event; the columns are,
// in this order:
//
//	userId      int64 (delta), or string "u" + 10 zero-padded digits (dictionary) with StringUserIDs
//	timestamp   int64 unix milliseconds (delta), or double seconds with a fraction with FloatTimestamps
//	eventType   string: pageview, search, addToCart, purchase, campaignClick, signup, login, goal
//	url         string
//	browser     string
//	country     string, 30 two-letter codes, skewed (US the most)
//	device      string: desktop, mobile, tablet
//	sku         optional string, set only on addToCart and purchase
//	price       optional double, set only on addToCart and purchase
//	quantity    optional int64 (delta), set only on addToCart and purchase
//	campaignId  optional int64 (delta), set only on campaignClick
//	loggedIn    boolean
//
// String columns are dictionary encoded; every column is snappy compressed
// except an integer timestamp: delta-packed, each user's gaps plus a jump back at
// every user come to about 30 near-random low bits per row, which snappy does
// not shrink (509,037 bytes against 509,004 uncompressed for a row group of
// 131,072 rows), so compressing it would only cost every reader a copy. Row
// groups hold GenConfig.RowGroupRows rows (the last one fewer).
//
// Users are numbered 0 .. Users-1; the number is the int64 id. User n lives in
// part PartOfInt64UserID(n, Files) (the splitmix64 finalizer of the id,
// modulo Files), or PartOfStringUserID(StringUserID(n), Files) (FNV-1a of
// the string) with string ids, so every user's rows are in exactly one part.
//
// Sorted parts (the default) hold their rows ordered by (userId, timestamp),
// declare the sorting columns (userId, timestamp) in every row group and
// carry the key-value metadata entry frocket.sorted=userId,timestamp
// (SortedMetadataKey). Unsorted parts hold the same rows shuffled within the
// part and carry neither.
//
// # Shape of the data
//
// Rows is split exactly among users: about 5% have a single row, most have a
// handful, a long tail has hundreds, and about 0.15% (always including user 0)
// have thousands at the default density of 10 rows per user. Each user's
// events fall into sessions spread over 30 days from StartMillis; about 3% of
// events share the millisecond of the user's previous event. Journeys start
// with a pageview for most users; about 28% of users with two rows or more add
// to cart and about a third of those later purchase, so that the funnel
// pageview -> addToCart -> purchase reads roughly 100% / 26% / 9% of users.
//
// Each user's rows depend only on (Seed, user number), and each part only on
// its users, so the files are byte-identical for the same config whatever
// the number of cores.
package bench
