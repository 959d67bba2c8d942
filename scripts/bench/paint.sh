#!/bin/bash
# paint.sh - Chromium's first paint of the python docs index through a slow link: herald serve (its
# hints, compression, HTTP/2 over TLS) against nginx compressing on the fly (gzip on, level 6, no
# hints), each behind its own delayproxy (DELAY each way, RATE each direction). cmd/paint loads the
# page RUNS times per server in a fresh Chromium with a fresh profile, the servers alternated, the
# certificate trusted by its key (so Chromium uses 103 Early Hints); it prints every load and medians.
# One load of each first, not counted: herald's compressed forms are made once per content hash, so
# the loads measured are those of a server warmed up, as a user after its start-up meets it; then
# the script waits for herald's brotli 11 forms of the critical assets, which its warmer makes once
# requests are quiet for a second (herald_compress_best_pending at 0 on its metrics). Each herald
# has a cache folder of its own (XDG_CACHE_HOME), empty at the start, so neither takes the other's forms.
# HERALD_BASE=BINARY: a second herald (e.g. one built from main) served and loaded alongside, as
# "base", for a before/after in one run. PAINT_FLAGS: flags for cmd/paint (-timing FILE, -netlog DIR).
# SETTLE: how long each fresh browser is left after its start before the load; the work of its
# start-up goes on after its first page and otherwise competes with the load on 2 cores (with no delay
# and no bottleneck, a paint took some 645 ms at SETTLE=0 and 390-420 ms at 2s).
# Env: RATES="10mbit 1.6mbit" DELAY=25ms RUNS=7 PAGE=/index.html SITE=$SITES/python PORT=28544
#   CHROMIUM=/usr/bin/chromium HERALD_BASE PAINT_FLAGS SETTLE=2s
set -eu
. "$(dirname "$0")/lib/env.sh"
"$BENCH/setup.sh"
RATES=${RATES:-10mbit 1.6mbit} DELAY=${DELAY:-25ms} RUNS=${RUNS:-7} PAGE=${PAGE:-/index.html}
SITE=${SITE:-$SITES/python} PORT=${PORT:-28544} CHROMIUM=${CHROMIUM:-/usr/bin/chromium} SETTLE=${SETTLE:-2s}
(cd "$TOP" && go build -o "$BENCH_DATA/bin/paint" ./scripts/bench/cmd/paint)
work=$(mktemp -d) pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
metrics=127.0.0.1:$((PORT + 20))
XDG_CACHE_HOME=$work/cache-herald HERALD_FLAGS="${HERALD_FLAGS:-} --metrics $metrics" RUN=$work/herald \
	"$BENCH/servers/herald.sh" "$SITE" "$PORT" >/dev/null & pids+=($!)
RUN=$work/nginx GZIP=1 "$BENCH/servers/nginx.sh" "$SITE" $((PORT + 1)) >/dev/null & pids+=($!)
targets=(herald nginx)
if [ -n "${HERALD_BASE:-}" ]; then
	XDG_CACHE_HOME=$work/cache-base HERALD=$HERALD_BASE RUN=$work/base "$BENCH/servers/herald.sh" "$SITE" $((PORT + 2)) >/dev/null & pids+=($!)
	targets+=(base)
fi
sleep 2
for rate in $RATES; do
	echo "# $(date -u +%FT%TZ) $SITE$PAGE, RTT 2x$DELAY, $rate; $RUNS loads per server, each $SETTLE after its browser's start" >&2
	urls=()
	for i in "${!targets[@]}"; do
		"$BENCH_DATA/bin/delayproxy" -listen "127.0.0.1:$((PORT + 10 + i))" -to "127.0.0.1:$((PORT + i))" \
			-delay "$DELAY" -rate "$rate" & pids+=($!)
		urls+=("${targets[i]}=https://127.0.0.1:$((PORT + 10 + i))$PAGE")
	done
	sleep 0.5
	"$BENCH_DATA/bin/paint" -cert "$BENCH_DATA/tls/cert.pem" -chromium "$CHROMIUM" -settle "$SETTLE" -n 1 "${urls[@]}" >/dev/null
	for _ in $(seq 240); do
		curl -s "http://$metrics/metrics" | grep -qx 'herald_compress_best_pending 0' && break
		sleep 0.5
	done
	echo "# herald: $(curl -s "http://$metrics/metrics" | grep -E '^herald_compress_best_(made_total|pending) ' | tr '\n' ' ')" >&2
	# shellcheck disable=SC2086
	"$BENCH_DATA/bin/paint" -cert "$BENCH_DATA/tls/cert.pem" -chromium "$CHROMIUM" -settle "$SETTLE" -n "$RUNS" ${PAINT_FLAGS:-} "${urls[@]}"
	proxies=("${pids[@]: -${#targets[@]}}")
	kill "${proxies[@]}"; wait "${proxies[@]}" 2>/dev/null || true
done
