package report

import (
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"time"
)

// Report is the content of a report, section by section. Every section is
// always rendered; an empty one says so, so a reader can tell "nothing
// failed" from "not reported".
type Report struct {
	Title     string
	Generated time.Time
	// Command is the command line that produced the report.
	Command string
	// Overview lists what was run: experiments, program versions, sources,
	// the statistics' settings.
	Overview []Field
	// Regimes describes each group: seeds, overrides, config hashes.
	Regimes Table
	// Runs lists every run compared, with its branch alignment.
	Runs Table
	// Curves are the metrics' mean curves with confidence bands.
	Curves []Figure
	// Contrasts compares each regime with the baseline on the primary
	// endpoints, Exploratory on the rest (each its own false-discovery
	// family); Splits counts per regime the runs in which a split formed.
	Contrasts   Table
	Exploratory Table
	Splits      Table
	// Feedback is the feedback signature per regime, FeedbackSeeds per run.
	Feedback      Table
	FeedbackSeeds Table
	// Kernels are first-layer kernel grids, Rejoin dependency heatmaps.
	Kernels []Figure
	Rejoin  []Figure
	// Failed lists the runs left out and why.
	Failed Table
	// Notes are caveats shown at the top.
	Notes []string
}

// Field is a named value of the overview.
type Field struct{ Name, Value string }

// Table is a captioned table of text cells. Rows shorter than Columns are
// padded with empty cells.
type Table struct {
	Caption string
	Columns []string
	Rows    [][]string
}

// Figure is a PNG image with a title and a caption.
type Figure struct {
	Title, Caption string
	PNG            []byte
}

// Sections are the ids of the report's sections, in order; each is an
// HTML <section id=...> with a heading, present in every report.
var Sections = []string{"overview", "runs", "curves", "contrasts", "feedback", "kernels", "rejoin", "failed"}

//go:embed report.html.tmpl
var pageText string

// Write renders r as one HTML page to w.
func Write(w io.Writer, r *Report) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"png": func(b []byte) template.URL {
			// A data: URL of a PNG we encoded ourselves is safe to inline.
			return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
		},
		"pad": func(row []string, n int) []string {
			for len(row) < n {
				row = append(row, "")
			}
			return row
		},
		"stamp": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	}).Parse(pageText)
	if err != nil {
		return fmt.Errorf("report: template: %w", err)
	}
	if err := t.Execute(w, r); err != nil {
		return fmt.Errorf("report: render: %w", err)
	}
	return nil
}
