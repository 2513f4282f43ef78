#!/usr/bin/env bash
# down.sh stops the slurmd and slurmctld that up.sh started (by their pid
# files), leaving munged and the configuration in place.
set -uo pipefail
state="${SLURM_CI_STATE:-/var/lib/branchspec-ci-slurm}"
for d in slurmd slurmctld; do
	pid="$(cat "$state/$d.pid" 2>/dev/null || true)"
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		echo "slurm-down: stopping $d ($pid)" >&2
		kill "$pid"
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	fi
done
