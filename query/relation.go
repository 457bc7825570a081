package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// RelOp is the kind of a Relation node.
type RelOp uint8

const (
	RelCond RelOp = iota // a leaf: the condition at index Cond
	RelAnd               // Left and Right
	RelOr                // Left or Right
)

// Relation is a parsed relation expression over condition indexes: a leaf (RelCond) or a binary node
// (RelAnd, RelOr) with both children set.
type Relation struct {
	Op          RelOp
	Cond        int
	Left, Right *Relation
}

// maxRelationDepth bounds the nesting of parentheses, so that a hostile expression cannot exhaust the
// stack of the recursive parser.
const maxRelationDepth = 100

// relationOps are the operators a relation joins conditions with, also accepted alone as the whole
// relation ("or" means "$0 or $1 or ...").
var relationOps = [...]string{"and", "or", "&&", "||"}

// emptyRelationMessage is the error for a relation with no text.
const emptyRelationMessage = "Relation cannot be an empty string; write e.g. \"$0 and $1\", or leave it out to require all conditions"

// isRelationOp reports whether s (already trimmed and lower-cased) is one of the relation operators.
func isRelationOp(s string) bool {
	for _, op := range relationOps {
		if s == op {
			return true
		}
	}
	return false
}

// ParseRelation parses a relation expression, as reference section 2.5 describes it: the text is
// trimmed and lower-cased; $<n> is a zero-based condition index and $<name> a condition name; the
// operators are and, or, && and ||, AND binds tighter than OR, both associate to the left, parentheses
// nest and whitespace between tokens is optional ($0and$1 is valid). names maps lower-cased condition
// names to their index; nConds is the number of conditions. The error, if any, is an Error of kind
// RELATION with the path query.relation.
func ParseRelation(expr string, names map[string]int, nConds int) (*Relation, error) {
	text := strings.ToLower(strings.TrimSpace(expr))
	if text == "" {
		return nil, relationError(emptyRelationMessage)
	}
	p := relParser{text: text, names: names, nConds: nConds}
	r := p.parseOr(0)
	if p.err == "" {
		p.skipSpace()
		if p.pos < len(p.text) {
			p.fail("expected an operator (and, or, &&, ||)")
		}
	}
	if p.err != "" {
		return nil, relationError(p.err)
	}
	// References are resolved after the whole text parsed, so a syntax error is reported first.
	if msg := p.resolve(r); msg != "" {
		return nil, relationError(msg)
	}
	return r, nil
}

func relationError(msg string) error {
	return Error{Kind: KindRelation, Path: "query.relation", Message: msg}
}

// relParser is a recursive descent parser over the lower-cased relation text. Leaves are built with
// Cond = -1 and their reference text kept in refs until resolve.
type relParser struct {
	text   string
	pos    int
	names  map[string]int
	nConds int
	err    string
	refs   map[*Relation]string
}

func (p *relParser) fail(what string) {
	if p.err != "" {
		return
	}
	rest := p.text[p.pos:]
	if rest == "" {
		p.err = fmt.Sprintf("Query relation '%s' is invalid: %s at the end", p.text, what)
		return
	}
	excerpt := rest
	if utf8.RuneCountInString(excerpt) > 20 {
		excerpt = string([]rune(excerpt)[:20])
	}
	p.err = fmt.Sprintf("Query relation is invalid around '%s': %s", excerpt, what)
}

