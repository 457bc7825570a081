package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parse reads a query document. A body that is not JSON gives one Error of kind PARSE whose message
// starts with the line and column of the problem. Otherwise Parse checks the document's shape and
// reports every problem it finds, in document order, as SCHEMA errors (an explicitly empty relation is
// a RELATION error) whose paths point into the document as written, e.g. query.conditions[1].filter[2]
// for the value of a shorthand filter. On success it returns the typed Query with shorthand filters
// and targets already in their verbose form; defaults are filled by Expand. On failure the Query is nil.
func Parse(data []byte) (*Query, Errors) {
	// Unmarshal gives the standard syntax messages and offsets (trailing data included); the ordered
	// tree is built only from a document known to be well formed.
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, Errors{syntaxError(data, err)}
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	root, err := readNode(d)
	if err != nil {
		return nil, Errors{{Kind: KindParse, Message: fmt.Sprintf("read document: %v", err)}}
	}
	var p parser
	q := p.document(root)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return q, nil
}

// syntaxError turns a decoding error into a PARSE error that says where the problem is.
func syntaxError(data []byte, err error) Error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return Error{Kind: KindParse, Message: err.Error()}
	}
	off := int(se.Offset)
	// For "invalid character" the offset counts the offending byte; point at it.
	if strings.HasPrefix(se.Error(), "invalid character") && off > 0 {
		off--
	}
	if off > len(data) {
		off = len(data)
	}
	line, col := lineColumn(data, off)
	msg := se.Error()
	if len(bytes.TrimSpace(data)) == 0 {
		msg += " (the body is empty; send a JSON object such as {})"
	}
	return Error{Kind: KindParse, Message: fmt.Sprintf("line %d, column %d: %s", line, col, msg)}
}

// lineColumn returns the 1-based line and column (in characters) of byte offset off.
func lineColumn(data []byte, off int) (line, col int) {
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	if i := bytes.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	return line, 1 + utf8.RuneCount(before)
}

// jkind is the JSON type of a jnode.
type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

// jnode is a decoded JSON value that keeps the order and duplicates of object keys.
type jnode struct {
	kind  jkind
	b     bool
	s     string   // a string's contents or a number's text
	items []*jnode // array items, or object values parallel to keys
	keys  []string
}

func readNode(d *json.Decoder) (*jnode, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch v := t.(type) {
	case json.Delim:
		n := &jnode{kind: jArray}
		if v == '{' {
			n.kind = jObject
		}
		for d.More() {
			if n.kind == jObject {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				n.keys = append(n.keys, k)
			}
			item, err := readNode(d)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, item)
		}
		if _, err := d.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return n, nil
	case string:
		return &jnode{kind: jString, s: v}, nil
	case json.Number:
		return &jnode{kind: jNumber, s: string(v)}, nil
	case bool:
		return &jnode{kind: jBool, b: v}, nil
	case nil:
		return &jnode{kind: jNull}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", t)
}

// has reports whether object n has the key.
func (n *jnode) has(key string) bool {
	for _, k := range n.keys {
		if k == key {
			return true
		}
	}
	return false
}

// describe names a JSON value for a message: `the string "x"`, `the number 1.5`, `true`, `null`,
// `an array`, `an object`.
func describe(n *jnode) string {
	switch n.kind {
	case jNull:
		return "null"
	case jBool:
		return strconv.FormatBool(n.b)
	case jNumber:
		return "the number " + n.s
	case jString:
		s := n.s
		if utf8.RuneCountInString(s) > 40 {
			s = string([]rune(s)[:40]) + "..."
		}
		return "the string " + strconv.Quote(s)
	case jArray:
		return "an array"
	}
	return "an object"
}

// joinPath appends an object key to a path, in brackets when it is not a plain identifier.
func joinPath(parent, key string) string {
	plain := key != ""
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(isLetter(c) || c == '_' || i > 0 && isDigit(c)) {
			plain = false
			break
		}
	}
	switch {
	case !plain:
		return parent + "[" + strconv.Quote(key) + "]"
	case parent == "":
		return key
	}
	return parent + "." + key
}

