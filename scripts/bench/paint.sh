#!/bin/bash
# paint.sh - Chromium's first paint of the python docs index through a slow link: herald serve (its
# hints, compression, HTTP/2 over TLS) against nginx compressing on the fly (gzip on, level 6, no
# hints), each behind its own delayproxy (DELAY each way, RATE each direction). cmd/paint loads the
# page RUNS times per server in a fresh Chromium with a fresh profile, the servers alternated, the
# certificate trusted by its key (so Chromium uses 103 Early Hints); it prints every load and medians.
# One load of each first, not counted: herald's compressed forms are made once per content hash.
# Env: RATES="10mbit 1.6mbit" DELAY=25ms RUNS=7 PAGE=/index.html SITE=$SITES/python PORT=28544
#   CHROMIUM=/usr/bin/chromium
set -eu
. "$(dirname "$0")/lib/env.sh"
"$BENCH/setup.sh"
RATES=${RATES:-10mbit 1.6mbit} DELAY=${DELAY:-25ms} RUNS=${RUNS:-7} PAGE=${PAGE:-/index.html}
SITE=${SITE:-$SITES/python} PORT=${PORT:-28544} CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
(cd "$TOP" && go build -o "$BENCH_DATA/bin/paint" ./scripts/bench/cmd/paint)
work=$(mktemp -d) pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT
RUN=$work/herald "$BENCH/servers/herald.sh" "$SITE" "$PORT" >/dev/null & pids+=($!)
RUN=$work/nginx GZIP=1 "$BENCH/servers/nginx.sh" "$SITE" $((PORT + 1)) >/dev/null & pids+=($!)
sleep 2
for rate in $RATES; do
	echo "# $(date -u +%FT%TZ) $SITE$PAGE, RTT 2x$DELAY, $rate; $RUNS loads per server" >&2
	for i in 0 1; do
		"$BENCH_DATA/bin/delayproxy" -listen "127.0.0.1:$((PORT + 10 + i))" -to "127.0.0.1:$((PORT + i))" \
			-delay "$DELAY" -rate "$rate" & pids+=($!)
	done
	sleep 0.5
	"$BENCH_DATA/bin/paint" -cert "$BENCH_DATA/tls/cert.pem" -chromium "$CHROMIUM" -n 1 \
		herald="https://127.0.0.1:$((PORT + 10))$PAGE" nginx="https://127.0.0.1:$((PORT + 11))$PAGE" >/dev/null
	"$BENCH_DATA/bin/paint" -cert "$BENCH_DATA/tls/cert.pem" -chromium "$CHROMIUM" -n "$RUNS" \
		herald="https://127.0.0.1:$((PORT + 10))$PAGE" nginx="https://127.0.0.1:$((PORT + 11))$PAGE"
	kill "${pids[@]: -2}"; wait "${pids[@]: -2}" 2>/dev/null || true
done