func (p *relParser) skipSpace() {
	for p.pos < len(p.text) {
		r, n := utf8.DecodeRuneInString(p.text[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

// op consumes one of the given operators (after optional whitespace) and reports whether it did;
// on false the position is unchanged.
func (p *relParser) op(word, symbol string) bool {
	save := p.pos
	p.skipSpace()
	if strings.HasPrefix(p.text[p.pos:], word) {
		p.pos += len(word)
		return true
	}
	if strings.HasPrefix(p.text[p.pos:], symbol) {
		p.pos += len(symbol)
		return true
	}
	p.pos = save
	return false
}

func (p *relParser) parseOr(depth int) *Relation {
	left := p.parseAnd(depth)
	for p.err == "" && p.op("or", "||") {
		right := p.parseAnd(depth)
		if p.err != "" {
			return nil
		}
		left = &Relation{Op: RelOr, Left: left, Right: right}
	}
	return left
}

func (p *relParser) parseAnd(depth int) *Relation {
	left := p.parsePrimary(depth)
	for p.err == "" && p.op("and", "&&") {
		right := p.parsePrimary(depth)
		if p.err != "" {
			return nil
		}
		left = &Relation{Op: RelAnd, Left: left, Right: right}
	}
	return left
}

func (p *relParser) parsePrimary(depth int) *Relation {
	if p.err != "" {
		return nil
	}
	p.skipSpace()
	if p.pos >= len(p.text) {
		p.fail("expected a condition ($0, $name) or '('")
		return nil
	}
	switch c := p.text[p.pos]; {
	case c == '(':
		if depth >= maxRelationDepth {
			p.fail(fmt.Sprintf("parentheses nest deeper than %d levels", maxRelationDepth))
			return nil
		}
		p.pos++
		r := p.parseOr(depth + 1)
		if p.err != "" {
			return nil
		}
		p.skipSpace()
		if p.pos >= len(p.text) || p.text[p.pos] != ')' {
			p.fail("expected ')' or an operator (and, or, &&, ||)")
			return nil
		}
		p.pos++
		return r
	case c == '$':
		start := p.pos
		p.pos++
		switch {
		case p.pos < len(p.text) && isDigit(p.text[p.pos]):
			for p.pos < len(p.text) && isDigit(p.text[p.pos]) {
				p.pos++
			}
		case p.pos < len(p.text) && isLetter(p.text[p.pos]):
			for p.pos < len(p.text) && (isLetter(p.text[p.pos]) || isDigit(p.text[p.pos]) || p.text[p.pos] == '_') {
				p.pos++
			}
		default:
			p.pos = start
			p.fail("'$' must be followed by a condition index ($0) or name ($name)")
			return nil
		}
		leaf := &Relation{Op: RelCond, Cond: -1}
		if p.refs == nil {
			p.refs = make(map[*Relation]string)
		}
		p.refs[leaf] = p.text[start+1 : p.pos]
		return leaf
	default:
		p.fail("expected a condition ($0, $name) or '('")
		return nil
	}
}

// resolve sets the condition index of every leaf, in order of appearance, and returns the message of
// the first reference that does not exist.
func (p *relParser) resolve(r *Relation) string {
	if r.Op != RelCond {
		if msg := p.resolve(r.Left); msg != "" {
			return msg
		}
		return p.resolve(r.Right)
	}
	ref := p.refs[r]
	if isDigit(ref[0]) {
		n, err := strconv.Atoi(ref)
		if err != nil || n >= p.nConds {
			return fmt.Sprintf("Condition no. %s does not exist (%s)", ref, conditionRange(p.nConds))
		}
		r.Cond = n
		return ""
	}
	idx, ok := p.names[ref]
	if !ok {
		return fmt.Sprintf("Condition named %s does not exist (names are matched ignoring case)", ref)
	}
	r.Cond = idx
	return ""
}

func conditionRange(n int) string {
	switch n {
	case 0:
		return "the query has no conditions"
	case 1:
		return "the only condition is $0"
	}
	return fmt.Sprintf("conditions are $0 to $%d", n-1)
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// String returns the relation in canonical form: conditions as $<index>, operators as "and" and "or",
// and parentheses exactly where the tree differs from the left-associative, AND-before-OR reading,
// e.g. "($0 and $1) or $2". Parsing the result yields an equal tree.
func (r *Relation) String() string {
	var b strings.Builder
	r.write(&b)
	return b.String()
}

func (r *Relation) write(b *strings.Builder) {
	if r == nil {
		return
	}
	if r.Op == RelCond {
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(r.Cond))
		return
	}
	word := " and "
	if r.Op == RelOr {
		word = " or "
	}
	// A left child needs parentheses only when it is a different operator; a right child whenever it
	// is an operator, since both operators associate to the left.
	r.Left.writeChild(b, r.Left.Op != RelCond && r.Left.Op != r.Op)
	b.WriteString(word)
	r.Right.writeChild(b, r.Right.Op != RelCond)
}

func (r *Relation) writeChild(b *strings.Builder, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	r.write(b)
	if paren {
		b.WriteByte(')')
	}
}

// Eval evaluates the relation given each condition's truth value; an index outside vals is false.
// A nil Relation (a query without conditions) is true: every group matches.
func (r *Relation) Eval(vals []bool) bool {
	if r == nil {
		return true
	}
	switch r.Op {
	case RelAnd:
		return r.Left.Eval(vals) && r.Right.Eval(vals)
	case RelOr:
		return r.Left.Eval(vals) || r.Right.Eval(vals)
	}
	return r.Cond >= 0 && r.Cond < len(vals) && vals[r.Cond]
}
