//go:build !linux

package ops

// osYield is a no-op here: spinning helpers give way to goroutines of
// their own process only (runtime.Gosched).
func osYield() {}
