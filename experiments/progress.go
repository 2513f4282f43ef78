package experiments

import (
	"fmt"
	"io"
	"time"
)

// progress shows a run's progress: on a terminal one line redrawn in place
// at most ten times a second (step, loss, accuracy, images/s, ETA); in a log
// one plain line per evaluation, at most one every logEvery.
type progress struct {
	w        io.Writer
	terminal bool
	now      func() time.Time
	batch    int

	total     int
	first     int
	t0        time.Time
	lastDraw  time.Time
	loss      float64
	acc       float64
	haveAcc   bool
	lastStep  int
	drawnLine bool
}

func newProgress(w io.Writer, terminal bool, now func() time.Time) *progress {
	if w != nil {
		w = &quietOnError{w: w}
	}
	return &progress{w: w, terminal: terminal, now: now}
}

// quietOnError passes writes to w until one fails, and then drops every
// later write, reporting success: a display whose reader has gone (a
// closed pipe, a hung-up terminal: EPIPE, EIO) stops being written, and
// training goes on and checkpoints as usual.
type quietOnError struct {
	w   io.Writer
	err error
}

func (q *quietOnError) Write(p []byte) (int, error) {
	if q.err == nil {
		_, q.err = q.w.Write(p)
	}
	return len(p), nil
}

func (p *progress) start(step, total int) {
	p.first, p.lastStep, p.total, p.t0 = step, step, total, p.now()
}

// rate is steps per second since start.
func (p *progress) rate() float64 {
	el := p.now().Sub(p.t0).Seconds()
	if el <= 0 || p.lastStep == p.first {
		return 0
	}
	return float64(p.lastStep-p.first) / el
}

func (p *progress) status() string {
	s := fmt.Sprintf("step %d/%d  loss %.4f", p.lastStep, p.total, p.loss)
	if p.haveAcc {
		s += fmt.Sprintf("  test acc %.3f", p.acc)
	}
	if r := p.rate(); r > 0 {
		if p.batch > 0 {
			s += fmt.Sprintf("  %.0f img/s", r*float64(p.batch))
		} else {
			s += fmt.Sprintf("  %.1f step/s", r)
		}
		eta := time.Duration(float64(p.total-p.lastStep) / r * float64(time.Second))
		s += "  ETA " + eta.Round(time.Second).String()
	}
	return s
}

func (p *progress) step(step int, loss float64) {
	if p.w == nil {
		return
	}
	p.lastStep, p.loss = step, loss
	if !p.terminal {
		return
	}
	if now := p.now(); now.Sub(p.lastDraw) >= 100*time.Millisecond || step == p.total {
		p.lastDraw = now
		fmt.Fprintf(p.w, "\r\033[K%s", p.status())
		p.drawnLine = true
	}
}

// logEvery is the least time between two progress lines in a log.
const logEvery = 10 * time.Second

func (p *progress) eval(step int, acc float64) {
	if p.w == nil {
		return
	}
	p.lastStep, p.acc, p.haveAcc = step, acc, true
	if now := p.now(); !p.terminal && (now.Sub(p.lastDraw) >= logEvery || step == p.total || step == p.first) {
		p.lastDraw = now
		fmt.Fprintln(p.w, p.status())
	}
}

// line prints a permanent message below the progress line.
func (p *progress) line(msg string) {
	if p.w == nil {
		return
	}
	if p.drawnLine {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawnLine = false
	}
	fmt.Fprintln(p.w, msg)
}

func (p *progress) done(dir string) {
	if p.w == nil {
		return
	}
	if p.terminal && p.drawnLine {
		fmt.Fprintf(p.w, "\r\033[K%s\n", p.status())
		p.drawnLine = false
	}
}