func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// parser walks the document tree, building the Query and collecting every problem.
type parser struct {
	errs Errors
}

func (p *parser) schemaf(path, format string, args ...any) {
	p.errs.Add(KindSchema, path, format, args...)
}

// members calls f for each member of object n in document order; a repeated key is an error.
func (p *parser) members(n *jnode, path string, f func(key string, v *jnode, keyPath string)) {
	seen := make(map[string]bool, len(n.keys))
	for i, k := range n.keys {
		kp := joinPath(path, k)
		if seen[k] {
			p.schemaf(kp, "key %q appears more than once; keep one", k)
			continue
		}
		seen[k] = true
		f(k, n.items[i], kp)
	}
}

func (p *parser) unknownKey(path, key, allowed string) {
	p.schemaf(path, "unknown key %q; allowed here: %s", key, allowed)
}

func (p *parser) missingKey(path, key, what string) {
	p.schemaf(path, "missing key %q: %s", key, what)
}

func (p *parser) isObject(n *jnode, path, what string) bool {
	if n.kind != jObject {
		p.schemaf(path, "%s must be an object, not %s", what, describe(n))
		return false
	}
	return true
}

func (p *parser) str(n *jnode, path, what string) (string, bool) {
	if n.kind != jString {
		p.schemaf(path, "%s must be a string, not %s", what, describe(n))
		return "", false
	}
	return n.s, true
}

// column reads a column name: a non-empty string.
func (p *parser) column(n *jnode, path, what string) (string, bool) {
	if n.kind != jString || n.s == "" {
		p.schemaf(path, "%s must be a column name (a non-empty string), not %s", what, describe(n))
		return "", false
	}
	return n.s, true
}

func (p *parser) boolean(n *jnode, path, what string) (bool, bool) {
	if n.kind != jBool {
		p.schemaf(path, "%s must be true or false, not %s", what, describe(n))
		return false, false
	}
	return n.b, true
}

// integer reads an integer in [min, max]; a float with an integral value (1600000000000.0) counts.
func (p *parser) integer(n *jnode, path, what string, min, max int64) (int64, bool) {
	if n.kind == jNumber {
		if v, ok := numberValue(n.s); ok {
			if i, ok := integral(v); ok && i >= min && i <= max {
				return i, true
			}
		}
	}
	if max == math.MaxInt64 {
		p.schemaf(path, "%s must be an integer >= %d, not %s", what, min, describe(n))
	} else {
		p.schemaf(path, "%s must be an integer from %d to %d, not %s", what, min, max, describe(n))
	}
	return 0, false
}

// value reads a filter literal: a string, number or boolean.
func (p *parser) value(n *jnode, path string) (Value, bool) {
	switch n.kind {
	case jString:
		return StringValue(n.s), true
	case jBool:
		return BoolValue(n.b), true
	case jNumber:
		if v, ok := numberValue(n.s); ok {
			return v, true
		}
		p.schemaf(path, "the number %s is out of range", n.s)
		return Value{}, false
	}
	p.schemaf(path, "a filter's value must be a string, number or boolean, not %s", describe(n))
	return Value{}, false
}

func (p *parser) document(n *jnode) *Query {
	if n.kind != jObject {
		p.schemaf("", "a query must be a JSON object such as {\"query\": {...}}, not %s", describe(n))
		return nil
	}
	q := &Query{}
	p.members(n, "", func(k string, v *jnode, kp string) {
		switch k {
		case "timeframe":
			q.Timeframe = p.timeframe(v, kp)
		case "query":
			q.Query = p.querySection(v, kp)
		case "funnel":
			q.Funnel = p.funnel(v, kp)
		default:
			p.unknownKey(kp, k, "timeframe, query, funnel")
		}
	})
	return q
}

func (p *parser) timeframe(n *jnode, path string) *Timeframe {
	if !p.isObject(n, path, "timeframe") {
		return nil
	}
	tf := &Timeframe{}
	p.members(n, path, func(k string, v *jnode, kp string) {
		switch k {
		case "from", "to":
			x, ok := p.integer(v, kp, strconv.Quote(k), 0, math.MaxInt64)
			if !ok {
				return
			}
			if k == "from" {
				tf.From = &x
			} else {
				tf.To = &x
			}
		default:
			p.unknownKey(kp, k, "from, to")
		}
	})
	return tf
}

