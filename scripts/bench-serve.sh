#!/bin/bash
# bench-serve.sh - the side-by-side benchmarks of herald serve, with the harness in scripts/bench
# (its README.md says what each script measures). bench/setup.sh runs first: it installs what is
# missing (nginx, h2o, Caddy, h2load, ...) and builds herald and the Go tools into .cache/bench.
#   throughput: h2load, HTTP/2 over TLS, one server core, python docs, workloads small and mix:
#               herald against nginx, h2o, Caddy and Go's http.FileServer (gofs), with peak RSS
#   push:       critical path of the python docs index at 50 ms RTT, push against no push
#   h3:         (WHAT=h3 only) herald's req/s over HTTP/3 against HTTP/2 on small (bench/h3.sh)
#   paint:      (WHAT=paint only) Chromium's first paint at 50 ms RTT, 10 and 1.6 Mbit/s (bench/paint.sh)
#   h3paint:    (WHAT=h3paint only) Chromium's first paint over HTTP/3 against HTTP/2 at 50 ms RTT
#               (bench/h3paint.sh)
#   profile:    (PROFILE=1, or WHAT=profile alone) a CPU profile of herald serve under mix
# The harness runs herald serve DIR --cert C --key K: the folder is watched, and live reload is off
# (a site with its own certificate is a published one). HERALD_FLAGS adds flags (--watch=false, ...).
# Env: WHAT=all|throughput|push|h3|paint|h3paint|profile, PROFILE=1, SERVERS_THROUGHPUT, SERVERS_PUSH, DURATION (s per
#   measurement), ROUNDS, RUNS (push loads per server and mode); BENCH_DATA (default .cache/bench).
# The machine is noisy: quote ratios from one run (servers alternate within it).
set -eu
bench=$(cd "$(dirname "$0")/bench" && pwd)
WHAT=${WHAT:-all}
"$bench/setup.sh"
if [ "$WHAT" = all ] || [ "$WHAT" = throughput ]; then
	SERVERS="${SERVERS_THROUGHPUT:-nginx h2o caddy gofs herald}" DURATION="${DURATION:-10}" ROUNDS="${ROUNDS:-3}" \
		"$bench/throughput/run.sh"
fi
if [ "$WHAT" = all ] || [ "$WHAT" = push ]; then
	SERVERS="${SERVERS_PUSH:-herald nginx h2o caddy gofs}" RUNS="${RUNS:-7}" "$bench/push/run.sh"
fi
if [ "$WHAT" = h3 ]; then
	DURATION="${DURATION:-10}" ROUNDS="${ROUNDS:-3}" "$bench/h3.sh"
fi
if [ "$WHAT" = paint ]; then
	RUNS="${RUNS:-7}" "$bench/paint.sh"
fi
if [ "$WHAT" = h3paint ]; then
	RUNS="${RUNS:-7}" "$bench/h3paint.sh"
fi
if [ "$WHAT" = profile ] || [ "${PROFILE:-0}" = 1 ]; then
	DURATION="${DURATION:-10}" "$bench/profile.sh"
fi
