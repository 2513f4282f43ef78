package configs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Canonical returns the config as deterministic TOML text that names every
// key but those tagged omitdefault that hold their default value (keys
// added after runs were stored, see Data; a layer's are omitted when zero):
// top-level keys, then one [table] per section in declaration order, keys
// in declaration order, arrays inline, floats in their shortest
// round-tripping form, no comments. Parse(name, c.Canonical()) gives back a
// config reflect.DeepEqual to c (empty slices are nil on both sides), so the
// text stored with a run reproduces it exactly, and a config that leaves
// the newer keys at their defaults has the text and hash it had before
// they existed.
func (c *Config) Canonical() []byte {
	var b bytes.Buffer
	writeTable(&b, "", reflect.ValueOf(c).Elem(), reflect.ValueOf(Defaults()).Elem())
	return b.Bytes()
}

// Hash returns the lowercase hex SHA-256 of Canonical(): equal configs have
// equal hashes, and any changed value changes it.
func (c *Config) Hash() string {
	sum := sha256.Sum256(c.Canonical())
	return hex.EncodeToString(sum[:])
}

// writeTable writes the keys of struct rv at path: plain keys first, then
// each nested struct as its own [path.key] table. def is the default value
// of rv: an omitdefault key equal to it is left out.
func writeTable(b *bytes.Buffer, path string, rv, def reflect.Value) {
	fields := tomlFields(rv.Type())
	omit := func(f tomlField) bool {
		return f.omitDefault && sameBits(rv.Field(f.index), def.Field(f.index))
	}
	for _, f := range fields {
		if fv := rv.Field(f.index); fv.Kind() != reflect.Struct && !omit(f) {
			fmt.Fprintf(b, "%s = %s\n", f.name, inline(fv))
		}
	}
	for _, f := range fields {
		if fv := rv.Field(f.index); fv.Kind() == reflect.Struct && !omit(f) {
			sub := joinKey(path, f.name)
			fmt.Fprintf(b, "\n[%s]\n", sub)
			writeTable(b, sub, fv, def.Field(f.index))
		}
	}
}

// sameBits reports whether a and b (of one type) hold the same value bit
// for bit: unlike ==, -0.0 differs from 0.0, so a config whose text omits
// a key at its default value decodes to the same bits.
func sameBits(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameBits(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameBits(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	}
	return a.Interface() == b.Interface()
}

// inline renders rv as a TOML inline value; a struct's omitdefault keys
// are left out when zero.
func inline(rv reflect.Value) string {
	if rv.Type() == scaleType && Scale(rv.Float()) == ScaleFit {
		return tomlString(scaleFitWord)
	}
	switch rv.Kind() {
	case reflect.Struct:
		var parts []string
		for _, f := range tomlFields(rv.Type()) {
			if fv := rv.Field(f.index); !f.omitDefault || !sameBits(fv, reflect.Zero(fv.Type())) {
				parts = append(parts, f.name+" = "+inline(fv))
			}
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case reflect.Slice:
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = inline(rv.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.String:
		return tomlString(rv.String())
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool())
	case reflect.Int:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Float64:
		return formatFloat(rv.Float())
	}
	panic("configs: no TOML form for " + rv.Type().String())
}

// formatFloat writes f as a TOML float that parses back to f exactly:
// the shortest round-tripping decimal, with ".0" added to whole numbers,
// and TOML's nan, inf and -inf.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Clone returns a deep copy of c: no slice is shared.
func (c *Config) Clone() *Config {
	n := *c
	m := &n.Model
	m.Stem = slices.Clone(m.Stem)
	m.Branch = slices.Clone(m.Branch)
	m.Trunk = slices.Clone(m.Trunk)
	m.Hidden = slices.Clone(m.Hidden)
	if c.Model.PerBranch != nil {
		m.PerBranch = make([][]Layer, len(c.Model.PerBranch))
		for i, l := range c.Model.PerBranch {
			m.PerBranch[i] = slices.Clone(l)
		}
	}
	n.Regime.Freeze = slices.Clone(n.Regime.Freeze)
	n.Regime.Rerandomize = slices.Clone(n.Regime.Rerandomize)
	return &n
}
