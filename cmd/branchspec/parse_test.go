package main

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

// TestParseInterleaved: flags may come before or after positional
// arguments, and "--" ends them: what follows it is positional.
func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		args []string
		pos  []string
		seed int64
	}{
		{[]string{"a", "--seed", "3"}, []string{"a"}, 3},
		{[]string{"--seed", "3", "a", "b"}, []string{"a", "b"}, 3},
		{[]string{"--", "a", "--seed", "3"}, []string{"a", "--seed", "3"}, -1},
		{[]string{"a", "--", "--seed", "3"}, []string{"a", "--seed", "3"}, -1},
		{[]string{"--seed", "2", "--", "-x"}, []string{"-x"}, 2},
		{[]string{"a", "-", "b"}, []string{"a", "-", "b"}, -1},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			seed := fs.Int64("seed", -1, "")
			pos, err := parseInterleaved(fs, tt.args)
			if err != nil || !slices.Equal(pos, tt.pos) || *seed != tt.seed {
				t.Errorf("positional %q, seed %d, err %v; want %q, %d", pos, *seed, err, tt.pos, tt.seed)
			}
		})
	}
	if code, _, stderr := cli(t, "run", "--", "a", "--seed", "3"); code != 2 || !strings.Contains(stderr, "at most one CONFIG, got 3") {
		t.Errorf("run -- a --seed 3: exit %d: %s", code, stderr)
	}
}
