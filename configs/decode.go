package configs

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// The strict decoder assigns a tree parsed by BurntSushi/toml (tables as
// map[string]any, arrays as []any or []map[string]any) onto a Config.
// BurntSushi's own struct decoding is avoided on purpose: it matches keys
// case-insensitively, ignores unknown keys, wraps type errors in plain
// strings without the key's position, and decodes an array of tables onto
// the elements of an existing slice, so a layer table that omits a key would
// silently inherit the default's value. Here:
//
//   - a key must equal a toml tag exactly; a key that differs only in case
//     is an error naming the right spelling; any other key is an error;
//   - types must match: integers for int fields (>= 0 for uint64), numbers
//     (integer or float) for float64 fields, strings, booleans, tables;
//   - a table decodes onto the existing value: keys it omits keep their
//     current (default) values;
//   - an array replaces the slice: its elements start from the zero value,
//     and an empty array gives a nil slice.

// maxExactInt is the largest integer every float64 holds exactly, 2^53.
const maxExactInt = 1 << 53

// decoder assigns one tree and keeps its first key error in document
// order, so that of many errors only the one reported is formatted.
type decoder struct {
	line func(key string) int // the line of key in the text; nil if none
	err  *Error
}

// first returns the line of key and whether an error there comes before
// the one kept: on an earlier line, or on a known line where the kept
// one's is unknown (0). Among equals the error found first stays.
func (d *decoder) first(key string) (line int, ok bool) {
	if d.line != nil {
		line = d.line(key)
	}
	return line, d.err == nil || line != 0 && (d.err.Line == 0 || line < d.err.Line)
}

// fail keeps the error at key if it comes first.
func (d *decoder) fail(key, format string, args ...any) {
	if line, ok := d.first(key); ok {
		d.err = &Error{Key: key, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
}

// tomlField is one struct field's TOML key.
type tomlField struct {
	name  string
	index int
	// omitDefault is the tag option "omitdefault": Canonical leaves the
	// key out when it holds its default (see Data).
	omitDefault bool
}

// tomlFields lists the fields of struct type t that have a toml tag, in
// declaration order.
func tomlFields(t reflect.Type) []tomlField {
	var fs []tomlField
	for i := range t.NumField() {
		name, opt, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
		if name != "" && name != "-" {
			fs = append(fs, tomlField{name: name, index: i, omitDefault: opt == "omitdefault"})
		}
	}
	return fs
}

// findField returns the field of fields with key name exactly, or else
// (with exact == false) the one whose key differs only in case; ok is
// false if there is neither.
func findField(fields []tomlField, name string) (f tomlField, exact, ok bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			return f, false, true
		}
	}
	return tomlField{}, false, false
}

// unknownKey explains that key (the last part of path) is none of fields.
func unknownKey(fields []tomlField, key string) string {
	var names []string
	best, bestDist := "", 3
	for _, f := range fields {
		names = append(names, f.name)
		if dist := editDistance(key, f.name, bestDist); dist < bestDist {
			best, bestDist = f.name, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key (did you mean %q?)", best)
	}
	return "unknown key; allowed here: " + strings.Join(names, ", ")
}

// editDistance is the Levenshtein distance between a and b (in bytes), or
// any value >= bound if it is at least bound.
func editDistance(a, b string, bound int) int {
	if len(a)-len(b) >= bound || len(b)-len(a) >= bound {
		return bound
	}
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// scaleType is Scale, whose TOML value is a number or the string "fit".
var scaleType = reflect.TypeFor[Scale]()

// scaleFitWord is how TOML writes ScaleFit.
const scaleFitWord = "fit"

// want names what a value of type t must be in TOML.
func want(t reflect.Type) string {
	if t == scaleType {
		return `a number or "fit"`
	}
	switch t.Kind() {
	case reflect.Struct:
		return "a table"
	case reflect.Slice:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int:
		return "an integer"
	case reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float64:
		return "a number"
	case reflect.Map:
		return "a table"
	}
	return t.String()
}

// describe names a parsed TOML value for error messages.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		return "string " + strconv.Quote(v)
	case int64:
		return "integer " + strconv.FormatInt(v, 10)
	case float64:
		return "float " + formatFloat(v)
	case bool:
		return "boolean " + strconv.FormatBool(v)
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	}
	return "a datetime"
}

// value decodes v onto rv (settable) at key path.
func (d *decoder) value(path string, v any, rv reflect.Value) {
	t := rv.Type()
	mismatch := func() { d.fail(path, "want %s, got %s", want(t), describe(v)) }
	if t == scaleType {
		if s, ok := v.(string); ok {
			if s != scaleFitWord {
				mismatch()
				return
			}
			rv.SetFloat(float64(ScaleFit))
			return
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			mismatch()
			return
		}
		d.table(path, m, rv)
	case reflect.Slice:
		d.slice(path, v, rv, mismatch)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			mismatch()
			return
		}
		rv.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			mismatch()
			return
		}
		rv.SetBool(b)
	case reflect.Int:
		n, ok := v.(int64)
		if !ok {
			mismatch()
			return
		}
		rv.SetInt(n)
	case reflect.Uint64:
		n, ok := v.(int64)
		if !ok || n < 0 {
			mismatch()
			return
		}
		rv.SetUint(uint64(n))
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			mismatch()
			return
		}
		d.mapping(path, m, rv)
	case reflect.Interface:
		rv.Set(reflect.ValueOf(v))
	case reflect.Float64:
		switch n := v.(type) {
		case float64:
			rv.SetFloat(n)
		case int64:
			if n > maxExactInt || n < -maxExactInt {
				d.fail(path, "integer %d is not exactly a float64; write it as a float", n)
				return
			}
			rv.SetFloat(float64(n))
		default:
			mismatch()
		}
	default:
		panic("configs: no decoder for " + t.String())
	}
}

// table decodes the keys of m onto struct rv, in sorted order.
func (d *decoder) table(path string, m map[string]any, rv reflect.Value) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fields := tomlFields(rv.Type())
	for _, k := range keys {
		f, exact, ok := findField(fields, k)
		switch {
		case !ok:
			if _, first := d.first(joinKey(path, k)); first {
				d.fail(joinKey(path, k), "%s", unknownKey(fields, k))
			}
		case !exact:
			d.fail(joinKey(path, k), "keys are case-sensitive: write %q", joinKey(path, f.name))
		default:
			d.value(joinKey(path, k), m[k], rv.Field(f.index))
		}
	}
}

// mapping replaces map rv by one holding every key of m, each value decoded
// onto a new element; keys are free.
func (d *decoder) mapping(path string, m map[string]any, rv reflect.Value) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := reflect.MakeMapWithSize(rv.Type(), len(m))
	for _, k := range keys {
		elem := reflect.New(rv.Type().Elem()).Elem()
		d.value(joinKey(path, k), m[k], elem)
		out.SetMapIndex(reflect.ValueOf(k).Convert(rv.Type().Key()), elem)
	}
	rv.Set(out)
}

// slice replaces slice rv by a new one decoded from array v.
func (d *decoder) slice(path string, v any, rv reflect.Value, mismatch func()) {
	var elems []any
	switch a := v.(type) {
	case []any:
		elems = a
	case []map[string]any:
		for _, m := range a {
			elems = append(elems, m)
		}
	default:
		mismatch()
		return
	}
	if len(elems) == 0 {
		rv.SetZero()
		return
	}
	s := reflect.MakeSlice(rv.Type(), len(elems), len(elems))
	for i, e := range elems {
		d.value(path+"["+strconv.Itoa(i)+"]", e, s.Index(i))
	}
	rv.Set(s)
}
