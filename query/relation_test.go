package query

import (
	"errors"
	"strings"
	"testing"
)

// relNames are the condition names of the relation tests: three conditions named name0..name2.
var relNames = map[string]int{"name0": 0, "name1": 1, "name2": 2}

func TestParseRelationValid(t *testing.T) {
	f := func(expr, want string) {
		t.Helper()
		r, err := ParseRelation(expr, relNames, 3)
		if err != nil {
			t.Fatalf("ParseRelation(%q): %v", expr, err)
		}
		if got := r.String(); got != want {
			t.Fatalf("ParseRelation(%q) = %q, want %q", expr, got, want)
		}
		// The canonical form parses back to the same tree.
		r2, err := ParseRelation(r.String(), nil, 3)
		if err != nil {
			t.Fatalf("reparse %q: %v", r.String(), err)
		}
		if !relEqual(r, r2) {
			t.Fatalf("reparse of %q gave %q", r.String(), r2.String())
		}
	}
	// From the original's test_complex_relation, with the tree written canonically.
	f("$2", "$2")
	f("$name2   ", "$2")
	f("$0 or $1 and $2 and $name0 or $name2", "$0 or ($1 and $2 and $0) or $2")
	f("($0 or $1) and  (( $2 and  $name0 ) or (($name2))) ", "($0 or $1) and (($2 and $0) or $2)")
	f(" ( $0  or $1) &&  (( $2 and  $name0)  || ( ($name2 )) ) ", "($0 or $1) and (($2 and $0) or $2)")
	// Precedence: AND binds tighter than OR, both associate to the left.
	f("$0 or $1 and $2", "$0 or ($1 and $2)")
	f("$0 and $1 or $2", "($0 and $1) or $2")
	f("$0 and $1 and $2", "$0 and $1 and $2")
	f("$0 and ($1 and $2)", "$0 and ($1 and $2)")
	f("$0 or ($1 or $2)", "$0 or ($1 or $2)")
	f("($0 or $1) or $2", "$0 or $1 or $2")
	// Whitespace is optional; operators and names ignore case; a condition may appear twice.
	f("$0and$1", "$0 and $1")
	f("$0||$1&&$2", "$0 or ($1 and $2)")
	f("$0 AND $1 Or $2", "($0 and $1) or $2")
	f("$NAME1 and $Name1", "$1 and $1")
	f("\t$0\nand\n$1 ", "$0 and $1")
	f("((($0)))", "$0")
	f("$00", "$0")
}

func relEqual(a, b *Relation) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Op != b.Op {
		return false
	}
	if a.Op == RelCond {
		return a.Cond == b.Cond
	}
	return relEqual(a.Left, b.Left) && relEqual(a.Right, b.Right)
}

func TestParseRelationInvalid(t *testing.T) {
	f := func(expr, wantMsg string) {
		t.Helper()
		r, err := ParseRelation(expr, relNames, 3)
		if err == nil {
			t.Fatalf("ParseRelation(%q) = %q, want an error", expr, r)
		}
		var e Error
		if !errors.As(err, &e) || e.Kind != KindRelation || e.Path != "query.relation" {
			t.Fatalf("ParseRelation(%q) error %#v, want a RELATION Error at query.relation", expr, err)
		}
		if !strings.Contains(e.Message, wantMsg) {
			t.Fatalf("ParseRelation(%q) message %q, want it to contain %q", expr, e.Message, wantMsg)
		}
	}
	// The original's invalid relations (test_complex_relation and test_shorthand_relation).
	for _, expr := range []string{
		"$1a", "$", "$import() ", "$a-3", "$a a",
		"$adlkja(&^%&^$%@#%&^$&*sydfs fs08d6 78s5876596^$%hdjkhasjkdhajkdhjahdjahsj",
		"$1 and", "$1 $2", "$1 and ()", "(($1)))", "()", "$name$1", "$name ($1)", ")", "$1 and(exception)",
		"$1 / $2", "*", "$1 and 'less /etc/gimme", "sys.exit(1)", "$sys.exit(1)", ";sys.exit(1)", "(sys.exit(1))",
		"raise Exception($1)", `"`, "mosh",
	} {
		f(expr, "invalid")
	}
	f("", "Relation cannot be an empty string")
	f("   ", "Relation cannot be an empty string")
	f("$3", "Condition no. 3 does not exist")
	f("$97686778343434", "Condition no. 97686778343434 does not exist")
	f("$99999999999999999999999999", "Condition no. 99999999999999999999999999 does not exist")
	f("$name3", "Condition named name3 does not exist")
	f("$1 $2", "around '$2': expected an operator")
	f("$1 and", "'$1 and' is invalid")
	f("not $1", "around 'not $1'")
	// A syntax error is reported before a missing condition.
	f("$7 and", "is invalid")
	// Deep nesting is refused, not recursed into.
	f(strings.Repeat("(", 1000)+"$0"+strings.Repeat(")", 1000), "nest deeper")
}

func TestParseRelationNoConditions(t *testing.T) {
	_, err := ParseRelation("$0", nil, 0)
	if err == nil || !strings.Contains(err.Error(), "no conditions") {
		t.Fatalf("got %v, want a message saying there are no conditions", err)
	}
}

func TestRelationEval(t *testing.T) {
	r, err := ParseRelation("$0 or $1 and $2", nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	for mask := 0; mask < 8; mask++ {
		v := []bool{mask&1 != 0, mask&2 != 0, mask&4 != 0}
		want := v[0] || (v[1] && v[2])
		if got := r.Eval(v); got != want {
			t.Fatalf("Eval(%v) = %v, want %v", v, got, want)
		}
	}
	// An index outside vals is false.
	if r.Eval([]bool{false, true}) {
		t.Fatal("Eval with a missing value should treat it as false")
	}
	var none *Relation
	if !none.Eval(nil) || none.String() != "" {
		t.Fatal("a nil relation should be true and print as nothing")
	}
}

func TestRelationLongChain(t *testing.T) {
	// A long flat chain is parsed with a loop, not recursion per operator.
	expr := "$0" + strings.Repeat(" or $1 and $0", 20000)
	r, err := ParseRelation(expr, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Eval([]bool{true, false}) || r.Eval([]bool{false, true}) {
		t.Fatal("wrong evaluation of a long chain")
	}
}
