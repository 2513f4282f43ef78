package experiments

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"branchspec/results"
)

// FormatValue renders a metric value for a table: 4 decimals, scientific
// notation below 1e-3 or from 1e5 on (0 stays 0.0000), NaN and infinities
// as Go writes them.
func FormatValue(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'g', -1, 64)
	case v != 0 && (math.Abs(v) < 1e-3 || math.Abs(v) >= 1e5):
		return strconv.FormatFloat(v, 'e', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// formatCI renders a mean with its interval: "0.1234 [0.1000, 0.1500]".
func formatCI(mean, lo, hi float64) string {
	return fmt.Sprintf("%s [%s, %s]", FormatValue(mean), FormatValue(lo), FormatValue(hi))
}

func formatEstimate(e Estimate) string {
	if e.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%s (n=%d)", formatCI(e.Mean, e.Lo, e.Hi), e.N)
}

func formatG(g float64) string { return strconv.FormatFloat(g, 'f', 2, 64) }

func formatP(p float64) string {
	if p < 1e-3 {
		return strconv.FormatFloat(p, 'e', 1, 64)
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}

// formatAcc renders a status's test accuracy, "-" when none was measured.
func formatAcc(a float64) string {
	if math.IsNaN(a) {
		return "-"
	}
	return fmt.Sprintf("%.3f", a)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// StatusWord is a run's state as a researcher would say it: "interrupted"
// for a run left running by a process that is gone, "failed: REASON".
func StatusWord(s results.Summary) string {
	switch {
	case s.Status.State == results.Running && !s.Live:
		return "interrupted"
	case s.Status.State == results.Failed && s.Status.Reason != "":
		return "failed: " + s.Status.Reason
	}
	return string(s.Status.State)
}

// jsonNum writes NaN and infinities as strings, which JSON has no number for.
type jsonNum float64

func (n jsonNum) MarshalJSON() ([]byte, error) {
	v := float64(n)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return json.Marshal(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return json.Marshal(v)
}

func orNone(s string) string {
	if s == "" {
		return "(not recorded)"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
