package objstore

import "unicode/utf8"

// Match reports whether name matches the shell pattern, with the rules of Python's fnmatch (case
// sensitive), which Funnel Rocket used for discovery:
//
//   - '*' matches any run of characters, '/' included (so "*.pq" matches "sub/x.pq");
//   - '?' matches any one character;
//   - "[seq]" matches one character in seq and "[!seq]" one not in it; seq may hold ranges such as
//     "a-z", and a ']' right after "[" or "[!" belongs to seq;
//   - a '[' without a closing ']' and every other character (backslash included) match themselves.
//
// Unlike path.Match, no pattern is malformed.
func Match(pattern, name string) bool {
	toks := compilePattern(pattern)
	// Greedy match with backtracking to the last star: each token matches one character, so this is
	// O(len(toks) * len(name)) at worst.
	ti, ni := 0, 0
	starTok, starName := -1, 0
	for ni < len(name) {
		r, size := utf8.DecodeRuneInString(name[ni:])
		if ti < len(toks) {
			t := &toks[ti]
			if t.kind == tokStar {
				starTok, starName = ti, ni
				ti++
				continue
			}
			if t.matches(r) {
				ti++
				ni += size
				continue
			}
		}
		if starTok < 0 {
			return false
		}
		// Let the last star swallow one more character and retry after it.
		_, s := utf8.DecodeRuneInString(name[starName:])
		starName += s
		ti, ni = starTok+1, starName
	}
	for ti < len(toks) && toks[ti].kind == tokStar {
		ti++
	}
	return ti == len(toks)
}

type tokKind uint8

const (
	tokLiteral tokKind = iota
	tokAny
	tokStar
	tokSet
)

type runeRange struct{ lo, hi rune }

type patternToken struct {
	kind   tokKind
	lit    rune
	negate bool
	ranges []runeRange
}

func (t *patternToken) matches(r rune) bool {
	switch t.kind {
	case tokLiteral:
		return r == t.lit
	case tokAny:
		return true
	case tokSet:
		in := false
		for _, rr := range t.ranges {
			if rr.lo <= r && r <= rr.hi {
				in = true
				break
			}
		}
		return in != t.negate
	}
	return false
}

func compilePattern(pattern string) []patternToken {
	p := []rune(pattern)
	var toks []patternToken
	for i := 0; i < len(p); {
		c := p[i]
		i++
		switch c {
		case '*':
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar {
				toks = append(toks, patternToken{kind: tokStar})
			}
		case '?':
			toks = append(toks, patternToken{kind: tokAny})
		case '[':
			j := i
			if j < len(p) && p[j] == '!' {
				j++
			}
			if j < len(p) && p[j] == ']' {
				j++
			}
			for j < len(p) && p[j] != ']' {
				j++
			}
			if j >= len(p) {
				toks = append(toks, patternToken{kind: tokLiteral, lit: '['})
				continue
			}
			toks = append(toks, compileSet(p[i:j]))
			i = j + 1
		default:
			toks = append(toks, patternToken{kind: tokLiteral, lit: c})
		}
	}
	return toks
}

// compileSet compiles the inside of a bracket expression. A reversed range (z-a) matches nothing.
func compileSet(s []rune) patternToken {
	t := patternToken{kind: tokSet}
	if len(s) > 0 && s[0] == '!' {
		t.negate = true
		s = s[1:]
	}
	for k := 0; k < len(s); k++ {
		if k+2 < len(s) && s[k+1] == '-' {
			if s[k] <= s[k+2] {
				t.ranges = append(t.ranges, runeRange{s[k], s[k+2]})
			}
			k += 2
			continue
		}
		t.ranges = append(t.ranges, runeRange{s[k], s[k]})
	}
	return t
}
