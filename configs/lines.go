package configs

import (
	"slices"
	"strconv"
	"strings"
)

// keyIndex holds the 1-based line where each key path of a TOML text is
// first defined, for key paths as this package writes them in errors
// ("optim.lr", "model.branch[1].kernel", "regime.freeze[0].layer"). Array
// elements are indexed whether the array is inline or an array of tables.
//
// It is a trie with one node per key or array element, so that its size
// is linear in the text however deep the keys (a map from whole paths to
// lines grows as elements times path length). It exists because
// BurntSushi/toml v1.6 keeps key positions private.
type keyIndex struct {
	text     string
	newlines []int32 // byte offsets of '\n'
	nodes    []keyNode
	children map[edge]int32
}

// keyNode is one key or array element; node 0 is the root.
type keyNode struct {
	line     int32 // where first defined
	depth    int32 // parts of its path
	keyBytes int32 // bytes of its keys joined by dots
}

// edge names a child: a key, or (with name "") array element index.
type edge struct {
	parent int32
	name   string
	index  int32 // -1 for a key
}

// lookup returns the line of key, or else of its nearest enclosing key
// found (for a key left at its default inside a table that the text has),
// or 0.
func (x *keyIndex) lookup(key string) int {
	node, line := int32(0), 0
	for key != "" {
		next, rest, ok := x.step(node, key)
		if !ok {
			break
		}
		node, key, line = next, rest, int(x.nodes[next].line)
	}
	return line
}

// step matches the first part of key below node: "[N]", or a key name
// running to a '.' or '[' (trying longer names, which quoted keys allow,
// if the shortest is not a child).
func (x *keyIndex) step(node int32, key string) (next int32, rest string, ok bool) {
	if inner, after, found := strings.Cut(strings.TrimPrefix(key, "["), "]"); found && key[0] == '[' {
		i, err := strconv.Atoi(inner)
		if err != nil || i < 0 || i > 1<<30 {
			return 0, "", false
		}
		next, ok = x.children[edge{node, "", int32(i)}]
		return next, after, ok
	}
	if node != 0 {
		if key[0] != '.' {
			return 0, "", false
		}
		key = key[1:]
	}
	for cut := 0; cut <= len(key); cut++ {
		if cut < len(key) && key[cut] != '.' && key[cut] != '[' {
			continue
		}
		if next, ok = x.children[edge{node, key[:cut], -1}]; ok {
			return next, key[cut:], true
		}
	}
	return 0, "", false
}

// lineAt returns the 1-based line of byte offset i.
func (x *keyIndex) lineAt(i int) int {
	n, _ := slices.BinarySearch(x.newlines, int32(i))
	return n + 1
}

// colAt returns the 1-based column (in bytes) of byte offset i.
func (x *keyIndex) colAt(i int) int {
	if n := x.lineAt(i); n > 1 {
		return i - int(x.newlines[n-2])
	}
	return i + 1
}

// sourceLine returns line n (1-based) with tabs as spaces, cut to 200
// bytes, or "".
func (x *keyIndex) sourceLine(n int) string {
	if n <= 0 || n > len(x.newlines)+1 {
		return ""
	}
	start, end := 0, len(x.text)
	if n > 1 {
		start = int(x.newlines[n-2]) + 1
	}
	if n <= len(x.newlines) {
		end = int(x.newlines[n-1])
	}
	line := strings.TrimRight(x.text[start:end], "\r")
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	return strings.ReplaceAll(line, "\t", " ")
}

// joinKey appends part to the dotted path.
func joinKey(path, part string) string {
	if path == "" {
		return part
	}
	return path + "." + part
}

// scan reads text once: it checks the limits (MaxTextBytes, MaxDepth,
// MaxKeyBytes), returning the first one exceeded as an *Error with the
// line and column of the key or element that does, and indexes the keys.
//
// The scanner is a small recursive-descent reader of TOML that tracks only
// where keys, tables and array elements are. It runs before BurntSushi/toml,
// on any text: what it does not understand it skips, and it never fails but
// on a limit. On valid TOML, and on the valid part of a text up to its
// first syntax error, it sees the structure BurntSushi/toml does, so every
// array or inline table that BurntSushi/toml recurses into is a node here
// and the depth limit bounds that recursion. Its own recursion stops at
// the limit too.
func scan(filename, text string) (*keyIndex, *Error) {
	if len(text) > MaxTextBytes {
		return nil, &Error{File: filename, Msg: strconv.Itoa(len(text)) + " bytes; " + textLimit}
	}
	x := &keyIndex{text: text, nodes: []keyNode{{}}, children: map[edge]int32{}}
	for i := range len(text) {
		if text[i] == '\n' {
			x.newlines = append(x.newlines, int32(i))
		}
	}
	s := &scanner{s: text, x: x, tables: map[int32]int32{}}
	s.document()
	if s.err != nil {
		s.err.File = filename
		return nil, s.err
	}
	return x, nil
}