func (p *parser) querySection(n *jnode, path string) *QuerySection {
	if !p.isObject(n, path, "query") {
		return nil
	}
	qs := &QuerySection{}
	p.members(n, path, func(k string, v *jnode, kp string) {
		switch k {
		case "relation":
			s, ok := p.str(v, kp, `"relation"`)
			if !ok {
				return
			}
			if s == "" {
				p.errs.Add(KindRelation, kp, "%s", emptyRelationMessage)
				return
			}
			qs.Relation = s
		case "conditions":
			if v.kind != jArray {
				p.schemaf(kp, "\"conditions\" must be an array of conditions, not %s", describe(v))
				return
			}
			for i, item := range v.items {
				if c := p.condition(item, indexPath(kp, i)); c != nil {
					qs.Conditions = append(qs.Conditions, *c)
				}
			}
		case "aggregations":
			qs.Aggregations = p.aggregations(v, kp)
		default:
			p.unknownKey(kp, k, "relation, conditions, aggregations")
		}
	})
	return qs
}

func (p *parser) condition(n *jnode, path string) *Condition {
	if !p.isObject(n, path, "a condition") {
		return nil
	}
	var shapes []string
	for _, k := range [...]string{"filter", "filters", "sequence"} {
		if n.has(k) {
			shapes = append(shapes, k)
		}
	}
	shape := ""
	switch len(shapes) {
	case 0:
		p.schemaf(path, "a condition needs one of \"filter\", \"filters\" or \"sequence\"")
	case 1:
		shape = shapes[0]
	default:
		p.schemaf(path, "a condition has exactly one of \"filter\", \"filters\" or \"sequence\", not %s together", strings.Join(shapes, " and "))
	}
	c := &Condition{}
	p.members(n, path, func(k string, v *jnode, kp string) {
		switch k {
		case "name":
			if s, ok := p.str(v, kp, `"name"`); ok {
				c.Name = s
			}
		case "filter":
			c.Filter = p.filter(v, kp)
		case "filters":
			c.Filters = p.filterArray(v, kp)
		case "sequence":
			c.Sequence = p.steps(v, kp)
		case "target":
			if shape == "sequence" {
				p.schemaf(kp, "a sequence condition has no target: it matches the groups that complete the sequence (use \"filter\" or \"filters\" to count rows)")
				return
			}
			c.Target = p.target(v, kp)
		case "includeZero":
			if shape == "sequence" {
				p.schemaf(kp, "\"includeZero\" applies only to filter and filters conditions, not to a sequence")
				return
			}
			if b, ok := p.boolean(v, kp, `"includeZero"`); ok {
				c.IncludeZero = &b
			}
		case "maxDuration":
			if shape == "filter" || shape == "filters" {
				p.schemaf(kp, "\"maxDuration\" applies only to sequence conditions")
				return
			}
			if x, ok := p.integer(v, kp, `"maxDuration"`, 0, math.MaxInt64); ok {
				c.MaxDuration = &x
			}
		default:
			p.unknownKey(kp, k, "name, filter, filters, sequence, target, includeZero, maxDuration")
		}
	})
	return c
}

// filter reads a single filter, verbose {"column", "op", "value"} or shorthand [column, op, value].
func (p *parser) filter(n *jnode, path string) *Filter {
	switch n.kind {
	case jArray:
		if len(n.items) != 3 {
			p.schemaf(path, "a shorthand filter is [column, op, value]; this one has %d item(s)", len(n.items))
			return nil
		}
		col, okC := p.column(n.items[0], indexPath(path, 0), "a filter's column")
		op, okO := p.filterOp(n.items[1], indexPath(path, 1))
		val, okV := p.value(n.items[2], indexPath(path, 2))
		if !okC || !okO || !okV {
			return nil
		}
		return &Filter{Column: col, Op: op, Value: val}
	case jObject:
		return p.verboseFilter(n, path)
	}
	p.schemaf(path, "a filter must be an object {\"column\", \"op\", \"value\"} or an array [column, op, value], not %s", describe(n))
	return nil
}

