package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/objstore"
	"github.com/frocket/frocket/query"
)

func (a *api) handleRegister(w http.ResponseWriter, r *http.Request) {
	body, err := a.readBody(w, r)
	if err != nil {
		a.fail(w, r, "", err)
		return
	}
	args, errs := decodeRegisterArgs(body)
	if len(errs) > 0 {
		a.writeError(w, r, http.StatusBadRequest, problemsMessage("Invalid arguments", errs), errs)
		return
	}
	if !boolParam(r, "stream") {
		res, err := a.eng.Register(r.Context(), args, nil)
		if err != nil {
			a.fail(w, r, args.Name, err)
			return
		}
		a.writeJSON(w, r, jobStatus(res.Success), res)
		return
	}
	s := &lineStream{w: w, rc: http.NewResponseController(w)}
	res, err := a.eng.Register(r.Context(), args, s.progress)
	if err != nil {
		s.line(a.streamedError(r, err), false)
		return
	}
	s.line(res, false)
}

// registerFields lists the RegisterArgs JSON keys in the order their problems are reported, each
// with the snake_case spelling also accepted.
func registerFields() [][2]string {
	return [][2]string{
		{"name", "name"},
		{"basepath", "basepath"},
		{"groupIdColumn", "group_id_column"},
		{"timestampColumn", "timestamp_column"},
		{"pattern", "pattern"},
		{"validationMode", "validation_mode"},
		{"validateUniques", "validate_uniques"},
	}
}

// decodeRegisterArgs decodes a registration body (camelCase or snake_case keys) and checks it,
// returning every problem with the JSON path of the key as the client spelled it: PARSE for
// malformed JSON (with line and column), INVALID_ARGUMENTS for the rest. On success the arguments
// have their defaults filled in.
func decodeRegisterArgs(body []byte) (catalog.RegisterArgs, query.Errors) {
	args := catalog.RegisterArgs{ValidateUniques: true}
	var errs query.Errors
	raw, perr := decodeObject(body)
	if perr != nil {
		return args, query.Errors{*perr}
	}
	bad := func(path, format string, a ...any) { errs.Add(query.KindInvalidArgs, path, format, a...) }

	known := map[string]bool{}
	values := map[string]json.RawMessage{} // canonical key -> value
	paths := map[string]string{}           // canonical key -> key as given
	for _, f := range registerFields() {
		known[f[0]], known[f[1]] = true, true
		camel, hasCamel := raw[f[0]]
		snake, hasSnake := raw[f[1]]
		if f[0] != f[1] && hasCamel && hasSnake {
			bad(f[1], "'%s' and '%s' are the same argument; give it once", f[0], f[1])
		}
		switch {
		case hasCamel && !isNull(camel):
			values[f[0]], paths[f[0]] = camel, f[0]
		case hasSnake && !isNull(snake):
			values[f[0]], paths[f[0]] = snake, f[1]
		}
	}
	str := func(key string, required bool) string {
		v, ok := values[key]
		if !ok {
			if required {
				bad(key, "'%s' is missing", key)
			}
			return ""
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			bad(paths[key], "%s is not a string", compactJSON(v))
			return ""
		}
		if required && strings.TrimSpace(s) == "" {
			bad(paths[key], "'%s' must not be empty", paths[key])
		}
		return s
	}
	args.Name = str("name", true)
	if args.Name != "" {
		if err := catalog.ValidateName(args.Name); err != nil {
			bad(paths["name"], "%v", err)
		}
	}
	args.BasePath = str("basepath", true)
	if strings.TrimSpace(args.BasePath) != "" {
		if _, err := objstore.ParseLocation(args.BasePath); err != nil {
			bad(paths["basepath"], "%v", err)
		}
	}
	args.GroupColumn = str("groupIdColumn", true)
	args.TimestampColumn = str("timestampColumn", true)
	if args.GroupColumn != "" && args.GroupColumn == args.TimestampColumn {
		bad(paths["timestampColumn"], "groupIdColumn and timestampColumn are both %q", args.GroupColumn)
	}
	args.Pattern = str("pattern", false)
	if mode := str("validationMode", false); mode != "" {
		switch m := catalog.ValidationMode(mode); m {
		case catalog.ValidateSingle, catalog.ValidateFirstLast, catalog.ValidateSample:
			args.ValidationMode = m
		default:
			bad(paths["validationMode"], "'%s' is not a valid validation mode: want SINGLE, FIRST_LAST or SAMPLE", mode)
		}
	}
	if v, ok := values["validateUniques"]; ok {
		if err := json.Unmarshal(v, &args.ValidateUniques); err != nil {
			bad(paths["validateUniques"], "%s is not a bool", compactJSON(v))
		}
	}
	var unknown []string
	for k := range raw {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		bad(k, "unknown argument '%s'", k)
	}
	if len(errs) > 0 {
		return args, errs
	}
	if err := args.Validate(); err != nil {
		// Everything Validate checks is checked above with a path; this is a safety net.
		bad("", "%v", err)
	}
	return args, errs
}

// decodeObject decodes body as one JSON object, or returns the problem: PARSE with the line and
// column for malformed JSON, INVALID_ARGUMENTS for another kind of value.
func decodeObject(body []byte) (map[string]json.RawMessage, *query.Error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw map[string]json.RawMessage
	err := dec.Decode(&raw)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			off := int(dec.InputOffset())
			return nil, parseError(body, off, "unexpected data after the JSON object")
		}
		if raw == nil {
			err = &json.UnmarshalTypeError{Value: "null"}
		}
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return raw, nil
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(body)) == 0:
		return nil, parseError(body, len(body), "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, parseError(body, len(body), "unexpected end of JSON input")
	case errors.As(err, &syn):
		off := int(syn.Offset)
		if strings.HasPrefix(syn.Error(), "invalid character") && off > 0 {
			off-- // the offset counts the offending byte; point at it
		}
		return nil, parseError(body, off, syn.Error())
	case errors.As(err, &typ):
		return nil, &query.Error{Kind: query.KindInvalidArgs, Message: "the body must be a JSON object"}
	default:
		return nil, parseError(body, len(body), err.Error())
	}
}

// parseError is a PARSE error at byte offset off of body, located by 1-based line and column (in
// characters).
func parseError(body []byte, off int, msg string) *query.Error {
	off = min(max(off, 0), len(body))
	before := body[:off]
	line := 1 + bytes.Count(before, []byte{'\n'})
	if i := bytes.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	col := 1 + utf8.RuneCount(before)
	return &query.Error{Kind: query.KindParse, Message: fmt.Sprintf("line %d, column %d: %s", line, col, msg)}
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

// compactJSON renders a JSON value for a message, shortened when long.
func compactJSON(v json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return string(v)
	}
	if r := []rune(buf.String()); len(r) > 60 {
		return string(r[:57]) + "..."
	}
	return buf.String()
}
