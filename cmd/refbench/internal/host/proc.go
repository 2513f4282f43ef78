package host

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TicksPerSecond is the unit of /proc/stat's times: Linux's USER_HZ, which
// its user-space ABI fixes at 100 on x86 and arm64.
const TicksPerSecond = 100

// ticks converts a count of /proc/stat ticks to a duration.
func ticks(n uint64) time.Duration { return time.Duration(n) * (time.Second / TicksPerSecond) }

// CPUTimes are the cumulative times of /proc/stat's "cpu" line, summed
// over all CPUs, in ticks (TicksPerSecond). Kernels older than the field
// leave it 0.
type CPUTimes struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal uint64
}

// Busy returns the ticks the CPUs spent running tasks and interrupts:
//
//	user + nice + system + irq + softirq
//
// (a guest's time is counted in user and nice already; steal, the time a
// hypervisor ran something else, is not ours and counted apart).
func (c CPUTimes) Busy() uint64 { return c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ }

// Stat is what /proc/stat says of the CPUs: the times of all of them and
// how many there are (its "cpuN" lines).
type Stat struct {
	CPUTimes
	CPUs int
}

// ParseStat parses the text of /proc/stat. It fails when the "cpu" line is
// missing or has fewer than 4 times, or a time is not a number.
func ParseStat(b []byte) (Stat, error) {
	var s Stat
	found := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0 || !strings.HasPrefix(f[0], "cpu"):
		case f[0] == "cpu":
			if len(f) < 5 {
				return Stat{}, fmt.Errorf("\"cpu\" line has %d times, want at least 4", len(f)-1)
			}
			dst := []*uint64{&s.User, &s.Nice, &s.System, &s.Idle, &s.IOWait, &s.IRQ, &s.SoftIRQ, &s.Steal}
			for i, v := range f[1:min(len(f), len(dst)+1)] {
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					return Stat{}, fmt.Errorf("\"cpu\" line, time %d: %q is not a tick count", i+1, v)
				}
				*dst[i] = n
			}
			found = true
		default:
			if _, err := strconv.Atoi(f[0][len("cpu"):]); err == nil {
				s.CPUs++
			}
		}
	}
	if err := sc.Err(); err != nil {
		return Stat{}, err
	}
	if !found {
		return Stat{}, errors.New("no \"cpu\" line")
	}
	return s, nil
}

// LoadAvg is /proc/loadavg: the load averages over 1, 5 and 15 minutes
// (the damped number of runnable and uninterruptible tasks, see DecayLoad),
// the tasks runnable now and all tasks.
type LoadAvg struct {
	Load1, Load5, Load15 float64
	Running, Tasks       int
}

// ParseLoadAvg parses the text of /proc/loadavg ("0.52 0.58 0.59 2/391
// 12345"). It fails on fewer fields or ones that are not numbers.
func ParseLoadAvg(b []byte) (LoadAvg, error) {
	f := strings.Fields(string(b))
	if len(f) < 4 {
		return LoadAvg{}, fmt.Errorf("%q: want the 1, 5 and 15 minute load averages and running/tasks", bytes.TrimSpace(b))
	}
	var l LoadAvg
	for i, dst := range []*float64{&l.Load1, &l.Load5, &l.Load15} {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || v < 0 {
			return LoadAvg{}, fmt.Errorf("load average %q is not a number >= 0", f[i])
		}
		*dst = v
	}
	run, tasks, ok := strings.Cut(f[3], "/")
	var err1, err2 error
	l.Running, err1 = strconv.Atoi(run)
	l.Tasks, err2 = strconv.Atoi(tasks)
	if !ok || err1 != nil || err2 != nil {
		return LoadAvg{}, fmt.Errorf("%q: want running/tasks", f[3])
	}
	return l, nil
}

// CPUInfo is what /proc/cpuinfo says of the first processor. Fields it
// does not list (on other architectures) are empty.
type CPUInfo struct {
	Model               string // "model name"
	Family, ModelNumber string // "cpu family" and "model": x86 family and model numbers
	Flags               []string
}

// ParseCPUInfo parses the text of /proc/cpuinfo: the first processor's
// block, up to the first blank line.
func ParseCPUInfo(b []byte) CPUInfo {
	var c CPUInfo
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			if c.Model != "" || len(c.Flags) > 0 {
				break
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "model name":
			c.Model = v
		case "cpu family":
			c.Family = v
		case "model":
			c.ModelNumber = v
		case "flags":
			c.Flags = strings.Fields(v)
		}
	}
	return c
}

// Has reports whether the CPU lists flag (as /proc/cpuinfo names it:
// "avx2", "fma", "avx512f").
func (c CPUInfo) Has(flag string) bool { return slices.Contains(c.Flags, flag) }

// String is the model with its family and model numbers: "AMD EPYC
// (family 26, model 2)", or "unknown CPU" where /proc/cpuinfo names none.
func (c CPUInfo) String() string {
	s := c.Model
	if s == "" {
		s = "unknown CPU"
	}
	if c.Family != "" {
		s += fmt.Sprintf(" (family %s, model %s)", c.Family, c.ModelNumber)
	}
	return s
}

// Features says for each flag whether the CPU has it: "avx2 yes, fma
// yes, avx512f no".
func (c CPUInfo) Features(flags ...string) string {
	s := make([]string, len(flags))
	for i, f := range flags {
		s[i] = f + " no"
		if c.Has(f) {
			s[i] = f + " yes"
		}
	}
	return strings.Join(s, ", ")
}
