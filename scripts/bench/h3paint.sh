#!/bin/bash
# h3paint.sh - Chromium's first paint of the python docs index over HTTP/3 against HTTP/2, through a
# link with RTT 2*DELAY: one herald serve (TLS with the bench certificate, so HTTP/3 on the same port
# over UDP) behind one delayproxy -udp, which relays TCP and UDP on the same port number with DELAY
# each way (and RATE each direction, if set). cmd/h3paint loads the page RUNS times per protocol, a
# fresh Chromium and profile per load, h2 (--disable-quic) and h3 (--origin-to-force-quic-on)
# alternated; it checks that each load came over the protocol asked for and took every asset of
# herald's 103 through early hints, and prints every load and the medians. One load of each first,
# not counted (herald's compressed forms are made once per content hash). The relay logs each QUIC
# client address: the script checks that the h3 loads went through it.
# Env: DELAY=25ms RATE= (e.g. 10mbit; default unlimited) RUNS=7 PAGE=/index.html SITE=$SITES/python
#   PORT=28744 CHROMIUM=/usr/bin/chromium
set -eu
. "$(dirname "$0")/lib/env.sh"
"$BENCH/setup.sh"
DELAY=${DELAY:-25ms} RATE=${RATE:-} RUNS=${RUNS:-7} PAGE=${PAGE:-/index.html}
SITE=${SITE:-$SITES/python} PORT=${PORT:-28744} CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
(cd "$TOP" && go build -o "$BENCH_DATA/bin/h3paint" ./scripts/bench/cmd/h3paint)
work=$(mktemp -d) pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT
RUN=$work/herald "$BENCH/servers/herald.sh" "$SITE" "$PORT" >/dev/null & pids+=($!)
"$BENCH_DATA/bin/delayproxy" -udp -listen "127.0.0.1:$((PORT + 10))" -to "127.0.0.1:$PORT" \
	-delay "$DELAY" ${RATE:+-rate "$RATE"} 2>"$work/relay.log" & pids+=($!)
sleep 2
url="https://127.0.0.1:$((PORT + 10))$PAGE"
echo "# $(date -u +%FT%TZ) $SITE$PAGE, RTT 2x$DELAY${RATE:+, $RATE}; $RUNS loads per protocol; $(uptime)" >&2
"$BENCH_DATA/bin/h3paint" -cert "$BENCH_DATA/tls/cert.pem" -chromium "$CHROMIUM" -n 1 "$url" >/dev/null || true
"$BENCH_DATA/bin/h3paint" -cert "$BENCH_DATA/tls/cert.pem" -chromium "$CHROMIUM" -n "$RUNS" "$url"
quic=$(grep -c 'udp: new client' "$work/relay.log" || true)
echo "QUIC client addresses through the relay: $quic (h3 loads: $((RUNS + 1)))" >&2
[ "$quic" -ge $((RUNS + 1)) ] || { echo "h3paint.sh: fewer QUIC clients than h3 loads went through the relay" >&2; exit 1; }
