#!/bin/bash
# bytes.sh [PAGE] - the bytes of a page's critical path as Chromium asks for them: PAGE (default
# /index.html of the python docs) and the critical assets herald's manifest lists for it, fetched from
# herald serve with Chromium's Accept-Encoding ("gzip, deflate, br, zstd") and counted as they come
# over the wire (body bytes, encoded), beside the same files as they are and through gzip -6 (what a
# server compressing on the fly at level 6, as nginx's usual configuration, sends). herald starts with
# an empty cache folder; the files are fetched once uncounted, then the script waits for herald's
# brotli 11 forms of the critical assets (made once requests are quiet: herald_compress_best_pending
# at 0 on its metrics), then counts.
# Env: SITE=$SITES/python PORT=28543 HERALD=$BENCH_DATA/bin/herald (setup.sh builds it).
set -eu
. "$(dirname "$0")/lib/env.sh"; . "$BENCH/lib/server.sh"
"$BENCH/setup.sh"
PAGE=${1:-/index.html} SITE=${SITE:-$SITES/python} PORT=${PORT:-28543}
work=$(mktemp -d); trap 'srv_stop 2>/dev/null; rm -rf "$work"' EXIT
"${HERALD:-$BENCH_DATA/bin/herald}" build "$SITE" -o "$work/m.json" >/dev/null
{ echo "$PAGE"; jq -r --arg p "$PAGE" '.pages[$p].assets[].path' "$work/m.json"; } >"$work/paths"
metrics=127.0.0.1:$((PORT + 20))
XDG_CACHE_HOME=$work/cache HERALD_FLAGS="${HERALD_FLAGS:-} --metrics $metrics" srv_start herald "$SITE" "$PORT"
while read -r p; do
	curl -sk -o /dev/null -H 'accept-encoding: gzip, deflate, br, zstd' "https://127.0.0.1:$PORT$p"
done <"$work/paths"
for _ in $(seq 240); do
	curl -s "http://$metrics/metrics" | grep -qx 'herald_compress_best_pending 0' && break
	sleep 0.5
done
ident=0 gz=0 wire=0 n=0
while read -r p; do
	f="$SITE${p%%\?*}"
	ident=$((ident + $(stat -c %s "$f"))) gz=$((gz + $(gzip -6 -c "$f" | wc -c)))
	w=$(curl -sk -o /dev/null -w '%{size_download}' -H 'accept-encoding: gzip, deflate, br, zstd' "https://127.0.0.1:$PORT$p")
	wire=$((wire + w)) n=$((n + 1))
done <"$work/paths"
printf '%s: %d files; herald %d bytes, gzip -6 %d, as they are %d (herald/gzip -6 %.3f)\n' \
	"$PAGE" "$n" "$wire" "$gz" "$ident" "$(echo "$wire / $gz" | bc -l)"
