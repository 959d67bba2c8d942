#!/bin/bash
# profile.sh - a CPU profile of herald serve under h2load, as in throughput/run.sh (HTTP/2 over
# TLS, client on CLIENT_CPUS, server on CPUS, python docs): herald runs with HERALD_CPUPROFILE set,
# builds its manifest and is warmed (both counted in the profile too), loaded for DURATION seconds,
# stopped with SIGTERM (it writes the profile then), and go tool pprof -top prints the NODES
# heaviest functions by flat and by cumulative time.
# Env: WORKLOAD=mix|small SITE=$SITES/python PORT=28443 DURATION=10 NODES=25 C=32 M=10 T=1
#   MIX_PAGES=50 WARM=5000 CLIENT_CPUS=0 HERALD (binary, default $BENCH_DATA/bin/herald)
#   OUT=$BENCH_DATA/results/herald-cpu-DATE.prof
set -eu
. "$(dirname "$0")/lib/env.sh"; . "$BENCH/lib/server.sh"
WORKLOAD=${WORKLOAD:-mix} SITE=${SITE:-$SITES/python} PORT=${PORT:-28443} DURATION=${DURATION:-10}
NODES=${NODES:-25} C=${C:-32} M=${M:-10} T=${T:-1} MIX_PAGES=${MIX_PAGES:-50} WARM=${WARM:-5000}
CLIENT_CPUS=${CLIENT_CPUS:-0} HERALD=${HERALD:-$BENCH_DATA/bin/herald}
mkdir -p "$BENCH_DATA/results"; OUT=${OUT:-$BENCH_DATA/results/herald-cpu-$(date -u +%Y%m%dT%H%M%SZ).prof}
U=https://127.0.0.1:$PORT
work=$(mktemp -d); trap 'srv_stop 2>/dev/null; rm -rf "$work"' EXIT
case $WORKLOAD in
small) echo "$U/index.html" >"$work/uris" ;;
mix) "$BENCH/lib/workload.sh" "$SITE" "$U" "$MIX_PAGES" >"$work/uris" ;;
*) echo "profile: WORKLOAD is mix or small" >&2; exit 2 ;;
esac
echo "# $(date -u +%FT%TZ) herald serve $SITE, $WORKLOAD ($(wc -l <"$work/uris") URIs), h2load -c $C -m $M -t $T -D $DURATION" >&2
HERALD=$HERALD HERALD_CPUPROFILE=$OUT srv_start herald "$SITE" "$PORT"
taskset -c "$CLIENT_CPUS" h2load -n "$WARM" -c "$C" -m "$M" -t "$T" -i "$work/uris" >/dev/null
taskset -c "$CLIENT_CPUS" h2load -D "$DURATION" -c "$C" -m "$M" -t "$T" -i "$work/uris" | grep -E '^(finished in|requests:)' >&2
srv_stop
[ -s "$OUT" ] || { echo "profile: herald wrote no profile to $OUT" >&2; exit 1; }
echo "profile: $OUT" >&2
go tool pprof -top -nodecount="$NODES" "$HERALD" "$OUT" 2>/dev/null
go tool pprof -top -cum -nodecount="$NODES" "$HERALD" "$OUT" 2>/dev/null | sed -n '/flat%/,$p'