func (p *parser) verboseFilter(n *jnode, path string) *Filter {
	f := &Filter{}
	ok := true
	p.members(n, path, func(k string, v *jnode, kp string) {
		var good bool
		switch k {
		case "column":
			f.Column, good = p.column(v, kp, "a filter's column")
		case "op":
			f.Op, good = p.filterOp(v, kp)
		case "value":
			f.Value, good = p.value(v, kp)
		default:
			p.unknownKey(kp, k, "column, op, value")
			ok = false
			return
		}
		ok = ok && good
	})
	for _, k := range [...]string{"column", "op", "value"} {
		if !n.has(k) {
			p.missingKey(path, k, "a filter is {\"column\", \"op\", \"value\"}")
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return f
}

func (p *parser) filterOp(n *jnode, path string) (Op, bool) {
	if n.kind == jString && validFilterOp(Op(n.s)) {
		return Op(n.s), true
	}
	p.schemaf(path, "%s is not a filter operator; use one of ==, !=, >, >=, <, <=, contains, not contains", describe(n))
	return "", false
}

func (p *parser) filterArray(n *jnode, path string) []Filter {
	if n.kind != jArray || len(n.items) == 0 {
		p.schemaf(path, "\"filters\" must be a non-empty array of filters {\"column\", \"op\", \"value\"}, not %s", describeArray(n))
		return nil
	}
	out := make([]Filter, 0, len(n.items))
	ok := true
	for i, item := range n.items {
		ip := indexPath(path, i)
		if item.kind == jArray {
			p.schemaf(ip, "items of \"filters\" must be objects {\"column\", \"op\", \"value\"}; the shorthand [column, op, value] is allowed only in \"filter\"")
			ok = false
			continue
		}
		if !p.isObject(item, ip, "a filter") {
			ok = false
			continue
		}
		if f := p.verboseFilter(item, ip); f != nil {
			out = append(out, *f)
		} else {
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return out
}

// describeArray is describe, saying "an empty array" for [].
func describeArray(n *jnode) string {
	if n.kind == jArray && len(n.items) == 0 {
		return "an empty array"
	}
	return describe(n)
}

// steps reads the steps of a sequence condition or funnel.
func (p *parser) steps(n *jnode, path string) []Step {
	if n.kind != jArray || len(n.items) == 0 {
		p.schemaf(path, "\"sequence\" must be a non-empty array of steps {\"filter\": ...} or {\"filters\": [...]}, not %s", describeArray(n))
		return nil
	}
	out := make([]Step, 0, len(n.items))
	for i, item := range n.items {
		if s := p.step(item, indexPath(path, i)); s != nil {
			out = append(out, *s)
		}
	}
	return out
}

func (p *parser) step(n *jnode, path string) *Step {
	if !p.isObject(n, path, "a sequence step") {
		return nil
	}
	hasF, hasFs := n.has("filter"), n.has("filters")
	switch {
	case !hasF && !hasFs:
		p.schemaf(path, "a sequence step needs \"filter\" or \"filters\"")
	case hasF && hasFs:
		p.schemaf(path, "a sequence step has \"filter\" or \"filters\", not both")
	}
	s := &Step{}
	p.members(n, path, func(k string, v *jnode, kp string) {
		switch k {
		case "filter":
			s.Filter = p.filter(v, kp)
		case "filters":
			s.Filters = p.filterArray(v, kp)
		case "rowFound":
			b, ok := p.boolean(v, kp, `"rowFound"`)
			if !ok {
				return
			}
			if !b {
				p.schemaf(kp, "%s", rowFoundMessage)
				return
			}
			s.RowFound = &b
		default:
			p.unknownKey(kp, k, "filter, filters, rowFound")
		}
	})
	return s
}

const rowFoundMessage = "\"rowFound\": false (a step that must not happen) is not supported yet; remove it or set it to true"

// target reads a count or sum target, verbose or shorthand.
func (p *parser) target(n *jnode, path string) *Target {
	switch n.kind {
	case jArray:
		return p.shorthandTarget(n, path)
	case jObject:
		return p.verboseTarget(n, path)
	}
	p.schemaf(path, "a target must be an array such as [\"count\", \">\", 2] or [\"sum\", column, \">=\", 10.5], or an object {\"type\", \"op\", \"value\"}, not %s", describe(n))
	return nil
}

func (p *parser) targetType(n *jnode, path string) (TargetType, bool) {
	if n.kind == jString && (n.s == string(TargetCount) || n.s == string(TargetSum)) {
		return TargetType(n.s), true
	}
	p.schemaf(path, "a target's type must be \"count\" or \"sum\", not %s", describe(n))
	return "", false
}

func (p *parser) shorthandTarget(n *jnode, path string) *Target {
	if len(n.items) == 0 {
		p.schemaf(path, "a shorthand target is [\"count\", op, n] or [\"sum\", column, op, x], not an empty array")
		return nil
	}
	tt, ok := p.targetType(n.items[0], indexPath(path, 0))
	if !ok {
		return nil
	}
	want := 3
	if tt == TargetSum {
		want = 4
	}
	if len(n.items) != want {
		if tt == TargetSum {
			p.schemaf(path, "a shorthand sum target is [\"sum\", column, op, x]; this one has %d item(s)", len(n.items))
		} else {
			p.schemaf(path, "a shorthand count target is [\"count\", op, n]; this one has %d item(s)", len(n.items))
		}
		return nil
	}
	t := &Target{Type: tt}
	i := 1
	good := true
	if tt == TargetSum {
		t.Column, ok = p.column(n.items[1], indexPath(path, 1), "a sum target's column")
		good = good && ok
		i = 2
	}
	t.Op, ok = p.targetOp(n.items[i], indexPath(path, i))
	good = good && ok
	t.Value, ok = p.targetValue(tt, n.items[i+1], indexPath(path, i+1))
	if !good || !ok {
		return nil
	}
	return t
}

func (p *parser) verboseTarget(n *jnode, path string) *Target {
	t := &Target{}
	good := true
	typeKnown := false
	for i, k := range n.keys {
		if k == "type" {
			t.Type, typeKnown = p.targetType(n.items[i], joinPath(path, k))
			good = good && typeKnown
			break
		}
	}
	if !n.has("type") {
		p.missingKey(path, "type", "a target is {\"type\": \"count\", \"op\", \"value\"} or {\"type\": \"sum\", \"column\", \"op\", \"value\"}")
		good = false
	}
	p.members(n, path, func(k string, v *jnode, kp string) {
		var ok bool
		switch k {
		case "type":
			return // read above
		case "column":
			if typeKnown && t.Type == TargetCount {
				p.schemaf(kp, "\"column\" applies only to sum targets; a count target counts the matching rows")
				good = false
				return
			}
			t.Column, ok = p.column(v, kp, "a sum target's column")
		case "op":
			t.Op, ok = p.targetOp(v, kp)
		case "value":
			if !typeKnown {
				return
			}
			t.Value, ok = p.targetValue(t.Type, v, kp)
		default:
			p.unknownKey(kp, k, "type, column, op, value")
		}
		good = good && ok
	})
	required := []string{"op", "value"}
	if typeKnown && t.Type == TargetSum {
		required = []string{"column", "op", "value"}
	}
	for _, k := range required {
		if !n.has(k) {
			p.missingKey(path, k, "a target is {\"type\": \"count\", \"op\", \"value\"} or {\"type\": \"sum\", \"column\", \"op\", \"value\"}")
			good = false
		}
	}
	if !good {
		return nil
	}
	return t
}

func (p *parser) targetOp(n *jnode, path string) (Op, bool) {
	if n.kind == jString && validTargetOp(Op(n.s)) {
		return Op(n.s), true
	}
	p.schemaf(path, "%s is not a target operator; use one of ==, !=, >, >=, <, <=", describe(n))
	return "", false
}

// targetValue reads a count target's value (an integer >= 0) or a sum target's (any number).
func (p *parser) targetValue(tt TargetType, n *jnode, path string) (Value, bool) {
	if tt == TargetCount {
		x, ok := p.integer(n, path, "a count target's value", 0, math.MaxInt64)
		return IntValue(x), ok
	}
	if n.kind == jNumber {
		if v, ok := numberValue(n.s); ok {
			return v, true
		}
	}
	p.schemaf(path, "a sum target's value must be a number, not %s", describe(n))
	return Value{}, false
}

// aggregations reads an array of aggregations or the object form {"columns": [...]}.
func (p *parser) aggregations(n *jnode, path string) []Aggregation {
	var list *jnode
	listPath := path
	switch n.kind {
	case jArray:
		list = n
	case jObject:
		p.members(n, path, func(k string, v *jnode, kp string) {
			if k != "columns" {
				p.unknownKey(kp, k, "columns")
				return
			}
			if v.kind != jArray {
				p.schemaf(kp, "\"columns\" must be an array of aggregations, not %s", describe(v))
				return
			}
			list, listPath = v, kp
		})
		if !n.has("columns") {
			p.missingKey(path, "columns", "aggregations are an array, or an object {\"columns\": [...]}")
		}
	default:
		p.schemaf(path, "aggregations must be an array of {\"column\", \"type\"?, ...}, or an object {\"columns\": [...]}, not %s", describe(n))
	}
	if list == nil {
		return nil
	}
	var out []Aggregation
	for i, item := range list.items {
		if a := p.aggregation(item, indexPath(listPath, i)); a != nil {
			out = append(out, *a)
		}
	}
	return out
}

func (p *parser) aggregation(n *jnode, path string) *Aggregation {
	if !p.isObject(n, path, "an aggregation") {
		return nil
	}
	a := &Aggregation{}
	good := true
	p.members(n, path, func(k string, v *jnode, kp string) {
		ok := true
		switch k {
		case "column":
			a.Column, ok = p.column(v, kp, "an aggregation's column")
		case "type":
			if v.kind == jString && validAggregationType(AggregationType(v.s)) {
				a.Type = AggregationType(v.s)
			} else {
				p.schemaf(kp, "%s is not an aggregation type; use one of count, countPerValue, groupsPerValue, sumPerValue, meanPerValue (or leave it out for the first three)", describe(v))
				ok = false
			}
		case "otherColumn":
			a.OtherColumn, ok = p.column(v, kp, "\"otherColumn\"")
		case "name":
			a.Name, ok = p.str(v, kp, `"name"`)
		case "top":
			var x int64
			if x, ok = p.integer(v, kp, `"top"`, 1, maxTop); ok {
				top := int(x)
				a.Top = &top
			}
		default:
			p.unknownKey(kp, k, "column, type, otherColumn, name, top")
		}
		good = good && ok
	})
	if !n.has("column") {
		p.missingKey(path, "column", "an aggregation needs the column it summarises")
		good = false
	}
	if !good {
		return nil
	}
	return a
}

func (p *parser) funnel(n *jnode, path string) *Funnel {
	if !p.isObject(n, path, "funnel") {
		return nil
	}
	f := &Funnel{}
	p.members(n, path, func(k string, v *jnode, kp string) {
		switch k {
		case "sequence":
			f.Sequence = p.steps(v, kp)
		case "maxDuration":
			if x, ok := p.integer(v, kp, `"maxDuration"`, 0, math.MaxInt64); ok {
				f.MaxDuration = &x
			}
		case "stepAggregations":
			f.StepAggregations = p.aggregations(v, kp)
		case "endAggregations":
			f.EndAggregations = p.aggregations(v, kp)
		default:
			p.unknownKey(kp, k, "sequence, maxDuration, stepAggregations, endAggregations")
		}
	})
	if !n.has("sequence") {
		p.missingKey(path, "sequence", "a funnel needs its steps, e.g. \"sequence\": [{\"filter\": [\"event\", \"==\", \"view\"]}]")
	}
	return f
}
