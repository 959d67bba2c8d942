#!/bin/sh
# bench-build.sh [RUNS] - whole-process wall time and peak RSS of `herald build`
# on the python docs against the floor (walk + sha256 of the same files, 2
# workers), alternated, with the ratio; uses the shared bench harness.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$top/../shared/bench}
runs=${1:-9}
site=$top/.cache/sites/python
[ -x /srv/bench/bin/floor ] || "$bench/setup.sh"
go build -o /tmp/herald-bench "$top/cmd/herald"
out=$(mktemp -d)
echo "A = floor (walk + sha256, 2 workers), B = herald build, python docs"
"$bench/lib/abtime.sh" "$runs" "/srv/bench/bin/floor $site 2" "/tmp/herald-bench build $site -o $out/m.json"
rm -rf "$out"