// scanner is the state of scan.
type scanner struct {
	s      string
	i      int
	x      *keyIndex
	tables map[int32]int32 // array-of-tables node -> elements so far
	err    *Error          // the limit exceeded; scanning stops
}

func (s *scanner) eof() bool { return s.i >= len(s.s) || s.err != nil }

func (s *scanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.s[s.i]
}

// child returns the node of key name (index < 0) or array element index
// below parent, defined at byte offset at, adding it if new. A node past a
// limit sets s.err.
func (s *scanner) child(parent int32, name string, index int32, at int) int32 {
	e := edge{parent, name, index}
	if n, ok := s.x.children[e]; ok {
		return n
	}
	p := s.x.nodes[parent]
	n := keyNode{line: int32(s.x.lineAt(at)), depth: p.depth + 1, keyBytes: p.keyBytes}
	if index < 0 {
		n.keyBytes += int32(len(name))
		if parent != 0 {
			n.keyBytes++ // the dot
		}
	}
	switch {
	case n.depth > MaxDepth:
		s.fail(at, depthLimit)
	case n.keyBytes > MaxKeyBytes:
		s.fail(at, keyLimit)
	}
	id := int32(len(s.x.nodes))
	s.x.nodes = append(s.x.nodes, n)
	s.x.children[e] = id
	return id
}

func (s *scanner) fail(at int, msg string) {
	if s.err == nil {
		s.err = &Error{Line: s.x.lineAt(at), Col: s.x.colAt(at), Msg: msg}
		s.err.src = s.x.sourceLine(s.err.Line)
	}
}

func (s *scanner) skipSpace() {
	for !s.eof() && (s.s[s.i] == ' ' || s.s[s.i] == '\t') {
		s.i++
	}
}

// skipBlank skips whitespace, newlines and comments.
func (s *scanner) skipBlank() {
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
func (s *scanner) skipLine() {
	for !s.eof() && s.s[s.i] != '\n' {
		s.i++
	}
	if !s.eof() {
		s.i++
	}
}

func (s *scanner) document() {
	table := int32(0)
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

// header reads "[a.b]" or "[[a.b]]" and returns the table's node. A key
// part after an array of tables descends into its last element.
func (s *scanner) header() int32 {
	at := s.i
	array := strings.HasPrefix(s.s[s.i:], "[[")
	s.i++
	if array {
		s.i++
	}
	node := int32(0)
	s.key(func(part string) {
		if n := s.tables[node]; n > 0 {
			node = s.child(node, "", n-1, at)
		}
		node = s.child(node, part, -1, at)
	})
	if array && node != 0 {
		n := s.tables[node]
		s.tables[node]++
		node = s.child(node, "", n, at)
	}
	return node
}

// keyValue reads "a.b = value" in the table node.
func (s *scanner) keyValue(node int32) {
	at := s.i
	s.key(func(part string) { node = s.child(node, part, -1, at) })
	s.skipSpace()
	if s.peek() != '=' {
		return
	}
	s.i++
	s.skipSpace()
	s.value(node)
}

// key reads a dotted key of bare and quoted parts, passing each to fn.
func (s *scanner) key(fn func(part string)) {
	for !s.eof() {
		s.skipSpace()
		switch c := s.peek(); {
		case c == '"' || c == '\'':
			start := s.i
			s.str()
			fn(keyName(c, s.s[start:min(s.i, len(s.s))]))
		case isBare(c):
			start := s.i
			for !s.eof() && isBare(s.peek()) {
				s.i++
			}
			fn(s.s[start:s.i])
		default:
			return
		}
		s.skipSpace()
		if s.peek() != '.' {
			return
		}
		s.i++
	}
}

// keyName returns the key that the quoted key raw (quote q, maybe
// unterminated) names.
func keyName(q byte, raw string) string {
	inner := strings.TrimSuffix(raw[1:], string(q))
	if q == '"' {
		if u, err := strconv.Unquote(`"` + inner + `"`); err == nil {
			return u
		}
	}
	return inner
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// value reads one value of node, adding array elements and inline-table
// keys below it.
func (s *scanner) value(node int32) {
	switch s.peek() {
	case '[':
		s.i++
		for n := int32(0); !s.eof(); n++ {
			s.skipBlank()
			if s.peek() == ']' {
				s.i++
				return
			}
			start := s.i
			elem := s.child(node, "", n, s.i)
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
			s.keyValue(node)
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
func (s *scanner) str() {
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
	s.i = min(s.i, len(s.s))
}
