#!/bin/bash
# h3.sh - herald's req/s over HTTP/3 against HTTP/2 on the `small` workload (throughput/run.sh's: one
# page of the python docs). One herald serve (servers/herald.sh: TLS with the bench certificate, so
# HTTP/3 on the same port over UDP; pinned to CPU 1) is started once and warmed; then ROUNDS rounds
# of cmd/h3load (client on CLIENT_CPUS), h2 and h3 alternated, the order swapped each round. Prints
# each measurement, the median req/s of each protocol and the median of the per-round h3/h2 ratios.
# h3load reports its own CPU use: near 100 % the client, not herald, is the limit.
# Env: SITE=$SITES/python PORT=28643 SMALL=/index.html ROUNDS=3 DURATION=10 C=1 M=32 (connections,
#   streams per connection: h2load -c1 -m32) WARM=5000 CLIENT_CPUS=0 (server side: CPUS, servers/common.sh)
#   OUT=$BENCH_DATA/results/h3-DATE.tsv
set -eu
. "$(dirname "$0")/lib/env.sh"; . "$BENCH/lib/server.sh"
"$BENCH/setup.sh"
SITE=${SITE:-$SITES/python} PORT=${PORT:-28643} SMALL=${SMALL:-/index.html} ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10} C=${C:-1} M=${M:-32} WARM=${WARM:-5000} CLIENT_CPUS=${CLIENT_CPUS:-0}
mkdir -p "$BENCH_DATA/results"; OUT=${OUT:-$BENCH_DATA/results/h3-$(date -u +%Y%m%dT%H%M%SZ).tsv}
(cd "$TOP" && go build -o "$BENCH_DATA/bin/h3load" ./scripts/bench/cmd/h3load)
work=$(mktemp -d); trap 'srv_stop 2>/dev/null; rm -rf "$work"' EXIT
echo "https://127.0.0.1:$PORT$SMALL" >"$work/small"
h3load() {
	taskset -c "$CLIENT_CPUS" "$BENCH_DATA/bin/h3load" -urls "$work/small" -cacert "$BENCH_DATA/tls/cert.pem" \
		-c "$C" -m "$M" "$@"
}
echo "# $(date -u +%FT%TZ) site=$SITE small=$SMALL; h3load -c $C -m $M -d ${DURATION}s, herald on CPU ${CPUS:-1}" >&2
srv_start herald "$SITE" "$PORT"
h3load -proto h2 -d 1ms -warm "$WARM" >/dev/null
h3load -proto h3 -d 1ms -warm "$WARM" >/dev/null
printf 'date\tround\tproto\treq_s\tp50_ms\tp99_ms\terrors\tclient_cpu\n' >"$OUT"
for r in $(seq "$ROUNDS"); do
	order="h2 h3"; [ $((r % 2)) = 0 ] && order="h3 h2"
	for p in $order; do
		line=$(h3load -proto "$p" -d "${DURATION}s" -warm 0)
		echo "round $r: $line" >&2
		# "h2 c=1 m=32 10.0s: N requests, R req/s, E errors, p50 X ms, p99 Y ms, Z MB/s, client CPU P%"
		awk -v d="$(date -u +%FT%TZ)" -v r="$r" '{ printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d, r, $1, $7, $12, $15, $9, $NF }' \
			<<<"$line" >>"$OUT"
	done
done
srv_stop
echo "rows: $OUT" >&2
awk -F'\t' 'NR > 1 { v[$3] = v[$3] " " $4; x[$2, $3] = $4; if ($2 > n) n = $2 }
	function median(s,   a, k, i, j, t) {
		k = split(s, a, " ")
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	END {
		for (r = 1; r <= n; r++) ratios = ratios sprintf(" %.2f", x[r, "h3"] / x[r, "h2"])
		printf "median req/s: h2 %.0f, h3 %.0f; h3/h2 per round:%s, median %.2f\n", median(v["h2"]), median(v["h3"]), ratios, median(ratios)
	}' "$OUT"
