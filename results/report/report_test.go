package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"time"
)

func tinyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteHoldsEverySection(t *testing.T) {
	fig := Figure{Title: "chroma.eta2", Caption: "mean and 95% CI", PNG: tinyPNG(t)}
	r := &Report{
		Title: "feedback-loop", Generated: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Command: "branchspec report out -o r.html",
		Overview:  []Field{{"experiment", "feedback-loop"}, {"program versions", "0.1.0"}},
		Regimes:   Table{Caption: "regimes", Columns: []string{"regime", "seeds", "overrides"}, Rows: [][]string{{"baseline", "1, 2, 3", "—"}, {"gray", "1, 2, 3", "data.grayscale = true"}}},
		Runs:      Table{Columns: []string{"run", "regime"}, Rows: [][]string{{"out/a/seed-1", "baseline"}}},
		Curves:    []Figure{fig},
		Contrasts: Table{Columns: []string{"metric", "conclusion"}, Rows: [][]string{{"chroma.eta2", "lower"}}},
		Feedback:  Table{Columns: []string{"regime", "forward"}, Rows: [][]string{{"baseline", "0.5 [0.1, 0.9] (n=3)"}}},
		Kernels:   []Figure{fig},
		Rejoin:    []Figure{fig},
		Failed:    Table{Caption: "runs left out", Columns: []string{"run", "reason"}},
		Notes:     []string{"<script>alert(1)</script>"},
	}
	var buf bytes.Buffer
	if err := Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, id := range Sections {
		if !strings.Contains(html, `<section id="`+id+`">`) {
			t.Errorf("no section %q", id)
		}
	}
	for _, want := range []string{"<h1>feedback-loop</h1>", "2025-01-02 03:04:05 UTC", "data.grayscale = true",
		"0.5 [0.1, 0.9] (n=3)", "runs left out: none.", `src="data:image/png;base64,`} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if n := strings.Count(html, `src="data:image/png;base64,`); n != 3 {
		t.Errorf("%d inlined images, want 3", n)
	}
	// Self-contained: no reference to anything outside the file.
	if m := regexp.MustCompile(`(?i)(src|href)="(https?:|//|file:)`).FindString(html); m != "" {
		t.Errorf("external reference %q", m)
	}
	if strings.Contains(html, "<script>") {
		t.Error("text was not escaped")
	}
}

func TestWriteEmptyReport(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, &Report{Title: "empty"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range Sections {
		if !strings.Contains(buf.String(), `<section id="`+id+`">`) {
			t.Errorf("empty report lacks section %q", id)
		}
	}
}
