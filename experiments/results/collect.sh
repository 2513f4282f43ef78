#!/usr/bin/env bash
# collect.sh BIN RUNS EXPERIMENT BASELINE OUT [FOCUS]: write the checked-in summary
# of an experiment's runs (RUNS/EXPERIMENT) into OUT: compare's text, JSON
# (gzipped) and CSV tables (split counts on dchroma and on chroma), curve plots,
# the report HTML, the runs with their config hashes, the program's
# version, and the first-layer kernel grids (w and what training added,
# w - w0) of the first seed of BASELINE, and w - w0 of every BASELINE run
# in which a split formed; with FOCUS (regimes, comma-separated), the
# primary endpoints of BASELINE against each of them alone, in
# OUT/plots/BASELINE-vs-REGIME/. No run
# store is copied. The numbers are the same bits on every rerun
# (compare's streams are seeded; wall-clock fields aside).
set -euo pipefail
if [ $# -ne 5 ] && [ $# -ne 6 ]; then
	echo "usage: $0 BIN RUNS EXPERIMENT BASELINE OUT [FOCUS]" >&2
	exit 2
fi
bin=$1 runs=$2 exp=$3 base=$4 out=$5 focus=${6:-}
dir="$runs/$exp"
[ -d "$dir" ] || { echo "$0: no runs at $dir (run the sweep first)" >&2; exit 1; }
mkdir -p "$out/plots"
# The metrics worth plotting: the primary endpoints, what they are read
# against, accuracy.
metrics=(--metric dchroma.eta2 --metric dchroma.eta2.p --metric chroma.eta2
	--metric 'dchroma.a*' --metric rejoin.fmaxshare --metric rejoin.fmaxshare.p
	--metric 'lesion.a?' --metric drift --metric test.acc --metric test.loss)
"$bin" compare "$dir" --baseline "$base" > "$out/compare.txt.tmp"
mv "$out/compare.txt.tmp" "$out/compare.txt"
# The JSON holds every logged value of every run: gzipped (-n: no name or
# time in the header, so a rerun gives the same bytes), a fifteenth of it.
"$bin" compare "$dir" --baseline "$base" --json | gzip -n -9 > "$out/compare.json.gz.tmp"
mv "$out/compare.json.gz.tmp" "$out/compare.json.gz"
rm -f "$out/compare.json"
for t in contrasts paired splits branches feedback seeds skipped; do
	"$bin" compare "$dir" --baseline "$base" --csv --table "$t" > "$out/$t.csv.tmp"
	mv "$out/$t.csv.tmp" "$out/$t.csv"
done
# The same count on the chroma of w itself (what the net holds, not what
# training added).
"$bin" compare "$dir" --baseline "$base" --split-endpoint chroma.eta2.p --csv --table splits > "$out/splits-chroma.csv.tmp"
mv "$out/splits-chroma.csv.tmp" "$out/splits-chroma.csv"
"$bin" compare "$dir" --baseline "$base" "${metrics[@]}" --csv --table curves > "$out/curves.csv.tmp"
mv "$out/curves.csv.tmp" "$out/curves.csv"
"$bin" compare "$dir" --baseline "$base" "${metrics[@]}" --plots "$out/plots" > /dev/null
for regime in ${focus//,/ }; do
	"$bin" compare "$dir/$base" "$dir/$regime" --baseline "$base" --metric dchroma.eta2 --metric dchroma.eta2.p \
		--metric rejoin.fmaxshare --metric test.acc --plots "$out/plots/$base-vs-$regime" > /dev/null
done
"$bin" report "$dir" --baseline "$base" -o "$out/report.html"
seed=$(ls "$dir/$base" | sort -t- -k2 -n | head -1)
"$bin" filters "$dir/$base/$seed" -o "$out/kernels-$base-$seed.png"
"$bin" filters "$dir/$base/$seed" --learned -o "$out/kernels-learned-$base-$seed.png"
# ... and what training added in every BASELINE run in which a split formed
# (dchroma.eta2.p < 0.01 at the final step), to see what the split is.
for run in "$dir/$base"/seed-*; do
	[ -f "$run/run.db" ] || continue
	p=$("$bin" show "$run" --csv --metric dchroma.eta2.p | awk -F, 'NR > 1 && $2 + 0 >= last { last = $2 + 0; p = $4 } END { print p }')
	if [ -n "$p" ] && awk -v p="$p" 'BEGIN { exit !(p < 0.01) }'; then
		"$bin" filters "$run" --learned -o "$out/kernels-learned-$base-$(basename "$run").png"
	fi
done
"$bin" ls "$dir" > "$out/runs.txt"
# regime, seed and config SHA-256 of every run ('show' prints them).
{
	echo "regime seed config_sha256"
	for run in "$dir"/*/seed-*; do
		[ -f "$run/run.db" ] || continue # a run interrupted before it was created
		"$bin" show "$run" | awk '$1 == "config" { print $2, $4, $6 }'
	done | sort -k1,1 -k2,2n
} > "$out/config-hashes.txt"
"$bin" version > "$out/version.txt"
