#!/usr/bin/env bash
# reproduce.sh BIN RUNS DATA JOBS: run every experiment whose summary is
# checked in under experiments/results/ (sweeps resume: a rerun does only
# what is left) and rewrite each summary with collect.sh. DATA is CIFAR-10
# as an image folder, for the experiments on natural images.
set -euo pipefail
if [ $# -ne 4 ]; then
	echo "usage: $0 BIN RUNS DATA JOBS" >&2
	exit 2
fi
bin=$1 runs=$2 data=$3 jobs=$4
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# experiment, its baseline regime, whether it reads DATA, and the regimes
# to plot against the baseline alone (comma-separated, or -).
while read -r exp base needs focus; do
	args=()
	if [ "$needs" = data ]; then
		[ -d "$data/train" ] || { echo "$0: $exp needs CIFAR-10 as an image folder at $data (DATA=...)" >&2; exit 1; }
		args=(--data "$data")
	fi
	echo "== $exp: sweep into $runs, summary into experiments/results/$exp"
	"$bin" sweep "$root/experiments/$exp.toml" "${args[@]}" --out "$runs" --jobs "$jobs"
	[ "${focus:--}" = - ] && focus=
	"$here/collect.sh" "$bin" "$runs" "$exp" "$base" "$here/$exp" $focus
done <<'LIST'
positive-control baseline - -
feedback-loop baseline - cut-downstream
where-split-forms centre data -
feedback-loop-cifar baseline data cut-downstream,mixing-p100
LIST
