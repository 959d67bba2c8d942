#!/bin/sh
# bench-build.sh [RUNS] - whole-process wall time and peak RSS of `herald build` on the python docs
# against the floor (scripts/bench/cmd/floor: walk + sha256 of the same files, 2 workers),
# alternated, with the ratio (scripts/bench/lib/abtime.sh).
set -eu
bench=$(cd "$(dirname "$0")/bench" && pwd)
runs=${1:-9}
"$bench/setup.sh"
data=${BENCH_DATA:-$bench/../../.cache/bench} site=${SITES:-$bench/../../.cache/sites}/python
out=$(mktemp -d)
echo "A = floor (walk + sha256, 2 workers), B = herald build, python docs"
"$bench/lib/abtime.sh" "$runs" "$data/bin/floor $site 2" "$data/bin/herald build $site -o $out/m.json"
rm -rf "$out"
