package main

import (
	"strings"
	"testing"
)

// TestServeUsage checks serve's usage errors (exit 2, before anything is
// served) and that help lists it.
func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "want at least one DIR"},
		{[]string{"serve", dir, "--addr", "0.0.0.0:8080"}, "needs --public"},
		{[]string{"serve", dir, "--addr", ":8080"}, "is not loopback"},
		{[]string{"serve", dir, "--addr", "8080"}, "want HOST:PORT"},
		{[]string{"serve", dir, "--by", "colour"}, `unknown grouping "colour"`},
		{[]string{"serve", dir, "--refresh", "1ms"}, "want at least 100ms"},
		{[]string{"serve", dir + "/missing/../file", "--addr", "127.0.0.1:0"}, "no such file"},
	} {
		code, _, stderr := cli(t, c.args...)
		wantCode := 2
		if strings.Contains(c.want, "no such file") {
			wantCode = 1
		}
		if code != wantCode || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, wantCode, c.want)
		}
	}
	if _, stdout, _ := cli(t, "help"); !strings.Contains(stdout, "serve") {
		t.Errorf("help does not list serve:\n%s", stdout)
	}
	if _, stdout, _ := cli(t, "help", "serve"); !strings.Contains(stdout, "--public") || !strings.Contains(stdout, "no authentication") {
		t.Errorf("help serve:\n%s", stdout)
	}
}
