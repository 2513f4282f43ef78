package serve

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"branchspec/experiments"
)

func TestCheckAddr(t *testing.T) {
	for _, c := range []struct {
		addr     string
		public   bool
		loopback bool
		err      string
	}{
		{"127.0.0.1:8080", false, true, ""},
		{"127.0.0.2:0", false, true, ""},
		{"localhost:8080", false, true, ""},
		{"[::1]:8080", false, true, ""},
		{"0.0.0.0:8080", false, false, "is not loopback"},
		{":8080", false, false, "is not loopback"},
		{"192.168.1.2:8080", false, false, "needs --public"},
		{"0.0.0.0:8080", true, false, ""},
		{":8080", true, false, ""},
		{"127.0.0.1", false, false, "want HOST:PORT"},
		{"", false, false, "want HOST:PORT"},
	} {
		loopback, err := CheckAddr(c.addr, c.public)
		if c.err == "" {
			if err != nil || loopback != c.loopback {
				t.Errorf("CheckAddr(%q, %v) = %v, %v; want %v, nil", c.addr, c.public, loopback, err, c.loopback)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, experiments.ErrInvalid) {
			t.Errorf("CheckAddr(%q, %v) = %v; want an ErrInvalid with %q", c.addr, c.public, err, c.err)
		}
	}
}

// TestServe starts the server on a free loopback port, reads the address
// it prints, loads the page over TCP and stops it by cancelling the
// context; with --public on every interface it warns first.
func TestServe(t *testing.T) {
	for _, c := range []struct {
		addr   string
		public bool
		warn   string
	}{
		{"127.0.0.1:0", false, ""},
		{"0.0.0.0:0", true, "warning: serving on "},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		var warn strings.Builder
		done := make(chan error, 1)
		go func() {
			done <- Serve(ctx, Config{Addr: c.addr, Options: Options{Dirs: []string{t.TempDir()}, Public: c.public}}, pw, &warn)
			pw.Close()
		}()
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		go io.Copy(io.Discard, pr)
		_, url, ok := strings.Cut(line, " at ")
		url, _, _ = strings.Cut(url, " ")
		if !ok || !strings.HasPrefix(url, "http://") {
			t.Fatalf("Serve printed %q, want the page's address", line)
		}
		url = strings.NewReplacer("0.0.0.0", "127.0.0.1", "[::]", "127.0.0.1").Replace(url)
		res, err := http.Get(url + "api/runs")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %sapi/runs: status %d", url, res.StatusCode)
		}
		if c.warn == "" && warn.Len() > 0 || !strings.Contains(warn.String(), c.warn) || (c.warn != "" && !strings.Contains(warn.String(), "no authentication")) {
			t.Errorf("warning %q, want %q about no authentication", warn.String(), c.warn)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve returned %v after cancel, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not stop after cancel")
		}
	}
	if err := Serve(context.Background(), Config{Addr: "0.0.0.0:0", Options: Options{Dirs: []string{t.TempDir()}}}, io.Discard, io.Discard); !errors.Is(err, experiments.ErrInvalid) {
		t.Errorf("Serve on 0.0.0.0 without Public: %v, want ErrInvalid", err)
	}
}
