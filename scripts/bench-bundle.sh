#!/bin/bash
# bench-bundle.sh - figures of a bundle of the python docs (harness: scripts/bench; its setup.sh
# runs first):
#   size:       the bundle against herald's own executable plus the site's files
#   start-up:   from exec to the first 200 answer, median of RUNS starts
#   throughput: the bundle against herald serve of the same folder, side by side in one run
#               (h2load, HTTP/2 over TLS, workloads small and mix; DURATION, ROUNDS)
set -eu
cd "$(dirname "$0")/.."
bench=$PWD/scripts/bench
"$bench/setup.sh"
data=${BENCH_DATA:-$PWD/.cache/bench}
SITE=${SITE:-${SITES:-$PWD/.cache/sites}/python}
RUNS=${RUNS:-11}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export HERALD=$data/bin/herald BUNDLE=$work/site
"$HERALD" bundle "$SITE" -o "$BUNDLE" >/dev/null

exe=$(stat -c %s "$HERALD"); bundle=$(stat -c %s "$BUNDLE")
site=$(cd "$SITE" && find . -type f ! -name push-manifest.json ! -path '*/.*' -printf '%s\n' | awk '{s += $1} END {print s}')
over=$((bundle - exe - site))
awk -v e="$exe" -v s="$site" -v b="$bundle" -v o="$over" 'BEGIN {
  printf "size: herald %d B + site %d B = %d B; bundle %d B: +%d B (%.1f %% of the site)\n", e, s, e + s, b, o, 100 * o / s }'

port=28499 times=()
for _ in $(seq "$RUNS"); do
  t0=$(date +%s%N)
  "$BUNDLE" --addr "127.0.0.1:$port" --cert "$data/tls/cert.pem" --key "$data/tls/key.pem" >/dev/null 2>&1 &
  pid=$!
  until curl -sfk -o /dev/null "https://127.0.0.1:$port/index.html"; do sleep 0.002; done
  times+=($(( ($(date +%s%N) - t0) / 1000 )))
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {
  printf "start-up to the first 200: median %.3f s (min %.3f, max %.3f) over %d starts\n", a[int((NR + 1) / 2)] / 1e6, a[1] / 1e6, a[NR] / 1e6, NR }'

SERVERS="$bench/servers/bundle.sh herald" DURATION="${DURATION:-10}" ROUNDS="${ROUNDS:-3}" \
  "$bench/throughput/run.sh"
