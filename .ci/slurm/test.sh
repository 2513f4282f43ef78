#!/usr/bin/env bash
# test.sh runs branchspec sweeps on a real, one-machine Slurm (up.sh) and
# checks what a cluster user relies on:
#
#  1. sweep --slurm submits a job array of experiments/smoke.toml (3 regimes
#     x 2 seeds, at most 2 tasks at once); every task completes and every
#     run is done; 'compare' reads them all when that command exists.
#  2. A long run is submitted twice. One task gets SIGUSR1 on its batch
#     shell by hand (scancel --batch --signal=USR1, what --signal=B:USR1
#     does); the other has a one-minute time limit and gets it from Slurm
#     itself. Each must checkpoint, requeue itself, resume, and end with the
#     weights of the same run trained locally without interruption, at
#     every checkpoint. 'ls' must read the results while they run.
#  3. A sweep with a fork regime: the parents are one job array, their forks
#     a second that waits (afterany) for the first. One parent is requeued
#     mid-run by SIGUSR1 and the forks must go on waiting; another parent
#     fails (its directory holds a run of another config) and its fork's
#     task must fail saying so; the other fork must complete with the
#     weights of the fork 'branchspec fork' makes from the same parent.
#
# test.sh PART... runs only those parts (test.sh 3); no argument runs all.
#
# Slurm holds a requeued job for about two minutes (BeginTime); the test
# releases it at once with 'scontrol update StartTime=now', which changes
# only that wait. Every wait is bounded; all traffic is on 127.0.0.1.
#
# Environment: SLURM_TEST_DIR (work directory; default a new one under
# /tmp, kept), SLURM_TEST_TIMEOUT (seconds for each wait; default 720).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
work="${SLURM_TEST_DIR:-$(mktemp -d /tmp/branchspec-slurm.XXXXXX)}"
mkdir -p "$work"
timeout_s="${SLURM_TEST_TIMEOUT:-720}"
bs="$root/bin/branchspec"
jobs=()
start=$SECONDS

log() { echo "slurm-test [$((SECONDS - start))s]: $*" >&2; }
fail() {
	log "FAIL: $*"
	squeue -a 2>&1 | sed 's/^/  squeue: /' >&2 || true
	for f in "$work"/*/*/slurm/logs/*.out; do
		[ -e "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
	done
	exit 1
}
cleanup() {
	local rc=$?
	if [ "${#jobs[@]}" -gt 0 ]; then scancel "${jobs[@]}" 2>/dev/null || true; fi
	[ "$rc" = 0 ] && log "PASS in $((SECONDS - start))s (work directory $work)"
}
trap cleanup EXIT
# Killed, the test fails: the EXIT trap must not see the status of the
# last command (a sleep) and call that a pass.
trap 'exit 143' TERM
trap 'exit 130' INT

# submit VAR OUTPUT_FILE ARGS...: a sweep --slurm; its job id goes into VAR
# and the list of jobs to cancel on exit.
submit() {
	local var="$1" outfile="$2" id
	shift 2
	"$bs" sweep "$@" --slurm >"$outfile" || fail "sweep $*: $(cat "$outfile")"
	id="$(sed -n 's/^submitted job array \([0-9][0-9]*\):.*/\1/p' "$outfile")"
	[ -n "$id" ] || fail "no job id in: $(cat "$outfile")"
	jobs+=("$id")
	printf -v "$var" %s "$id"
}

# release: start requeued tasks in 5 s instead of after Slurm's delay of
# about two minutes. Not at once: slurmd refuses a job credential made in
# the second its previous one was revoked, which fails the task.
release() {
	local id reason begin
	squeue -h -t PD -o '%i %r %S' | while read -r id reason begin; do
		[ "$reason" = BeginTime ] || continue
		begin=$(date -d "$begin" +%s 2>/dev/null) || continue # N/A: no start time yet
		if [ "$begin" -gt $(($(date +%s) + 10)) ]; then
			scontrol update jobid="$id" StartTime=now+5 && log "released requeued task $id"
		fi
	done
}

