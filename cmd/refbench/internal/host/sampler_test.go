package host

import (
	"errors"
	"io/fs"
	"os"
	"testing"
	"testing/fstest"
	"time"
)

func TestSamplerTake(t *testing.T) {
	proc := fstest.MapFS{
		"stat":    {Data: readTestdata(t, "stat.2cpu")},
		"loadavg": {Data: readTestdata(t, "loadavg.busy")},
		"cpuinfo": {Data: readTestdata(t, "cpuinfo.zen5-vm")},
	}
	s := Sampler{
		Proc: proc,
		Now:  func() time.Duration { return 42 * time.Second },
		Own:  func() (time.Duration, error) { return 1500 * time.Millisecond, nil },
	}
	got, err := s.Take()
	if err != nil {
		t.Fatal(err)
	}
	want := Snapshot{At: 42 * time.Second, Own: 1500 * time.Millisecond, Load: LoadAvg{8.98, 6.13, 4.07, 16, 167},
		Stat: Stat{CPUTimes: CPUTimes{User: 1606605, Nice: 16438, System: 397211, Idle: 413668, IOWait: 5512, SoftIRQ: 4850}, CPUs: 2}}
	if got != want {
		t.Errorf("Take = %+v, want %+v", got, want)
	}
	info, err := s.CPUInfo()
	if err != nil || info.String() != "AMD EPYC (family 26, model 2)" {
		t.Errorf("CPUInfo = %v, %v", info, err)
	}
}

func TestSamplerErrors(t *testing.T) {
	own := func() (time.Duration, error) { return 0, nil }
	now := func() time.Duration { return 0 }
	tests := []struct {
		name string
		s    Sampler
		want string
	}{
		{"no loadavg", Sampler{Proc: fstest.MapFS{}, Now: now, Own: own}, "host: /proc: open loadavg: file does not exist"},
		{"bad stat", Sampler{Proc: fstest.MapFS{"loadavg": {Data: []byte("0 0 0 1/1 1")}, "stat": {Data: []byte("intr 1\n")}}, Now: now, Own: own},
			`host: /proc/stat: no "cpu" line`},
		{"no CPU time", Sampler{Proc: fstest.MapFS{}, Now: now, Own: func() (time.Duration, error) { return 0, errors.New("no rusage") }}, "no rusage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.s.Take(); err == nil || err.Error() != tt.want {
				t.Errorf("Take error = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestSystem reads this machine's /proc, where there is one.
func TestSystem(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); errors.Is(err, fs.ErrNotExist) {
		t.Skip("no /proc/stat here")
	}
	s := System()
	a, err := s.Take()
	if err != nil {
		t.Fatal(err)
	}
	x := 1.0
	for start := time.Now(); time.Since(start) < 30*time.Millisecond; {
		x = x*1.0000001 + 1e-9
	}
	b, err := s.Take()
	if err != nil {
		t.Fatal(err)
	}
	if a.Stat.CPUs < 1 || !(b.At > a.At) || !(b.Own > a.Own) || x == 0 {
		t.Errorf("snapshots around 30 ms of work: %+v then %+v", a, b)
	}
}
