package experiments

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProgressQuietInLogs: in a log, evaluations print at most one line
// every logEvery, and always the first and the last.
func TestProgressQuietInLogs(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	p := newProgress(&buf, false, func() time.Time { return clock })
	p.batch = 64
	p.start(0, 100)
	for step := 0; step <= 100; step += 10 {
		p.step(step, 1.5)
		p.eval(step, 0.5)
		clock = clock.Add(3 * time.Second) // 10 evaluations in 30 s
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// Steps 0, 40, 80 (every >= 10 s) and the last, 100.
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "step 0/100") || !strings.HasPrefix(lines[3], "step 100/100") {
		t.Fatalf("log lines:\n%s", buf.String())
	}
	if !strings.Contains(lines[3], "test acc 0.500") || !strings.Contains(lines[3], "img/s") || !strings.Contains(lines[3], "ETA") {
		t.Errorf("last line lacks accuracy, speed or ETA: %q", lines[3])
	}
}

// TestProgressTerminalRedraws: on a terminal the line is redrawn in place.
func TestProgressTerminalRedraws(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	p := newProgress(&buf, true, func() time.Time { return clock })
	p.start(0, 20)
	for step := 1; step <= 20; step++ {
		clock = clock.Add(50 * time.Millisecond)
		p.step(step, 2)
	}
	p.done("x")
	out := buf.String()
	if n := strings.Count(out, "\r\033[K"); n < 5 || n > 12 {
		t.Errorf("%d redraws for 20 steps over 1 s, want about 10", n)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Errorf("want one final newline, got %q", out)
	}
}
