#!/usr/bin/env bash
# The peers' workload (peer.toml) with nethical, as issue 19 measured DVC and Snakemake:
# cold runs (empty cache and runs folder), a no-op re-run, and a run with one parameter
# changed, each the median of 3, with the peak RSS of the largest run.
#
#   benches/peer_workload/run.sh [ROWS] [JOBS]     # default 1000000 rows, -j 2
#
# Prints one line per measurement. Run it on an idle machine: the figures are wall times.
set -euo pipefail
rows=${1:-1000000}
jobs=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/nethical"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/pipelines"
cp "$here/peer.toml" "$work/pipelines/peer.toml"
cd "$work"
set_rows="stages.data.source.synthetic.num_samples=$rows"

# Runs nethical with the given arguments; prints "seconds peak_kib".
timed() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" run pipelines/peer.toml -j "$jobs" --set "$set_rows" "$@" >/dev/null 2>&1
  cat "$work/time"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cold=(); peak=0
for _ in 1 2 3; do
  rm -rf runs .nethical pipelines/peer.lock
  read -r s kib < <(timed)
  cold+=("$s"); (( kib > peak )) && peak=$kib
done
noop=()
for _ in 1 2 3; do read -r s _ < <(timed); noop+=("$s"); done
changed=()
for rate in 0.25 0.125 0.0625; do
  read -r s _ < <(timed --set "stages.train_sgd.learning_rate=$rate")
  changed+=("$s")
done
echo "rows $rows, -j $jobs"
echo "cold run: $(printf '%s\n' "${cold[@]}" | median) s (runs: ${cold[*]})"
echo "no-op re-run: $(printf '%s\n' "${noop[@]}" | median) s (runs: ${noop[*]})"
echo "one parameter changed: $(printf '%s\n' "${changed[@]}" | median) s (runs: ${changed[*]})"
echo "peak RSS of a cold run: $((peak / 1024)) MiB"
