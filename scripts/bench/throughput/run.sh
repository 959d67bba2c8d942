#!/bin/bash
# throughput/run.sh - h2load (HTTP/2 over TLS) against each server, one server at a time,
# ROUNDS rounds with the server order rotated each round. Two workloads on SITE:
#   small: SMALL (one page);  mix: MIX_PAGES pages (every 10th page by path) + their CSS/JS, one URI each.
# Each (round, server, workload) starts a fresh server, warms it (WARM requests), measures, reads
# peak RSS (VmHWM of the server and its children), stops it. Rows go to OUT (TSV); then summary.sh.
# Env: SERVERS="nginx h2o caddy gofs" (names in servers/ or script paths; the first is the baseline)
#   SITE=$SITES/python PORT=28443 ROUNDS=3 SMALL=/index.html MIX_PAGES=50
#   N_SMALL=200000 N_MIX=50000 C=32 M=10 T=1 WARM=5000 CLIENT_CPUS=0 (server side: CPUS, servers/common.sh)
#   DURATION=S: measure for S seconds (h2load -D) instead of a request count (bounds slow servers)
#   ACCEPT_ENCODING="gzip, deflate, br, zstd": sent with every request (default: none, identity);
#   with it set, nginx.sh compresses on the fly (GZIP=1, its gzip module) as a production nginx does
#   OUT=$BENCH_DATA/results/throughput-DATE.tsv
set -eu
. "$(dirname "$0")/../lib/env.sh"; . "$BENCH/lib/server.sh"
SERVERS=${SERVERS:-nginx h2o caddy gofs} SITE=${SITE:-$SITES/python} PORT=${PORT:-28443}
ROUNDS=${ROUNDS:-3} SMALL=${SMALL:-/index.html} MIX_PAGES=${MIX_PAGES:-50}
N_SMALL=${N_SMALL:-200000} N_MIX=${N_MIX:-50000} C=${C:-32} M=${M:-10} T=${T:-1} WARM=${WARM:-5000}
CLIENT_CPUS=${CLIENT_CPUS:-0} DURATION=${DURATION:-} ACCEPT_ENCODING=${ACCEPT_ENCODING:-}
hdr=(); [ -z "$ACCEPT_ENCODING" ] || { hdr=(-H "accept-encoding: $ACCEPT_ENCODING"); export GZIP=${GZIP:-1}; }
mkdir -p "$BENCH_DATA/results"; OUT=${OUT:-$BENCH_DATA/results/throughput-$(date -u +%Y%m%dT%H%M%SZ).tsv}
U=https://127.0.0.1:$PORT
work=$(mktemp -d); trap 'srv_stop 2>/dev/null; rm -rf "$work"' EXIT
echo "$U$SMALL" >"$work/small"
"$BENCH/lib/workload.sh" "$SITE" "$U" "$MIX_PAGES" >"$work/mix"
echo "# $(date -u +%FT%TZ) site=$SITE small=$SMALL mix=$(wc -l <"$work/mix") URIs; h2load -c $C -m $M -t $T${ACCEPT_ENCODING:+; accept-encoding: $ACCEPT_ENCODING}" >&2
printf 'date\tround\tserver\tworkload\treq_s\tmean_ms\tMB_s\thwm_kB\t2xx\tfailed\n' >"$OUT"
read -ra list <<<"$SERVERS"
for r in $(seq "$ROUNDS"); do
  for i in "${!list[@]}"; do
    s=${list[$(((i + r - 1) % ${#list[@]}))]}
    for w in small mix; do
      n="-n $N_SMALL"; [ $w = mix ] && n="-n $N_MIX"; [ -z "$DURATION" ] || n="-D $DURATION"
      srv_start "$s" "$SITE" "$PORT"
      taskset -c "$CLIENT_CPUS" h2load -n "$WARM" -c "$C" -m "$M" -t "$T" "${hdr[@]}" -i "$work/$w" >/dev/null
      taskset -c "$CLIENT_CPUS" h2load $n -c "$C" -m "$M" -t "$T" "${hdr[@]}" -i "$work/$w" >"$work/out"
      hwm=$(srv_hwm); srv_stop
      awk -v d="$(date -u +%FT%TZ)" -v r="$r" -v s="$(basename "$s" .sh)" -v w="$w" -v hwm="$hwm" '
        function ms(x) { if (x ~ /us$/) return x / 1000; if (x ~ /ms$/) return x + 0; return x * 1000 }
        function mb(x) { if (x ~ /GB/) return x * 1024; if (x ~ /MB/) return x + 0; return x / 1024 }
        /^finished in/ { rps = $4; mbs = mb($6) }
        /^requests:/ { failed = $10 }
        /^status codes:/ { ok = $3 }
        /^time for request:/ { mean = ms($6) }
        END { printf "%s\t%s\t%s\t%s\t%.0f\t%.3f\t%.1f\t%s\t%s\t%s\n", d, r, s, w, rps, mean, mbs, hwm, ok, failed }
      ' "$work/out" | tee -a "$OUT"
    done
  done
done
echo "rows: $OUT" >&2
"$BENCH/throughput/summary.sh" "$OUT" "$(basename "${list[0]}" .sh)"
