package configs

import (
	"slices"
	"testing"
)

func TestCheckpointSteps(t *testing.T) {
	tests := []struct {
		name            string
		logUntil, every int
		total           int
		want            []int
	}{
		{"issue example", 8, 10, 35, []int{0, 1, 2, 4, 8, 10, 20, 30, 35}},
		{"defaults", 256, 250, 1500, []int{0, 1, 2, 4, 8, 16, 32, 64, 128, 250, 256, 500, 750, 1000, 1250, 1500}},
		{"no log phase", 0, 5, 12, []int{0, 5, 10, 12}},
		{"log phase past the end", 100, 1000, 10, []int{0, 1, 2, 4, 8, 10}},
		{"log_until not a power of two", 6, 100, 50, []int{0, 1, 2, 4, 50}},
		{"total on the grid", 2, 5, 10, []int{0, 1, 2, 5, 10}},
		{"every step", 4, 1, 5, []int{0, 1, 2, 3, 4, 5}},
		{"single step", 0, 10, 1, []int{0, 1}},
		{"no steps", 8, 10, 0, []int{0}},
		{"every disabled", 4, 0, 9, []int{0, 1, 2, 4, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Checkpoint{LogUntil: tt.logUntil, Every: tt.every}
			got := c.Steps(tt.total)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Steps(%d) = %v; want %v", tt.total, got, tt.want)
			}
			for s := -2; s <= tt.total+2; s++ {
				if due, in := c.Due(s, tt.total), slices.Contains(tt.want, s); due != in {
					t.Errorf("Due(%d, %d) = %v; want %v", s, tt.total, due, in)
				}
			}
		})
	}
	if got := (Checkpoint{Every: 1}).Steps(-1); got != nil {
		t.Errorf("Steps(-1) = %v; want nil", got)
	}
}

func TestCheckpointRetain(t *testing.T) {
	saved := []int{0, 1, 2, 4, 8, 10, 20, 30}
	last2 := Checkpoint{LogUntil: 8, Every: 10, Keep: KeepLast, KeepLast: 2}
	sched := Checkpoint{LogUntil: 8, Every: 10, Keep: KeepSchedule, KeepEvery: 20}
	tests := []struct {
		name         string
		c            Checkpoint
		step, latest int
		saved        []int
		want         bool
	}{
		{"all keeps every scheduled step", Checkpoint{LogUntil: 8, Every: 10, Keep: KeepAll}, 10, 30, saved, true},
		// A stop between scheduled steps (7) checkpoints off the schedule:
		// kept while latest, dropped after, under every rule (before,
		// "all" kept it, so a stopped and resumed run kept one more
		// checkpoint than an uninterrupted one).
		{"all: off-schedule dropped", Checkpoint{LogUntil: 8, Every: 10, Keep: KeepAll}, 7, 30, []int{0, 4, 7, 8, 10, 20, 30}, false},
		{"all: off-schedule latest kept", Checkpoint{LogUntil: 8, Every: 10, Keep: KeepAll}, 7, 7, []int{0, 4, 7}, true},
		{"last: off-schedule not counted newer", last2, 20, 30, []int{20, 25, 30}, true},
		{"unknown keep drops off-schedule", Checkpoint{Every: 10, Keep: "?"}, 5, 30, saved, false},
		{"last: latest", last2, 30, 30, saved, true},
		{"last: second newest", last2, 20, 30, saved, true},
		{"last: third newest", last2, 10, 30, saved, false},
		{"last: oldest", last2, 1, 30, saved, false},
		{"last: step 0 always kept", last2, 0, 30, saved, true},
		{"last: one keeps step 0", Checkpoint{Keep: KeepLast, KeepLast: 1}, 0, 30, saved, true},
		{"last: latest not yet in saved", last2, 20, 35, saved, false},
		{"last: latest not yet in saved, newest saved", last2, 30, 35, saved, true},
		{"last: repeats counted once", last2, 20, 30, []int{30, 30, 20, 30}, true},
		{"last: one", Checkpoint{Keep: KeepLast, KeepLast: 1}, 20, 30, saved, false},
		{"schedule: step 0", sched, 0, 30, saved, true},
		{"schedule: log-spaced", sched, 4, 30, saved, true},
		{"schedule: log_until itself", sched, 8, 30, saved, true},
		{"schedule: multiple of keep_every", sched, 20, 30, saved, true},
		{"schedule: regular checkpoint dropped", sched, 10, 30, saved, false},
		{"schedule: latest always kept", sched, 30, 30, saved, true},
		{"schedule: past latest is dropped", sched, 30, 35, saved, false},
		{"schedule: beyond log_until", Checkpoint{LogUntil: 8, Every: 16, Keep: KeepSchedule, KeepEvery: 20}, 16, 30, nil, false},
		{"unknown keep keeps", Checkpoint{Every: 10, Keep: "?"}, 10, 30, saved, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Retain(tt.step, tt.latest, 100, tt.saved); got != tt.want {
				t.Errorf("Retain(%d, %d, 100, %v) = %v; want %v", tt.step, tt.latest, tt.saved, got, tt.want)
			}
		})
	}
}
