package serve

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"branchspec/experiments"
)

// fixtureDir holds two regimes of the tiny preset, baseline and gray, with
// seeds 1 and 2 each, trained once for all tests of the package under
// NAME/check.
var fixture struct {
	once sync.Once
	dir  string
	err  error
}

// trainedRoot returns the directory holding the fixture's runs.
func trainedRoot(t *testing.T) string {
	t.Helper()
	fixture.once.Do(func() {
		dir, err := mkdirTemp()
		if err != nil {
			fixture.err = err
			return
		}
		fixture.dir = filepath.Join(dir, "check")
		for _, seed := range []string{"1", "2"} {
			for _, regime := range [][]string{{"name=baseline"}, {"name=gray", "data.grayscale=true"}} {
				if _, err := train(context.Background(), fixture.dir, append(regime, "seed="+seed), nil); err != nil {
					fixture.err = err
					return
				}
			}
		}
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.dir
}

// train trains a run of the tiny preset with the overrides sets into out
// and returns its directory.
func train(ctx context.Context, out string, sets []string, onStep func(step, total int)) (string, error) {
	cfg, err := experiments.LoadConfig(ctx, "tiny", sets)
	if err != nil {
		return "", err
	}
	return experiments.Start(ctx, cfg, out, experiments.Options{Version: "test", OnStep: onStep})
}

// newTestServer returns a server over dirs that rescans at every request.
func newTestServer(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Refresh == 0 {
		o.Refresh = time.Nanosecond
	}
	if o.Compare.BootSeed == 0 {
		o.Compare.BootSeed = 1
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// get sends a GET for target to h and returns the response.
func get(t testing.TB, h http.Handler, target string) *http.Response {
	t.Helper()
	return do(t, h, http.MethodGet, target, nil)
}

func do(t testing.TB, h http.Handler, method, target string, hdr http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Host = "127.0.0.1:8080" // httptest's default, example.com, is not loopback
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// getJSON sends a GET, wants status, and decodes the body into v.
func getJSON(t *testing.T, h http.Handler, target string, status int, v any) {
	t.Helper()
	res := get(t, h, target)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d: %s", target, res.StatusCode, status, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s: Content-Type %q, want JSON", target, ct)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", target, err, body)
	}
}

// mkdirTemp makes a directory for the package's shared fixture, removed
// by TestMain.
func mkdirTemp() (string, error) {
	return os.MkdirTemp("", "serve-test-")
}

func TestMain(m *testing.M) {
	if out := os.Getenv(trainEnv); out != "" {
		os.Exit(trainProcess(out))
	}
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(filepath.Dir(fixture.dir))
	}
	os.Exit(code)
}
