#!/usr/bin/env bash
# serve-check: trains two tiny regimes (3 seeds each, 200 steps), starts a
# long run training in the background, serves the runs with
# 'branchspec serve' on a free loopback port, and has headless Chromium
# (servecheck, beside this script) load the page, see the run list update
# and a curve drawn, and save a screenshot.
#   usage: check.sh BIN OUTDIR [CHROMIUM]
set -euo pipefail
bin=$(realpath "$1"); out=$(realpath -m "$2"); chromium=${3:-chromium}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out" && mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

sets=(--set schedule.steps=200 --set checkpoint.every=20 --set checkpoint.keep_every=40)
for s in 1 2 3; do
	"$bin" run tiny --seed "$s" --out "$out/runs/check" --set name=baseline "${sets[@]}" >>"$out/train.log" 2>&1
	"$bin" run tiny --seed "$s" --out "$out/runs/check" --set name=gray --set data.grayscale=true "${sets[@]}" >>"$out/train.log" 2>&1
done
# A run that trains for the whole check (it is stopped at the end).
"$bin" run tiny --seed 4 --out "$out/runs/check" --set name=baseline --set schedule.steps=1000000 \
	--set checkpoint.every=20 --set checkpoint.keep_every=40 >"$out/live.log" 2>&1 &
pids+=($!)
"$bin" serve "$out/runs" --addr 127.0.0.1:0 --refresh 500ms >"$out/serve.log" 2>&1 &
pids+=($!)
url=""
for _ in $(seq 100); do
	url=$(sed -n 's|.* at \(http://[^ ]*\) .*|\1|p' "$out/serve.log")
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { echo "serve-check: the server printed no address:"; cat "$out/serve.log"; exit 1; }
page="${url}?m=test.acc&m=chroma.eta2&m=rejoin.maxshare&m=chroma.a0&m=lesion.a0&m=train.loss&view=both"
(cd "$here" && go run . -url "$page" -out "$out/serve.png" -chromium "$chromium" -updates 2)
echo "serve-check: $out/serve.png ($page)"
