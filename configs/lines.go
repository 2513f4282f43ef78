package configs

import (
	"sort"
	"strconv"
	"strings"
)

// keyLines maps key paths, written as this package writes them in errors
// ("optim.lr", "model.branch[1].kernel", "regime.freeze[0].layer"), to the
// 1-based line of the TOML text where they are first defined. Elements of
// arrays are indexed whether the array is inline or an array of tables.
//
// It exists because BurntSushi/toml v1.6 keeps key positions private.
type keyLines map[string]int

// lookup returns the line of key, or else of its nearest enclosing key
// found (for a key left at its default inside a table that the text has),
// or 0.
func (kl keyLines) lookup(key string) int {
	for key != "" {
		if n, ok := kl[key]; ok {
			return n
		}
		cut := strings.LastIndexAny(key, ".[")
		if cut < 0 {
			return 0
		}
		key = key[:cut]
	}
	return 0
}

// joinKey appends part to the dotted path.
func joinKey(path, part string) string {
	if path == "" {
		return part
	}
	return path + "." + part
}

// indexLines scans text, which must be TOML that BurntSushi/toml parsed
// without error, and records the line of every key, table header and array
// element. On text it does not understand it records less; it never fails.
func indexLines(text string) keyLines {
	s := &lineScanner{s: text, lines: keyLines{}, tables: map[string]int{}}
	for i, c := range text {
		if c == '\n' {
			s.newlines = append(s.newlines, i)
		}
	}
	s.document()
	return s.lines
}

// lineScanner is a small recursive-descent reader of valid TOML that only
// tracks where keys are.
type lineScanner struct {
	s        string
	i        int
	newlines []int          // byte offsets of '\n'
	lines    keyLines       // result
	tables   map[string]int // array-of-tables path -> elements so far
}

func (s *lineScanner) eof() bool { return s.i >= len(s.s) }

func (s *lineScanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.s[s.i]
}

// lineAt is the 1-based line of byte offset i.
func (s *lineScanner) lineAt(i int) int {
	return sort.SearchInts(s.newlines, i) + 1
}

func (s *lineScanner) record(path string, at int) {
	if _, ok := s.lines[path]; !ok && path != "" {
		s.lines[path] = s.lineAt(at)
	}
}

func (s *lineScanner) skipSpace() {
	for !s.eof() && (s.s[s.i] == ' ' || s.s[s.i] == '\t') {
		s.i++
	}
}

// skipBlank skips whitespace, newlines and comments.
func (s *lineScanner) skipBlank() {
	for !s.eof() {
		switch s.s[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		case '#':
			s.skipLine()
		default:
			return
		}
	}
}

// skipLine moves to the start of the next line.
func (s *lineScanner) skipLine() {
	for !s.eof() && s.s[s.i] != '\n' {
		s.i++
	}
	if !s.eof() {
		s.i++
	}
}

func (s *lineScanner) document() {
	table := ""
	for !s.eof() {
		start := s.i
		s.skipBlank()
		if s.eof() {
			return
		}
		if s.peek() == '[' {
			table = s.header()
		} else {
			s.keyValue(table)
		}
		s.skipLine()
		if s.i == start {
			s.i++
		}
	}
}

// header reads "[a.b]" or "[[a.b]]" and returns the table's path.
func (s *lineScanner) header() string {
	at := s.i
	array := strings.HasPrefix(s.s[s.i:], "[[")
	s.i++
	if array {
		s.i++
	}
	parts := s.key()
	path := ""
	for k, p := range parts {
		path = joinKey(path, p)
		s.record(path, at)
		if n := s.tables[path]; n > 0 && k < len(parts)-1 {
			path += "[" + strconv.Itoa(n-1) + "]"
		}
	}
	if array {
		base := path
		path = base + "[" + strconv.Itoa(s.tables[base]) + "]"
		s.tables[base]++
		s.record(path, at)
	}
	return path
}

// keyValue reads "a.b = value" inside table.
func (s *lineScanner) keyValue(table string) {
	at := s.i
	path := table
	for _, p := range s.key() {
		path = joinKey(path, p)
		s.record(path, at)
	}
	s.skipSpace()
	if s.peek() != '=' {
		return
	}
	s.i++
	s.skipSpace()
	s.value(path)
}

// key reads a dotted key of bare and quoted parts.
func (s *lineScanner) key() []string {
	var parts []string
	for !s.eof() {
		s.skipSpace()
		switch c := s.peek(); {
		case c == '"' || c == '\'':
			start := s.i
			s.str()
			raw := s.s[start:s.i]
			if u, err := strconv.Unquote(`"` + raw[1:len(raw)-1] + `"`); c == '"' && err == nil {
				parts = append(parts, u)
			} else {
				parts = append(parts, raw[1:len(raw)-1])
			}
		case isBare(c):
			start := s.i
			for !s.eof() && isBare(s.peek()) {
				s.i++
			}
			parts = append(parts, s.s[start:s.i])
		default:
			return parts
		}
		s.skipSpace()
		if s.peek() != '.' {
			return parts
		}
		s.i++
	}
	return parts
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// value reads one value, recording array elements and inline-table keys.
func (s *lineScanner) value(path string) {
	switch s.peek() {
	case '[':
		s.i++
		for n := 0; !s.eof(); n++ {
			s.skipBlank()
			if s.peek() == ']' {
				s.i++
				return
			}
			start := s.i
			elem := path + "[" + strconv.Itoa(n) + "]"
			s.record(elem, s.i)
			s.value(elem)
			s.skipBlank()
			if s.peek() == ',' {
				s.i++
			}
			if s.i == start {
				s.i++
			}
		}
	case '{':
		s.i++
		for !s.eof() {
			s.skipBlank()
			if s.peek() == '}' {
				s.i++
				return
			}
			start := s.i
			s.keyValue(path)
			s.skipBlank()
			if s.peek() == ',' {
				s.i++
			}
			if s.i == start {
				s.i++
			}
		}
	case '"', '\'':
		s.str()
	default:
		for !s.eof() && !strings.ContainsRune(",]}# \t\r\n", rune(s.peek())) {
			s.i++
		}
	}
}

// str reads a basic, literal or multi-line string including its quotes.
func (s *lineScanner) str() {
	q := s.peek()
	delim := string(q)
	if strings.HasPrefix(s.s[s.i:], strings.Repeat(delim, 3)) {
		delim = strings.Repeat(delim, 3)
	}
	s.i += len(delim)
	for !s.eof() {
		switch {
		case q == '"' && s.peek() == '\\':
			s.i += 2
		case strings.HasPrefix(s.s[s.i:], delim):
			s.i += len(delim)
			// A multi-line string may end with up to two extra quotes.
			for n := 0; len(delim) == 3 && n < 2 && s.peek() == q; n++ {
				s.i++
			}
			return
		case len(delim) == 1 && s.peek() == '\n':
			return
		default:
			s.i++
		}
	}
	if s.i > len(s.s) {
		s.i = len(s.s)
	}
}