# active JOBID: whether any task of the array is pending or running.
active() { [ -n "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]; }

# wait_done JOBID...: wait until the arrays have left the queue.
wait_done() {
	local deadline=$((SECONDS + timeout_s)) id busy
	while :; do
		busy=0
		for id in "$@"; do active "$id" && busy=1; done
		[ "$busy" = 0 ] && return 0
		[ "$SECONDS" -lt "$deadline" ] || fail "jobs $* still queued after ${timeout_s}s"
		release
		sleep 1
	done
}

# states JOBID: one "TASK STATE EXIT RESTARTS" line per array task.
states() {
	scontrol show job "$1" -o | sed -n \
		's/.*ArrayTaskId=\([0-9]*\).*JobState=\([A-Z_]*\).*Restarts=\([0-9]*\).*ExitCode=\([0-9:]*\).*/\1 \2 \4 \3/p'
}

# restarts JOBID: the restart count of the array's task 0.
restarts() { states "$1" | awk '$1 == 0 { print $4; f = 1 } END { if (!f) print 0 }'; }

# checkpoints RUN: "STEP SHA256" per checkpoint of a run.
checkpoints() {
	"$bs" show "$1" --json --metric test.acc | awk '
		/"checkpoints":/ { c = 1 }
		c && /"step":/ { s = $2; sub(/,$/, "", s) }
		c && /"weights_sha256":/ { h = $2; gsub(/[",]/, "", h); print s, h }'
}

# same_weights REF RUN: every checkpoint of REF is in RUN with its weights.
same_weights() {
	local missing
	missing="$(comm -23 <(checkpoints "$1" | sort) <(checkpoints "$2" | sort))"
	[ -n "$(checkpoints "$1")" ] || fail "no checkpoints in $1"
	[ -z "$missing" ] || fail "$2 differs from the uninterrupted $1 at (step sha): $missing"
}

parts="${*:-1 2 3}"
want() { [[ " $parts " == *" $1 "* ]]; }

# The long runs' steps: about 50 s of training at the speed measured here
# (the time of 500 steps less that of 100, so start-up does not count).
elapsed_ms() {
	local t0
	t0=$(date +%s%N)
	"$bs" run tiny --out "$work/calibrate-$1" --set schedule.steps="$1" >/dev/null 2>&1 || fail "calibration run"
	echo $((($(date +%s%N) - t0) / 1000000))
}
steps=
calibrate() {
	[ -n "$steps" ] && return
	local ms100 ms500 ms
	ms100="$(elapsed_ms 100)"
	ms500="$(elapsed_ms 500)"
	ms=$((ms500 - ms100 > 0 ? ms500 - ms100 : 1))
	steps=$((400 * 50000 / ms / 100 * 100))
	steps=$((steps < 3000 ? 3000 : steps > 60000 ? 60000 : steps))
	log "400 steps took ${ms} ms: the long runs have $steps steps"
}

log "work directory $work (parts $parts)"
make -s build
.ci/slurm/up.sh

# 1. A sweep as a job array.
out1="$work/sweep"
if want 1; then
	submit id1 "$work/submit1.txt" experiments/smoke.toml --seeds 2 --parallel 2 --time 0:10:00 --out "$out1"
	log "submitted smoke sweep as job array $id1"
	grep -q '^#SBATCH --array=0-5%2$' "$out1"/smoke/slurm/sweep-*.sbatch || fail "script lacks --array=0-5%2"
	wait_done "$id1"
	st="$(states "$id1")"
	log "tasks of $id1 (task state exit restarts):"$'\n'"$st"
	[ "$(grep -c ' COMPLETED 0:0 ' <<<"$st")" = 6 ] || fail "not every task of $id1 completed"
	ls_out="$("$bs" ls "$out1/smoke")" || fail "ls $out1/smoke"
	[ "$(grep -c ' done ' <<<"$ls_out")" = 6 ] || fail "ls does not show 6 done runs:"$'\n'"$ls_out"
	for i in 0 1 2 3 4 5; do
		[ -s "$out1/smoke/slurm/logs/${id1}_$i.out" ] || fail "no log ${id1}_$i.out"
	done
	if "$bs" help | grep -qE '^[[:space:]]+compare[[:space:]]'; then
		cmp_out="$("$bs" compare "$out1/smoke" 2>&1)" || fail "compare $out1/smoke: $cmp_out"
		for r in $(sed -n 's/^ *"regime": "\(.*\)",$/\1/p' "$out1"/smoke/slurm/manifest-*.json | sort -u); do
			grep -q -- "$r" <<<"$cmp_out" || fail "compare does not show regime $r:"$'\n'"$cmp_out"
		done
		grep -qE '(^|[^0-9])6 finished' <<<"$cmp_out" || fail "compare does not count 6 finished runs:"$'\n'"$cmp_out"
		log "compare reads all runs"
	else
		log "skipped the compare check: this branchspec has no compare command"
	fi
fi

# 2. Checkpoint, requeue and resume. The one-minute limit with a 40 s
# signal lead makes Slurm signal the first attempt at most 20 s in, mid-run
# (sbatch(1): the signal "may be sent up to 60 seconds earlier than
# specified", and it is, 1-2 s into an attempt where the attempt's start
# falls just before slurmctld's periodic check). Once Slurm's own signal has
# requeued the task, the test raises its limit to ten minutes, so the next
# attempt trains to the end: left at one minute, each attempt would get a
# second or two of training and the run about 25 attempts, 30 s apart.
if want 2; then
	calibrate
	cat >"$work/long.toml" <<EOF
name = "long"
base = "tiny"
seeds = [1]
set = ["schedule.steps=$steps", "checkpoint.every=1000", "checkpoint.keep=all"]
[regimes.long]
set = []
EOF
	submit id2 "$work/submit2.txt" "$work/long.toml" --time 0:10:00 --out "$work/signal"
	submit id3 "$work/submit3.txt" "$work/long.toml" --time 1 --signal-lead 40 --out "$work/limit"
	log "submitted job $id2 (signalled by hand) and job $id3 (one-minute limit)"
	run2="$work/signal/long/long/seed-1"
	run3="$work/limit/long/long/seed-1"

	# The uninterrupted reference, trained here meanwhile.
	"$bs" sweep "$work/long.toml" --out "$work/ref" >"$work/ref.log" 2>&1 &
	ref_pid=$!

	# The first task running with a checkpoint past step 0: ls reads the
	# runs mid-run (the second's too, running or requeued already: Slurm
	# may signal it in its first seconds), then the first gets SIGUSR1 on
	# its batch shell.
	deadline=$((SECONDS + timeout_s))
	until [ -n "$(squeue -h -j "${id2}_0" -t R -o %i)" ] &&
		"$bs" ls "$work/signal" 2>/dev/null | grep -q ' running '; do
		[ "$SECONDS" -lt "$deadline" ] || fail "the long run of ${id2}_0 did not start"
		release
		sleep 1
	done
	ls_mid="$("$bs" ls "$work")" || fail "ls while tasks run"
	log "ls while ${id2}_0 runs:"$'\n'"$ls_mid"
	if "$bs" help | grep -qE '^[[:space:]]+compare[[:space:]]'; then
		# The running runs and finished ones: part 1's smoke sweep, or
		# without it a calibration run.
		dirs=("$work/signal")
		if [ -d "$work/limit/long" ]; then dirs+=("$work/limit"); fi
		if want 1; then dirs+=("$out1/smoke"); else dirs+=("$work/calibrate-500"); fi
		cmp_mid="$("$bs" compare "${dirs[@]}" 2>&1)" ||
			fail "compare while tasks run: $cmp_mid"
		log "compare while ${id2}_0 runs: $(head -n 1 <<<"$cmp_mid")"
	fi
	scancel --batch --signal=USR1 "${id2}_0" || fail "scancel --signal=USR1 ${id2}_0"
	log "sent SIGUSR1 to the batch shell of ${id2}_0"

	deadline=$((SECONDS + timeout_s))
	until [ "$(restarts "$id3")" -gt 0 ]; do
		active "$id3" || break # finished unrequeued: the check below fails it
		[ "$SECONDS" -lt "$deadline" ] || fail "${id3}_0 was not requeued by its time limit after ${timeout_s}s"
		release
		sleep 1
	done
	if active "$id3"; then
		scontrol update jobid="${id3}_0" TimeLimit=10 || fail "scontrol update TimeLimit of ${id3}_0"
		log "${id3}_0 was requeued by its time limit; its limit is now ten minutes"
	fi

	wait_done "$id2" "$id3"
	wait "$ref_pid" || fail "reference sweep: $(cat "$work/ref.log")"
	for pair in "$id2 signal" "$id3 limit"; do
		read -r id name <<<"$pair"
		st="$(states "$id")"
		log "task of $id (task state exit restarts): $st"
		grep -q '^0 COMPLETED 0:0 [1-9]' <<<"$st" || fail "task ${id}_0 did not complete after a requeue: $st"
		grep -q 'checkpointed before its time limit; requeueing' "$work/$name/long/slurm/logs/${id}_0.out" ||
			fail "the log of ${id}_0 does not show the requeue"
	done
	ref="$work/ref/long/long/seed-1"
	same_weights "$ref" "$run2"
	same_weights "$ref" "$run3"
	log "both requeued runs equal the uninterrupted one at all $(checkpoints "$ref" | wc -l) checkpoints"
fi

# 3. A fork regime: two arrays, the second waiting for the first.
if want 3; then
	calibrate
	out3="$work/forks"
	cat >"$work/forks.toml" <<EOF
name = "forks"
base = "tiny"
seeds = 2
set = ["schedule.steps=$steps", "checkpoint.every=1000", "checkpoint.keep=all", "metrics.enabled=false"]
[regimes.bias]
set = ["regime.bias.epsilon=0.3"]
[regimes.counter]
fork = "bias"
at = 1000
set = ["regime.bias.branch=1"]
EOF
	# Seed 2's parent directory holds a run of another config.
	"$bs" run tiny --out "$out3/forks" --seed 2 --set name=bias --set schedule.steps=3 --set schedule.warmup=0 >/dev/null 2>&1 || fail "the foreign run"
	submit id4 "$work/submit4.txt" "$work/forks.toml" --time 0:10:00 --out "$out3"
	id5="$(sed -n 's/^then job array \([0-9][0-9]*\):.*/\1/p' "$work/submit4.txt")"
	[ -n "$id5" ] || fail "no job array of forks in: $(cat "$work/submit4.txt")"
	jobs+=("$id5")
	log "submitted the parents as job array $id4 and their forks as $id5"
	# forks_wait WHEN: every task of the forks' array is pending, on a
	# dependency on the parents' array that is not yet fulfilled.
	forks_wait() {
		local st dep
		st="$(squeue -h -r -j "$id5" -o %T | sort -u)"
		dep="$(scontrol show job "$id5" -o | grep -o 'Dependency=[^ ]*' | sort -u)"
		[ "$st" = PENDING ] && [[ "$dep" == "Dependency=afterany:${id4}_"*"(unfulfilled)" ]] ||
			fail "the forks' array $id5 does not wait for $id4 $1 (states: $st; $dep)"
	}
	forks_wait "at first"
	deadline=$((SECONDS + timeout_s))
	until [ -n "$(squeue -h -j "${id4}_0" -t R -o %i)" ] &&
		"$bs" ls "$out3/forks/bias/seed-1" 2>/dev/null | grep -q ' running '; do
		[ "$SECONDS" -lt "$deadline" ] || fail "the parent of seed 1 did not start"
		sleep 1
	done
	forks_wait "while a parent trains"
	scancel --batch --signal=USR1 "${id4}_0" || fail "scancel --signal=USR1 ${id4}_0"
	until [ -n "$(squeue -h -j "${id4}_0" -t PD -o %i)" ]; do
		[ "$SECONDS" -lt "$deadline" ] || fail "${id4}_0 was not requeued"
		sleep 0.2
	done
	forks_wait "while a parent is requeued"
	log "the forks wait while ${id4}_0 is requeued"
	wait_done "$id4" "$id5"
	st4="$(states "$id4")"
	st5="$(states "$id5")"
	log "tasks of $id4 and $id5 (task state exit restarts):"$'\n'"$st4"$'\n'"$st5"
	grep -q '^0 COMPLETED 0:0 [1-9]' <<<"$st4" || fail "the parent task ${id4}_0 did not complete after a requeue"
	grep -q '^1 FAILED ' <<<"$st4" || fail "the parent task ${id4}_1 did not fail"
	grep -q '^2 COMPLETED 0:0 ' <<<"$st5" || fail "the fork task ${id5}_2 did not complete"
	grep -q '^3 FAILED ' <<<"$st5" || fail "the fork task ${id5}_3 did not fail"
	grep -q 'holds a run of config' "$out3/forks/slurm/logs/${id5}_3.out" ||
		fail "the log of ${id5}_3 does not say why its parent cannot be forked"
	"$bs" fork "$out3/forks/bias/seed-1" --at 1000 --set regime.bias.branch=1 --name counter --out "$work/forkref" >/dev/null 2>&1 ||
		fail "branchspec fork of the parent"
	same_weights "$work/forkref/counter/seed-1" "$out3/forks/counter/seed-1"
	log "the fork equals 'branchspec fork' of its parent at all $(checkpoints "$work/forkref/counter/seed-1" | wc -l) checkpoints"
fi
