package stats

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// reference holds the values of testdata/reference.json, written by
// testdata/reference.py (scipy 1.10, numpy 1.24 and mpmath 1.2; see the
// script for what computed each).
type reference struct {
	KSTwo      []ksPoint `json:"kstwo"`
	KSTwoExact []ksPoint `json:"kstwo_exact"`
	KSTest     []struct {
		X    []float64 `json:"x"`
		D, P float64
	} `json:"kstest"`
	Wilson []struct {
		K, N  int
		Level float64
		CI    [2]float64
	} `json:"wilson"`
	BH []struct {
		P        []float64 `json:"p"`
		Q        []float64 `json:"q"`
		Reject05 []bool    `json:"reject05"`
	} `json:"bh"`
}

// ksPoint is P(D_n >= d) = SF.
type ksPoint struct {
	N  int
	D  float64
	SF float64 `json:"sf"`
}

// loadReference reads testdata/reference.json.
func loadReference(t *testing.T) reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reference.json"))
	if err != nil {
		t.Fatalf("read reference values (regenerate with testdata/reference.py): %v", err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("testdata/reference.json: %v", err)
	}
	return r
}
