#!/bin/bash
# herald.sh DIR PORT [CERT KEY] - herald serve, HTTP/2 over TLS. HERALD: the binary (default
# $BENCH_DATA/bin/herald, built from this tree by setup.sh). Push comes from herald's own manifest, so
# PUSH/PUSH_PAGE are ignored; NOPUSH=1 (set by push/run.sh for its no-push instance) switches push,
# 103 hints and preload headers off. HERALD_FLAGS: extra flags. HERALD_CPUPROFILE=FILE (read by
# herald itself): a CPU profile of the whole run, written when it stops.
. "$(dirname "$0")/common.sh"
off=""
[ "${NOPUSH:-}" = 1 ] && off="--push=off --hints=off --preload=off"
# shellcheck disable=SC2086
start "${HERALD:-$BENCH_DATA/bin/herald}" serve "$DIR" --addr "127.0.0.1:$PORT" --cert "$CERT" --key "$KEY" $off ${HERALD_FLAGS:-}
