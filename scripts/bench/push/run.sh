#!/bin/bash
# push/run.sh - HTTP/2 push anchor. For each server: one instance pushing PAGE's critical assets
# (lib/page-assets.sh: stylesheets with their @imports, scripts) and one not pushing, both at once;
# 1) loopback: count PUSH_PROMISE frames (nghttp -nv) and keep nghttp -ans timings;
# 2) latency: each instance behind delayproxy (DELAY one way, RTT = 2*DELAY), RUNS alternating
#    push / no-push loads, measured two ways: nghttp -ans (max responseEnd over the critical
#    resources nghttp fetched; nghttp does not follow CSS @import) and push/critical.py (browser-like
#    discovery incl. @import). Rows go to OUT (TSV), a summary follows.
# Env: SERVERS="nginx h2o caddy gofs" SITE=$SITES/python PAGE=/index.html PORT=28443
#   DELAY=25ms RUNS=7 OUT=$BENCH_DATA/results/push-DATE.tsv PROXY=$BENCH_DATA/bin/delayproxy  (PUSH and PUSH_PAGE are set here for the servers)
#   NGHTTP_OPTS="-w 24 -W 24": 16 MiB stream/connection windows, as browsers use MiBs; nghttp's own
#   default (64 KiB) costs one RTT per 64 KiB of pushed bytes and hides the effect of push.
set -eu
. "$(dirname "$0")/../lib/env.sh"; . "$BENCH/lib/server.sh"
SERVERS=${SERVERS:-nginx h2o caddy gofs} SITE=${SITE:-$SITES/python} PAGE=${PAGE:-/index.html}
PORT=${PORT:-28443} DELAY=${DELAY:-25ms} RUNS=${RUNS:-7} PROXY=${PROXY:-$BENCH_DATA/bin/delayproxy}
NGHTTP_OPTS=${NGHTTP_OPTS:--w 24 -W 24}
mkdir -p "$BENCH_DATA/results"; STAMP=$(date -u +%Y%m%dT%H%M%SZ); OUT=${OUT:-$BENCH_DATA/results/push-$STAMP.tsv}
crit=$("$BENCH/lib/page-assets.sh" "$SITE" "$PAGE")
pids=""; trap 'for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT
nghttp_crit() { # URL -> max responseEnd (ms) over PAGE + critical assets, and how many of them nghttp got
  nghttp -ans $NGHTTP_OPTS "$1" 2>/dev/null | awk -v list="$PAGE $crit" '
    BEGIN { n = split(list, a, /[ \n]+/); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    /^ *[0-9]+ +\+/ && ($NF in want) { t = $2; sub(/^\+/, "", t)
      v = t ~ /us$/ ? t / 1000 : t ~ /ms$/ ? t + 0 : t * 1000; if (v > m) m = v; got++ }
    END { printf "%.1f %d\n", m, got }'
}
echo "# $(date -u +%FT%TZ) site=$SITE page=$PAGE delay=$DELAY one way; nghttp $NGHTTP_OPTS; critical: $(echo $crit)" >&2
printf 'date\tserver\trun\tpush\tnghttp_ms\tnghttp_got\tcritical_ms\tcritical_n\tpushed\n' >"$OUT"
for s in $SERVERS; do
  name=$(basename "$s" .sh)
  RUN=$BENCH_DATA/run/$name-push PUSH_PAGE=$PAGE PUSH="$(echo $crit)" srv_start "$s" "$SITE" "$PORT"; on=$SRV_PID
  RUN=$BENCH_DATA/run/$name-nopush PUSH_PAGE= PUSH= NOPUSH=1 srv_start "$s" "$SITE" $((PORT + 1)); off=$SRV_PID
  pids="$on $off"
  for m in on off; do
    p=$PORT; [ $m = off ] && p=$((PORT + 1))
    n=$(nghttp -nv "https://127.0.0.1:$p$PAGE" 2>&1 | grep -c 'recv PUSH_PROMISE' || true)
    echo "$name push=$m: $n PUSH_PROMISE frames on loopback" >&2
    nghttp -ans $NGHTTP_OPTS "https://127.0.0.1:$p$PAGE" 2>/dev/null | sed -n '/^id /,$p' >"${OUT%.tsv}-$name-$m-loopback.txt"
    "$PROXY" -listen "127.0.0.1:$((p + 10))" -to "127.0.0.1:$p" -delay "$DELAY" & pids="$pids $!"
  done
  sleep 0.3
  for r in $(seq "$RUNS"); do
    for m in on off; do
      p=$((PORT + 10)); flag=""; [ $m = off ] && { p=$((PORT + 11)); flag=--no-push; }
      read -r nt ng <<<"$(nghttp_crit "https://127.0.0.1:$p$PAGE")"
      c=$("$BENCH/push/critical.py" "https://127.0.0.1:$p$PAGE" $flag)
      ct=$(echo "$c" | sed -E 's/.*critical_ms=([0-9.]+).*/\1/'); cn=$(echo "$c" | sed -E 's/.* critical=([0-9]+).*/\1/')
      pu=$(echo "$c" | sed -E 's/.*pushed=([0-9]+).*/\1/')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$name" "$r" "$m" "$nt" "$ng" "$ct" "$cn" "$pu" | tee -a "$OUT"
    done
  done
  for p in $pids; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=""
done
rtt=$(echo "$DELAY" | sed -E 's/ms$//'); rtt=$((rtt * 2))
awk -F'\t' -v rtt="$rtt" '
  function med(s,   a, n, t, i, j) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  NR > 1 { if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 } ng[$2, $4] = ng[$2, $4] " " $5; cr[$2, $4] = cr[$2, $4] " " $7 }
  END { printf "RTT %d ms; medians in ms; saved RTTs = (no push - push) / RTT\n", rtt
    printf "%-7s %11s %11s %8s %13s %13s %8s\n", "server", "nghttp_push", "nghttp_none", "saved", "critical_push", "critical_none", "saved"
    for (i = 1; i <= k; i++) { s = order[i]; a = med(ng[s, "on"]); b = med(ng[s, "off"]); c = med(cr[s, "on"]); d = med(cr[s, "off"])
      printf "%-7s %11.1f %11.1f %8.2f %13.1f %13.1f %8.2f\n", s, a, b, (b - a) / rtt, c, d, (d - c) / rtt } }' "$OUT"
echo "rows: $OUT" >&2
