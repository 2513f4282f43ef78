package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"branchspec/experiments"
)

// compareOptions are the statistics settings 'compare' runs with by
// default (its flags), given to the servers under test.
var compareOptions = experiments.CompareOptions{BootSeed: 1, Resamples: 2000, Permutations: 10000}

// TestRunsJSON checks the run list's shape: every run with its group,
// seed, progress and kept checkpoints, aligned metric keys, and an ETag
// that answers 304 while nothing changed.
func TestRunsJSON(t *testing.T) {
	root := trainedRoot(t)
	s := newTestServer(t, Options{Dirs: []string{root}, Compare: compareOptions})
	var got runsJSON
	getJSON(t, s, "/api/runs", http.StatusOK, &got)
	wantIDs := []string{"check/baseline/seed-1", "check/baseline/seed-2", "check/gray/seed-1", "check/gray/seed-2"}
	var ids []string
	for _, r := range got.Runs {
		ids = append(ids, r.ID)
		if r.State != "done" || r.Status != "done" || r.Step != 30 || r.Total != 30 || r.Live || r.Busy || r.Error != "" {
			t.Errorf("%s: state %q status %q step %d/%d live %v busy %v error %q; want a finished run of 30 steps",
				r.ID, r.State, r.Status, r.Step, r.Total, r.Live, r.Busy, r.Error)
		}
		if len(r.Kept) == 0 || r.Kept[len(r.Kept)-1] != 30 || math.IsNaN(float64(r.TestAcc)) || r.Rows == 0 {
			t.Errorf("%s: kept %v, test acc %v, rows %d", r.ID, r.Kept, r.TestAcc, r.Rows)
		}
		if want := strings.Split(r.ID, "/")[1]; r.Group != want {
			t.Errorf("%s: group %q, want %q", r.ID, r.Group, want)
		}
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("run ids %v, want %v", ids, wantIDs)
	}
	if !slices.Equal(got.Groups, []string{"baseline", "gray"}) || !slices.Equal(got.Seeds, []uint64{1, 2}) {
		t.Errorf("groups %v seeds %v, want [baseline gray] [1 2]", got.Groups, got.Seeds)
	}
	if !slices.Contains(got.Metrics, "chroma.a0") || slices.Contains(got.Metrics, "chroma.b0") || !slices.Contains(got.DefaultMetrics, "test.acc") {
		t.Errorf("metrics %v (defaults %v): want aligned keys (chroma.a0, no chroma.b0) and test.acc among the defaults", got.Metrics, got.DefaultMetrics)
	}
	if got.By != "regime" || got.Baseline != "baseline" || got.PollMS != 0 || got.Version == 0 {
		t.Errorf("by %q baseline %q poll %d version %d", got.By, got.Baseline, got.PollMS, got.Version)
	}

	res := get(t, s, "/api/runs")
	tag := res.Header.Get("ETag")
	res = do(t, s, http.MethodGet, "/api/runs", http.Header{"If-None-Match": {tag}})
	if tag == "" || res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with ETag %q: status %d, want 304", tag, res.StatusCode)
	}
	var byName runsJSON
	getJSON(t, s, "/api/runs?by=name", http.StatusOK, &byName)
	if byName.By != "name" {
		t.Errorf("by=name answered by %q", byName.By)
	}
	getJSON(t, s, "/api/runs?by=colour", http.StatusBadRequest, &map[string]string{})
}

// curvesAnswerJSON decodes /api/curves.
type curvesAnswerJSON struct {
	Metrics []string `json:"metrics"`
	Missing []string `json:"missing"`
	Groups  []string `json:"groups"`
	Curves  []struct {
		Metric string      `json:"metric"`
		Group  string      `json:"group"`
		Runs   int         `json:"runs"`
		Points [][]float64 `json:"points"`
	} `json:"curves"`
	Series []struct {
		Metric string      `json:"metric"`
		Run    string      `json:"run"`
		Group  string      `json:"group"`
		Seed   uint64      `json:"seed"`
		Points [][]float64 `json:"points"`
	} `json:"series"`
}

