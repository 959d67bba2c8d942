#!/bin/bash
# gofs.sh DIR PORT [CERT KEY] - Go net/http FileServer baseline (cmd/gofs), HTTP/2 over TLS;
# PUSH via http.Pusher. GOFS: the binary (default $BENCH_DATA/bin/gofs, built by setup.sh).
. "$(dirname "$0")/common.sh"
push=""
if [ -n "$PUSH_PAGE" ]; then push="$PUSH_PAGE=$(echo $PUSH | tr ' ' ',')"; fi
start "${GOFS:-$BENCH_DATA/bin/gofs}" -dir "$DIR" -addr "127.0.0.1:$PORT" -cert "$CERT" -key "$KEY" -push "$push"
