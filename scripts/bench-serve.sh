#!/bin/bash
# bench-serve.sh - build herald and run the side-by-side benchmarks of herald serve
# (harness: ../shared/bench, see its README; run its setup.sh once per machine).
#   throughput: h2load, HTTP/2 over TLS, one server core, python docs, workloads small and mix:
#               herald against nginx and Go's http.FileServer (gofs), with peak RSS
#   push:       critical path of the python docs index at 50 ms RTT, push against no push
# The harness runs herald serve DIR --cert C --key K: the folder is watched, and live reload is off
# (a site with its own certificate is a published one). HERALD_FLAGS adds flags (--watch=false, ...).
# Env: BENCH (harness folder, default ../shared/bench beside the repository), HERALD (binary to
#   build, default /tmp/herald), SERVERS_THROUGHPUT, SERVERS_PUSH, DURATION, ROUNDS, RUNS; WHAT=throughput|push|all.
# The machine is noisy: quote ratios from one run (servers alternate within it).
set -eu
cd "$(dirname "$0")/.."
BENCH=${BENCH:-$(cd .. && pwd)/shared/bench}
HERALD=${HERALD:-/tmp/herald}
WHAT=${WHAT:-all}
[ -d /srv/bench/sites ] || { echo "bench-serve: run $BENCH/setup.sh first" >&2; exit 2; }
go build -o "$HERALD" ./cmd/herald
export HERALD
if [ "$WHAT" = all ] || [ "$WHAT" = throughput ]; then
	SERVERS="${SERVERS_THROUGHPUT:-nginx gofs herald}" DURATION="${DURATION:-10}" ROUNDS="${ROUNDS:-3}" \
		"$BENCH/throughput/run.sh"
fi
if [ "$WHAT" = all ] || [ "$WHAT" = push ]; then
	SERVERS="${SERVERS_PUSH:-herald gofs}" RUNS="${RUNS:-7}" "$BENCH/push/run.sh"
fi
