package objstore

import (
	"path"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	f := func(pattern, name string, want bool) {
		t.Helper()
		if got := Match(pattern, name); got != want {
			t.Errorf("Match(%q, %q) = %v, want %v", pattern, name, got, want)
		}
	}
	f("*.parquet", "a.parquet", true)
	f("*.parquet", "a.parquet.tmp", false)
	f("*.parquet", ".parquet", true)
	f("*.pq", "sub/x.pq", true) // '*' crosses '/', as in fnmatch
	f("b*.pq", "sub/b.pq", false)
	f("*", "", true)
	f("", "", true)
	f("", "a", false)
	f("?", "é", true) // one character, not one byte
	f("??", "é", false)
	f("a*b*c", "aXbYbZc", true)
	f("a*b*c", "aXbYbZ", false)
	f("***x", "abcx", true)
	f("[abc]", "b", true)
	f("[abc]", "d", false)
	f("[!abc]", "d", true)
	f("[!abc]", "a", false)
	f("[a-c]x", "bx", true)
	f("[a-c]x", "dx", false)
	f("[]]", "]", true)
	f("[!]]", "a", true)
	f("[!]]", "]", false)
	f("[a-]", "-", true)
	f("[z-a]", "m", false)
	f("[", "[", true)
	f("[abc", "[abc", true)
	f("a[", "a[", true)
	f(`\*`, `\x`, true) // backslash is literal, '*' still a wildcard
	f(`\*`, "*", false)
	f("bl*.123", "blob.123", true)
	f("single", "single", true)
	f("single", "single2", false)
	f("part-[0-9][0-9].parquet", "part-07.parquet", true)
	f("part-[0-9][0-9].parquet", "part-7.parquet", false)
}

// TestMatchAgreesWithPathMatch checks Match against path.Match on names without '/', where the two
// rule sets coincide for patterns without backslashes or '^'.
func TestMatchAgreesWithPathMatch(t *testing.T) {
	patterns := []string{"*", "*.parquet", "?.p*", "[ab]*", "[!ab]*", "[a-c]?*", "*a*a*", "a?c", "*[0-9]", "x"}
	names := []string{"", "a", "ab", "abc", "a.parquet", "b.p", "c9", "xa", "aaa", "x", "ba.parquet", "0"}
	for _, p := range patterns {
		pp := strings.ReplaceAll(p, "[!", "[^")
		for _, n := range names {
			want, err := path.Match(pp, n)
			if err != nil {
				t.Fatal(err)
			}
			if got := Match(p, n); got != want {
				t.Errorf("Match(%q, %q) = %v, path.Match = %v", p, n, got, want)
			}
		}
	}
}
