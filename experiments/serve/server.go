package serve

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"branchspec/experiments"
)

// Defaults of Options.
const (
	// DefaultReadTimeout is how long a read waits for a run's file lock.
	// bbolt retries a lock every 50 ms, so 50 ms or less is one
	// non-blocking attempt: a run in the middle of a commit is busy.
	DefaultReadTimeout = 50 * time.Millisecond
	// DefaultRefresh is how often the directories are scanned for changed
	// runs, and how often the page asks.
	DefaultRefresh = 2 * time.Second
)

// Options configure a Server. Zero values take the defaults noted.
type Options struct {
	// Dirs are the directories searched for runs, at any depth (required;
	// they may hold no run yet).
	Dirs []string
	// By is the grouping the page starts with (experiments.GroupByRegime,
	// GroupByName or GroupByExperiment; "" is GroupByRegime).
	By string
	// Compare holds the statistics' settings, as 'compare' takes them
	// (baseline, boot seed, resamples, permutations, level); its Metrics
	// are ignored: the page chooses them.
	Compare experiments.CompareOptions
	// ReadTimeout bounds each wait for a run's file lock (default
	// DefaultReadTimeout).
	ReadTimeout time.Duration
	// Refresh is the least time between two scans of the directories and
	// the page's polling interval (default DefaultRefresh).
	Refresh time.Duration
	// Public accepts requests for any host name. Without it, requests
	// must name a loopback host (localhost, 127.0.0.0/8, ::1), so that a
	// web site the browser visits cannot reach the server through a DNS
	// name that resolves to 127.0.0.1.
	Public bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Server answers the page and its API. It is safe for concurrent use.
type Server struct {
	o     Options
	cat   *catalog
	memo  *memo
	roots []root
}

//go:embed assets
var assets embed.FS

// New returns a server over the runs below o.Dirs. Each must be a
// directory; an unknown grouping is experiments.ErrInvalid-like usage
// error.
func New(o Options) (*Server, error) {
	if len(o.Dirs) == 0 {
		return nil, invalidf("serve: want at least one directory")
	}
	for _, d := range o.Dirs {
		fi, err := os.Stat(d)
		if err != nil {
			return nil, fmt.Errorf("serve: %w", err)
		}
		if !fi.IsDir() {
			return nil, invalidf("serve: %s is not a directory", d)
		}
	}
	if err := checkBy(o.By); err != nil {
		return nil, err
	}
	if o.By == "" {
		o.By = experiments.GroupByRegime
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.Refresh <= 0 {
		o.Refresh = DefaultRefresh
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	roots, err := newRoots(o.Dirs)
	if err != nil {
		return nil, err
	}
	return &Server{o: o, roots: roots, cat: newCatalog(roots, o.ReadTimeout, o.Refresh, o.Now), memo: newMemo(64)}, nil
}

func checkBy(by string) error {
	switch by {
	case "", experiments.GroupByRegime, experiments.GroupByName, experiments.GroupByExperiment:
		return nil
	}
	return invalidf("unknown grouping %q (want %s, %s or %s)", by, experiments.GroupByRegime, experiments.GroupByName, experiments.GroupByExperiment)
}

// ServeHTTP answers GET and HEAD requests for the page, its two assets
// and the API; any other method is 405, any other path 404, and without
// Options.Public a request for a host name that is not loopback is 403.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		httpError(w, http.StatusMethodNotAllowed, "this server only reads: use GET or HEAD")
		return
	}
	if !s.o.Public && !loopbackHost(r.Host) {
		httpError(w, http.StatusForbidden, fmt.Sprintf("host %q is not a loopback name; start the server with --public to serve other names", r.Host))
		return
	}
	switch r.URL.Path {
	case "/":
		s.asset(w, r, "index.html", "text/html; charset=utf-8")
	case "/app.js":
		s.asset(w, r, "app.js", "text/javascript; charset=utf-8")
	case "/style.css":
		s.asset(w, r, "style.css", "text/css; charset=utf-8")
	case "/api/runs":
		s.runs(w, r)
	case "/api/curves":
		s.curves(w, r)
	case "/api/compare":
		s.compare(w, r)
	case "/api/kernels":
		s.kernels(w, r)
	default:
		httpError(w, http.StatusNotFound, "no such page: "+r.URL.Path)
	}
}

// loopbackHost reports whether the Host header names the loopback
// interface: localhost or a loopback address, with or without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// asset writes one embedded file.
func (s *Server) asset(w http.ResponseWriter, r *http.Request, name, ctype string) {
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", ctype)
	writeTagged(w, r, b)
}

// writeJSON writes v as JSON with an ETag, answering 304 when the client
// holds the same body.
func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	writeTagged(w, r, b)
}

// writeTagged writes b with an ETag of its content; the client must
// revalidate each time (Cache-Control: no-cache) and gets 304 Not
// Modified when it holds the same body (http.ServeContent also answers
// HEAD and ranges).
func writeTagged(w http.ResponseWriter, r *http.Request, b []byte) {
	sum := sha256.Sum256(b)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

// httpError writes {"error": msg} with the status.
func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// invalidError is a request the server cannot take; it matches
// experiments.ErrInvalid, which the command line reports as a usage
// error.
type invalidError struct{ msg string }

func (e invalidError) Error() string        { return e.msg }
func (e invalidError) Is(target error) bool { return target == experiments.ErrInvalid }

func invalidf(format string, args ...any) error { return invalidError{fmt.Sprintf(format, args...)} }

// memo keeps the latest computed responses by key, at most n of them,
// dropping the least recently used.
type memo struct {
	mu    sync.Mutex
	n     int
	tick  uint64
	items map[string]*memoItem
}

type memoItem struct {
	v    any
	used uint64
}

func newMemo(n int) *memo { return &memo{n: n, items: map[string]*memoItem{}} }

// get returns the value under key, computing and keeping it if absent.
// Two requests for a missing key may both compute it.
func (m *memo) get(key string, compute func() (any, error)) (any, error) {
	m.mu.Lock()
	if it, ok := m.items[key]; ok {
		m.tick++
		it.used = m.tick
		m.mu.Unlock()
		return it.v, nil
	}
	m.mu.Unlock()
	v, err := compute()
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.items) >= m.n {
		oldest := ""
		for k, it := range m.items {
			if oldest == "" || it.used < m.items[oldest].used {
				oldest = k
			}
		}
		delete(m.items, oldest)
	}
	m.tick++
	m.items[key] = &memoItem{v: v, used: m.tick}
	return v, nil
}