// TestCurvesAreCompares checks that the page's curves are compare's:
// every point equals, bit for bit, the CurvePoint CompareDirs computes
// for the same runs, and the group and seed choices select runs.
func TestCurvesAreCompares(t *testing.T) {
	root := trainedRoot(t)
	s := newTestServer(t, Options{Dirs: []string{root}, Compare: compareOptions})
	metrics := []string{"test.acc", "rejoin.maxshare"}
	c, err := experiments.CompareDirs(experiments.CompareRequest{Dirs: []string{root}, Metrics: metrics, Options: compareOptions})
	if err != nil {
		t.Fatal(err)
	}
	var got curvesAnswerJSON
	getJSON(t, s, "/api/curves?metric=test.acc&metric=rejoin.maxshare&metric=no.such.key", http.StatusOK, &got)
	if !slices.Equal(got.Metrics, metrics) || len(c.Metrics) != 2 || !slices.Equal(got.Missing, []string{"no.such.key"}) || !slices.Equal(got.Groups, c.Groups) {
		t.Fatalf("metrics %v missing %v groups %v; want %v, [no.such.key], %v", got.Metrics, got.Missing, got.Groups, metrics, c.Groups)
	}
	type at struct {
		group, metric string
		step          int
	}
	want := map[at]experiments.CurvePoint{}
	for _, p := range c.Curves {
		want[at{p.Group, p.Metric, p.Step}] = p
	}
	n := 0
	for _, cv := range got.Curves {
		if cv.Runs != 2 {
			t.Errorf("%s/%s: %d runs, want 2", cv.Group, cv.Metric, cv.Runs)
		}
		for _, p := range cv.Points {
			n++
			w, ok := want[at{cv.Group, cv.Metric, int(p[0])}]
			if !ok || int(p[1]) != w.N || p[2] != w.Mean || p[3] != w.Lo || p[4] != w.Hi {
				t.Errorf("%s %s %v; compare has %+v", cv.Group, cv.Metric, p, w)
			}
		}
	}
	if n != len(c.Curves) {
		t.Errorf("%d curve points, compare has %d", n, len(c.Curves))
	}
	if len(got.Series) != 2*4 {
		t.Errorf("%d series, want 2 metrics x 4 runs", len(got.Series))
	}

	var gray curvesAnswerJSON
	getJSON(t, s, "/api/curves?metric=test.acc&group=gray&seed=2", http.StatusOK, &gray)
	if len(gray.Curves) != 1 || gray.Curves[0].Group != "gray" || gray.Curves[0].Runs != 1 || len(gray.Series) != 1 || gray.Series[0].Seed != 2 {
		t.Errorf("group=gray&seed=2: %+v; want one curve of one run (gray, seed 2)", gray)
	}
	for _, q := range []string{"seed=x", "by=colour", "finished=maybe", "metric=" + strings.Repeat("m", maxParamLen+1),
		strings.Repeat("metric=a&", maxMetrics+1)} {
		getJSON(t, s, "/api/curves?"+q, http.StatusBadRequest, &map[string]string{})
	}
}

// TestCompareTablesAreCompares checks that the contrasts, feedback and
// per-seed tables are compare's, cell for cell, and carry the command
// line that prints them.
func TestCompareTablesAreCompares(t *testing.T) {
	root := trainedRoot(t)
	s := newTestServer(t, Options{Dirs: []string{root}, Compare: compareOptions})
	c, err := experiments.CompareDirs(experiments.CompareRequest{Dirs: []string{root}, Metrics: []string{"test.acc"}, Options: compareOptions})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Command string                     `json:"command"`
		Tables  map[string]json.RawMessage `json:"tables"`
		Order   []string                   `json:"table_order"`
	}
	getJSON(t, s, "/api/compare?metric=test.acc", http.StatusOK, &got)
	if want := "branchspec compare " + root + " --metric test.acc"; got.Command != want {
		t.Errorf("command %q, want %q", got.Command, want)
	}
	var order []string
	for _, name := range experiments.CompareTables() {
		if name != "values" && name != "curves" {
			order = append(order, name)
		}
	}
	for _, name := range order {
		cols, rows := c.Table(name)
		if rows == nil {
			rows = [][]any{}
		}
		want, _ := json.Marshal(tableJSON{Columns: cols, Rows: rows})
		if !bytes.Equal(got.Tables[name], want) {
			t.Errorf("table %s:\n got %s\nwant %s", name, got.Tables[name], want)
		}
	}
	if !slices.Equal(got.Order, order) {
		t.Errorf("table order %v", got.Order)
	}
}

