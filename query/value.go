package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// ValueKind is the JSON type of a literal.
type ValueKind uint8

const (
	KindNone ValueKind = iota // absent or null
	KindString
	KindInt   // a JSON number with no fraction or exponent, or a float with an integral value that fits int64
	KindFloat // any other JSON number
	KindBool
)

func (k ValueKind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindInt:
		return "integer"
	case KindFloat:
		return "float"
	case KindBool:
		return "boolean"
	}
	return "null"
}

// Value is a literal of the query language: a string, a number or a boolean. Numbers keep whether
// they were written as integers so that an integer column can be matched exactly.
type Value struct {
	Kind  ValueKind
	Str   string
	Int   int64
	Float float64 // for KindFloat; for KindInt it equals float64(Int)
	Bool  bool
}

// StringValue, IntValue, FloatValue and BoolValue build literals.
func StringValue(s string) Value { return Value{Kind: KindString, Str: s} }
func IntValue(i int64) Value     { return Value{Kind: KindInt, Int: i, Float: float64(i)} }
func FloatValue(f float64) Value { return Value{Kind: KindFloat, Float: f} }
func BoolValue(b bool) Value     { return Value{Kind: KindBool, Bool: b} }

// IsNumber reports whether v is an integer or a float.
func (v Value) IsNumber() bool { return v.Kind == KindInt || v.Kind == KindFloat }

// Number returns a numeric literal as float64.
func (v Value) Number() float64 {
	if v.Kind == KindInt {
		return float64(v.Int)
	}
	return v.Float
}

// MarshalJSON writes strings and booleans as such, integers in decimal and floats so that they
// read back as floats (1.0, not 1).
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.Kind {
	case KindString:
		return json.Marshal(v.Str)
	case KindInt:
		return strconv.AppendInt(nil, v.Int, 10), nil
	case KindFloat:
		if math.IsNaN(v.Float) || math.IsInf(v.Float, 0) {
			return nil, fmt.Errorf("query: cannot encode %v as JSON", v.Float)
		}
		b := strconv.AppendFloat(nil, v.Float, 'g', -1, 64)
		if !bytes.ContainsAny(b, ".eE") {
			b = append(b, '.', '0')
		}
		return b, nil
	case KindBool:
		return strconv.AppendBool(nil, v.Bool), nil
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads a JSON string, number or boolean. Parse does not use it (it walks a generic
// tree to report every problem with its path); it lets a Value round-trip through encoding/json.
func (v *Value) UnmarshalJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return err
	}
	nv, ok := ValueOf(x)
	if !ok {
		return fmt.Errorf("query: a value must be a string, number or boolean, not %s", b)
	}
	*v = nv
	return nil
}

// ValueOf converts a value decoded by encoding/json with UseNumber into a Value. It reports false
// for null, arrays, objects and numbers that do not fit a float64.
func ValueOf(x any) (Value, bool) {
	switch t := x.(type) {
	case string:
		return StringValue(t), true
	case bool:
		return BoolValue(t), true
	case json.Number:
		return numberValue(string(t))
	case float64:
		return floatOrInt(t), true
	case int:
		return IntValue(int64(t)), true
	case int64:
		return IntValue(t), true
	}
	return Value{}, false
}

func numberValue(s string) (Value, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return IntValue(i), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return Value{}, false
	}
	return FloatValue(f), true
}

func floatOrInt(f float64) Value {
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return IntValue(int64(f))
	}
	return FloatValue(f)
}

// String formats v as it would appear in a message.
func (v Value) String() string {
	b, err := v.MarshalJSON()
	if err != nil {
		return fmt.Sprint(v.Float)
	}
	return string(b)
}
