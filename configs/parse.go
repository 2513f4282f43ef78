package configs

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Parse decodes TOML text onto Defaults() and validates the result.
// filename only labels errors. Keys the text omits keep their defaults;
// arrays replace the default arrays whole. The decoding is strict (see
// decode.go): unknown keys, keys in the wrong case and values of the wrong
// type are errors, as are values Validate rejects, a text past the limits
// (MaxTextBytes, MaxDepth, MaxKeyBytes) and a text that sets no key at all,
// so that an empty or truncated file does not train the defaults
// unnoticed. Every error is an *Error carrying the line of the offending
// key where it can be found.
func Parse(filename string, text []byte) (*Config, error) {
	c := Defaults()
	if err := c.decodeText(filename, string(text)); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeText decodes text onto c and validates it.
func (c *Config) decodeText(filename, text string) error {
	doc, err := ReadDocument(filename, []byte(text))
	if err != nil {
		return err
	}
	if doc.Empty() {
		return &Error{File: filename, Msg: `no keys set; an empty config is refused so that it does not train the defaults unnoticed (set at least name = "...")`}
	}
	if err := doc.Decode(c); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return doc.at(err.(*Error))
	}
	return nil
}

// Set applies one override "key=value" to c, as given to --set, and
// re-validates; on any error c is unchanged.
//
// The key is a dotted path of TOML keys, exactly as in the file, where an
// array element may be picked by index: "optim.lr", "data.synthetic.size",
// "model.branch[1].kernel", "model.per_branch[0][1].out",
// "regime.mixing". The value is a TOML value ("0.01", "[64, 32]",
// "{layer = \"branch.*.1\", p = 0.5}", "[]"); for string keys a bare word
// is taken as the string itself (optim.algorithm=sgd). Tables merge onto the
// current value, arrays replace it, exactly as in Parse. Errors are *Error
// with File SetFile.
func (c *Config) Set(assign string) error { return c.SetAll([]string{assign}) }

// SetAll applies several "key=value" assignments as Set does, then
// validates once, so that assignments may pass through states that only
// their combination makes valid ("schedule.steps=2", "schedule.warmup=0").
// On error the config is unchanged.
func (c *Config) SetAll(assigns []string) error {
	n := c.Clone()
	for _, a := range assigns {
		if err := n.assign(a); err != nil {
			return err
		}
	}
	if err := n.Validate(); err != nil {
		e := err.(*Error)
		e.File = SetFile
		return e
	}
	*c = *n
	return nil
}

// assign applies one "key=value" without validating the whole config.
func (c *Config) assign(assign string) error {
	if len(assign) > MaxTextBytes {
		return &Error{File: SetFile, Msg: strconv.Itoa(len(assign)) + " bytes; " + textLimit}
	}
	key, val, ok := strings.Cut(assign, "=")
	key, val = strings.TrimSpace(key), strings.TrimSpace(val)
	if !ok || key == "" {
		return &Error{File: SetFile, Msg: fmt.Sprintf("want key=value, got %q", clip(assign))}
	}
	target, err := c.field(key)
	if err != nil {
		err.File = SetFile
		return err
	}
	if (target.Kind() == reflect.String || target.Type() == scaleType && val == scaleFitWord) &&
		!strings.HasPrefix(val, `"`) && !strings.HasPrefix(val, "'") {
		val = tomlString(val)
	}
	text := "v = " + val
	if _, e := scan(SetFile, text); e != nil {
		return &Error{File: SetFile, Key: key, Msg: e.Msg}
	}
	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil || len(raw) != 1 {
		return &Error{File: SetFile, Key: key,
			Msg: fmt.Sprintf("cannot read %q as one TOML value (want %s)", clip(val), want(target.Type()))}
	}
	var d decoder
	d.value(key, raw["v"], target)
	if d.err != nil {
		d.err.File = SetFile
		return d.err
	}
	return nil
}

// SetString returns the Set assignment that sets the string key to value
// exactly, whatever characters value holds: key="value" with value
// quoted as a TOML basic string.
func SetString(key, value string) string { return key + "=" + tomlString(value) }

// clip shortens s to at most 40 bytes for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// field resolves a Set key path to the settable value it names: keys
// separated by dots, each followed by any number of [N].
func (c *Config) field(key string) (reflect.Value, *Error) {
	rv := reflect.ValueOf(c).Elem()
	path := ""
	for _, seg := range strings.Split(key, ".") {
		name, _, _ := strings.Cut(seg, "[")
		if rv.Kind() != reflect.Struct {
			return rv, keyError(key, fmt.Sprintf("%s is %s, not a table", path, want(rv.Type())))
		}
		fields := tomlFields(rv.Type())
		f, exact, ok := findField(fields, name)
		switch {
		case !ok:
			return rv, keyError(key, unknownKey(fields, name))
		case !exact:
			return rv, keyError(key, fmt.Sprintf("keys are case-sensitive: write %q", joinKey(path, f.name)))
		}
		path = joinKey(path, name)
		rv = rv.Field(f.index)
		for rest := seg[len(name):]; rest != ""; {
			part, after, closed := strings.Cut(rest[1:], "]")
			i, err := strconv.Atoi(part)
			switch {
			case !closed:
				return rv, keyError(key, fmt.Sprintf(`unclosed "[" in %s%s; write %s[N] with N >= 0`, path, rest, path))
			case rv.Kind() != reflect.Slice:
				return rv, keyError(key, fmt.Sprintf("%s is %s, not an array", path, want(rv.Type())))
			case err != nil || i < 0:
				return rv, keyError(key, fmt.Sprintf("bad index %q; write %s[N] with N >= 0", part, path))
			case i >= rv.Len():
				return rv, keyError(key, fmt.Sprintf("index %d out of range: %s has %d elements", i, path, rv.Len()))
			case after != "" && after[0] != '[':
				return rv, keyError(key, fmt.Sprintf("unexpected %q after %s[%d]; write %s[N] with N >= 0", after, path, i, path))
			}
			path += "[" + strconv.Itoa(i) + "]"
			rv = rv.Index(i)
			rest = after
		}
	}
	return rv, nil
}