// TestKernels checks that a kernel grid is WriteKernelGrid's PNG in the
// run's aligned order, and that runs and steps are looked up, never
// taken as paths.
func TestKernels(t *testing.T) {
	root := trainedRoot(t)
	s := newTestServer(t, Options{Dirs: []string{root}})
	res := get(t, s, "/api/kernels?run=check/gray/seed-1&step=8&scale=4")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("status %d, type %q: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	e, _ := s.cat.current().find("check/gray/seed-1")
	var want bytes.Buffer
	if _, _, err := experiments.WriteKernelGrid(&want, e.dir, experiments.KernelGridOptions{Step: 8, Scale: 4, Order: e.loaded.Order}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want.Bytes()) {
		t.Error("the served PNG differs from WriteKernelGrid's")
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 4*3*4 || b.Dy() < 2*3*4 {
		t.Errorf("grid of %v: too small for 4 kernels of 3x3 taps at 4 pixels, in 2 branches", b)
	}
	latest := get(t, s, "/api/kernels?run=check/gray/seed-1")
	if latest.StatusCode != http.StatusOK {
		t.Errorf("latest checkpoint: status %d", latest.StatusCode)
	}
	for _, c := range []struct {
		query  string
		status int
	}{
		{"run=check/gray/seed-1&step=3", http.StatusNotFound}, // no checkpoint at 3
		{"run=check/gray/seed-1&step=x", http.StatusBadRequest},
		{"run=check/gray/seed-1&scale=0", http.StatusBadRequest},
		{"run=check/gray/seed-1&scale=33", http.StatusBadRequest},
		{"run=check/gray", http.StatusNotFound},
		{"run=", http.StatusNotFound},
		{"run=" + url.QueryEscape(e.dir), http.StatusNotFound}, // a path, not an identifier
		{"run=" + url.QueryEscape("check/gray/seed-1/../../../.."), http.StatusNotFound},
		{"run=" + url.QueryEscape("../check/gray/seed-1"), http.StatusNotFound},
		{"run=" + url.QueryEscape("/etc/passwd"), http.StatusNotFound},
	} {
		if res := get(t, s, "/api/kernels?"+c.query); res.StatusCode != c.status {
			t.Errorf("kernels?%s: status %d, want %d", c.query, res.StatusCode, c.status)
		}
	}
}

// TestOnlyReads checks that every method but GET and HEAD is refused on
// every path, that paths outside the page are 404 however they climb,
// and that a host name that is not loopback is refused unless public.
func TestOnlyReads(t *testing.T) {
	root := trainedRoot(t)
	s := newTestServer(t, Options{Dirs: []string{root}})
	paths := []string{"/", "/app.js", "/api/runs", "/api/curves?metric=test.acc", "/api/compare", "/api/kernels?run=check/gray/seed-1", "/nowhere"}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions, "PROPFIND"} {
		for _, p := range paths {
			res := do(t, s, m, p, nil)
			if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: status %d, Allow %q; want 405 and GET, HEAD", m, p, res.StatusCode, res.Header.Get("Allow"))
			}
		}
	}
	for _, p := range paths[:6] {
		res := do(t, s, http.MethodHead, p, nil)
		if body, _ := io.ReadAll(res.Body); res.StatusCode != http.StatusOK || len(body) != 0 {
			t.Errorf("HEAD %s: status %d, %d body bytes; want 200 and none", p, res.StatusCode, len(body))
		}
	}
	for _, p := range []string{"/../../etc/passwd", "/assets/app.js", "/assets/../server.go", "/%2e%2e/%2e%2e/etc/passwd",
		"/check/gray/seed-1/run.db", "/" + strings.TrimPrefix(root, "/") + "/gray/seed-1/run.db", "/index.html/"} {
		if res := get(t, s, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, res.StatusCode)
		}
	}
	for _, c := range []struct {
		host   string
		public bool
		status int
	}{
		{"127.0.0.1:8080", false, http.StatusOK},
		{"localhost:8080", false, http.StatusOK},
		{"[::1]:8080", false, http.StatusOK},
		{"127.3.4.5", false, http.StatusOK},
		{"evil.example:8080", false, http.StatusForbidden},
		{"192.168.1.10:8080", false, http.StatusForbidden},
		{"evil.example:8080", true, http.StatusOK},
	} {
		srv := newTestServer(t, Options{Dirs: []string{root}, Public: c.public})
		req, _ := http.NewRequest(http.MethodGet, "http://"+c.host+"/api/runs", nil)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != c.status {
			t.Errorf("Host %s (public %v): status %d, want %d", c.host, c.public, rec.Code, c.status)
		}
	}
	res := get(t, s, "/")
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("page's Content-Security-Policy %q", csp)
	}
}

