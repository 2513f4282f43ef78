package host_test

import (
	"fmt"
	"time"

	"branchspec/cmd/refbench/internal/host"
)

func ExampleJudge() {
	// A 10 s run on a 2-CPU machine: our processes used 10 s of CPU
	// time, while the CPUs were busy for 2000 ticks (20 s).
	cpus := func(busy uint64) host.Stat { return host.Stat{CPUTimes: host.CPUTimes{User: busy}, CPUs: 2} }
	before := host.Snapshot{At: 0, Load: host.LoadAvg{Load1: 1.2}, Stat: cpus(1000)}
	after := host.Snapshot{At: 10 * time.Second, Load: host.LoadAvg{Load1: 1.6}, Stat: cpus(3000), Own: 10 * time.Second}
	v := host.Judge(before, after, 0, host.DefaultLimits())
	fmt.Println(v)
	for _, r := range v.Reasons {
		fmt.Println(r)
	}
	// Output:
	// others 50.0% of 2 CPUs, steal 0.0%, load 1.20->1.60 (ours 0.00->0.15)
	// before the run: 1-minute load average 1.20, of which 0.00 is ours: 1.20 from other work (limit 0.50)
	// after the run: 1-minute load average 1.60, of which 0.15 is ours: 1.45 from other work (limit 0.50)
	// during the run other processes used 50.0% of the 2 CPUs' time (10.00 s of CPU in 10.00 s; limit 5.0%)
}
