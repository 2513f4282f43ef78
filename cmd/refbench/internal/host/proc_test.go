package host

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The files in testdata were copied from a 2-vCPU AMD EPYC (Zen 5) VM
// while a sweep ran on both CPUs: cpuinfo.zen5-vm (all of /proc/cpuinfo),
// stat.2cpu (the first three lines of /proc/stat), loadavg.busy.

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Stat
		err  string
	}{
		{
			name: "testdata/stat.2cpu",
			text: string(readTestdata(t, "stat.2cpu")),
			want: Stat{CPUTimes: CPUTimes{User: 1606605, Nice: 16438, System: 397211, Idle: 413668, IOWait: 5512, SoftIRQ: 4850}, CPUs: 2},
		},
		{
			name: "steal, and lines that are not CPUs",
			text: "cpu  10 1 5 100 2 3 4 7 0 0\ncpu0 10 1 5 100 2 3 4 7 0 0\nintr 5 0\ncpufreq x\nctxt 99\n",
			want: Stat{CPUTimes: CPUTimes{User: 10, Nice: 1, System: 5, Idle: 100, IOWait: 2, IRQ: 3, SoftIRQ: 4, Steal: 7}, CPUs: 1},
		},
		{
			name: "an old kernel's four times",
			text: "cpu 10 1 5 100\ncpu0 10 1 5 100\n",
			want: Stat{CPUTimes: CPUTimes{User: 10, Nice: 1, System: 5, Idle: 100}, CPUs: 1},
		},
		{name: "no cpu line", text: "cpu0 1 2 3 4\nintr 5\n", err: `no "cpu" line`},
		{name: "short cpu line", text: "cpu 1 2 3\n", err: `"cpu" line has 3 times, want at least 4`},
		{name: "not a number", text: "cpu 1 2 x 4\n", err: `"cpu" line, time 3: "x" is not a tick count`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.text))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("ParseStat error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseStat = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCPUTimesBusy(t *testing.T) {
	c := CPUTimes{User: 1, Nice: 2, System: 4, Idle: 1000, IOWait: 1000, IRQ: 8, SoftIRQ: 16, Steal: 1000}
	if got := c.Busy(); got != 31 {
		t.Errorf("Busy = %d, want 1+2+4+8+16 = 31", got)
	}
}

func TestParseLoadAvg(t *testing.T) {
	tests := []struct {
		name string
		text string
		want LoadAvg
		err  string
	}{
		{name: "testdata/loadavg.busy", text: string(readTestdata(t, "loadavg.busy")), want: LoadAvg{8.98, 6.13, 4.07, 16, 167}},
		{name: "quiet", text: "0.00 0.01 0.05 1/80 4242\n", want: LoadAvg{0, 0.01, 0.05, 1, 80}},
		{name: "too few fields", text: "0.1 0.2 0.3\n", err: `"0.1 0.2 0.3": want the 1, 5 and 15 minute load averages and running/tasks`},
		{name: "not a number", text: "0.1 x 0.3 1/2 5\n", err: `load average "x" is not a number >= 0`},
		{name: "negative", text: "-1 0.2 0.3 1/2 5\n", err: `load average "-1" is not a number >= 0`},
		{name: "bad tasks", text: "0.1 0.2 0.3 12 5\n", err: `"12": want running/tasks`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLoadAvg([]byte(tt.text))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("ParseLoadAvg error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseLoadAvg = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseCPUInfo(t *testing.T) {
	features := []string{"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"}
	tests := []struct {
		name              string
		text              string
		str, feat         string
		wantFlags, absent []string
	}{
		{
			name:      "testdata/cpuinfo.zen5-vm",
			text:      string(readTestdata(t, "cpuinfo.zen5-vm")),
			str:       "AMD EPYC (family 26, model 2)",
			feat:      "avx2 yes, fma yes, avx512f yes, avx512bw yes, avx512dq yes, avx512vl yes",
			wantFlags: []string{"fpu", "avx512_bf16", "avx512_vp2intersect"},
		},
		{
			// An AVX2-only x86 CPU (flags abridged by hand); only the
			// first processor's block counts.
			name: "AVX2 only, two processors",
			text: "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 79\n" +
				"model name\t: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz\nflags\t\t: fpu sse2 avx fma avx2\n\n" +
				"processor\t: 1\nmodel name\t: other\nflags\t\t: avx512f\n",
			str:    "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz (family 6, model 79)",
			feat:   "avx2 yes, fma yes, avx512f no, avx512bw no, avx512dq no, avx512vl no",
			absent: []string{"avx512f"},
		},
		{
			// arm64 names no model and calls its flags "Features".
			name: "arm64",
			text: "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n\n",
			str:  "unknown CPU",
			feat: "avx2 no, fma no, avx512f no, avx512bw no, avx512dq no, avx512vl no",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ParseCPUInfo([]byte(tt.text))
			if got := c.String(); got != tt.str {
				t.Errorf("String = %q, want %q", got, tt.str)
			}
			if got := c.Features(features...); got != tt.feat {
				t.Errorf("Features = %q, want %q", got, tt.feat)
			}
			for _, f := range tt.wantFlags {
				if !slices.Contains(c.Flags, f) {
					t.Errorf("flag %s missing from %v", f, c.Flags)
				}
			}
			for _, f := range tt.absent {
				if c.Has(f) {
					t.Errorf("Has(%q) = true, want false", f)
				}
			}
		})
	}
}