// TestNew checks the directories and grouping New accepts.
func TestNew(t *testing.T) {
	root := trainedRoot(t)
	for _, c := range []struct {
		o       Options
		invalid bool
		err     string
	}{
		{Options{}, true, "want at least one directory"},
		{Options{Dirs: []string{root}, By: "colour"}, true, `unknown grouping "colour"`},
		{Options{Dirs: []string{root + "/gray/seed-1/run.db"}}, true, "is not a directory"},
		{Options{Dirs: []string{root + "/missing"}}, false, "no such file or directory"},
	} {
		_, err := New(c.o)
		if err == nil || !strings.Contains(err.Error(), c.err) || errorsIsInvalid(err) != c.invalid {
			t.Errorf("New(%+v) = %v; want an error with %q (usage error: %v)", c.o, err, c.err, c.invalid)
		}
	}
	s := newTestServer(t, Options{Dirs: []string{root, root + "/gray", t.TempDir()}})
	var got runsJSON
	getJSON(t, s, "/api/runs", http.StatusOK, &got)
	if len(got.Runs) != 4 {
		t.Errorf("a run below two directories is listed %d times in %d runs; want 4 runs", countID(got.Runs, "check/gray/seed-1"), len(got.Runs))
	}
}

func countID(runs []runJSON, id string) (n int) {
	for _, r := range runs {
		if r.ID == id {
			n++
		}
	}
	return n
}

// TestPage checks that the page and its assets are served with their
// types and refer to nothing outside the server.
func TestPage(t *testing.T) {
	s := newTestServer(t, Options{Dirs: []string{t.TempDir()}})
	for _, c := range []struct{ path, ctype string }{{"/", "text/html"}, {"/app.js", "text/javascript"}, {"/style.css", "text/css"}} {
		res := get(t, s, c.path)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), c.ctype) || len(body) == 0 {
			t.Errorf("%s: status %d, type %q, %d bytes", c.path, res.StatusCode, res.Header.Get("Content-Type"), len(body))
		}
		if bytes.Contains(body, []byte("http://")) || bytes.Contains(body, []byte("https://")) || bytes.Contains(body, []byte("//cdn")) {
			if !bytes.Contains(body, []byte(`"http://www.w3.org/2000/svg"`)) || bytes.Count(body, []byte("http")) > 1 {
				t.Errorf("%s refers to an outside address", c.path)
			}
		}
	}
	var got runsJSON
	getJSON(t, s, "/api/runs", http.StatusOK, &got)
	if len(got.Runs) != 0 || got.Runs == nil {
		t.Errorf("an empty directory lists %v, want an empty list", got.Runs)
	}
	var cmp struct {
		Notes []string `json:"notes"`
	}
	getJSON(t, s, "/api/compare", http.StatusOK, &cmp)
	if len(cmp.Notes) != 1 || !strings.Contains(cmp.Notes[0], "no finished run") {
		t.Errorf("compare of no runs: notes %v", cmp.Notes)
	}
}

func errorsIsInvalid(err error) bool { return errors.Is(err, experiments.ErrInvalid) }
