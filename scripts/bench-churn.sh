#!/bin/bash
# bench-churn.sh - h2load on the mix workload against herald serving a copy of the python docs while
# a subfolder of the site (_churn/, which the workload never requests) is churned: files and folders
# created, rewritten, deleted, renamed, saved by rename-over, replaced by folders and back, moved out
# and removed, looping links, FIFOs (scripts/churn). Reports the failed requests (h2load's failed and
# every status but 2xx: target 0) and herald's RSS over the first and the last minute (sampled every
# 5 s: mean and max), and the changes the churner made.
#   mix: MIX_PAGES pages (every 10th page by path) and their stylesheets (following @import) and
#   scripts, as scripts/bench/throughput/run.sh makes it (scripts/bench/lib/workload.sh).
# Env: MINUTES=10 SITE=.cache/sites/python PORT=28453 C=64 M=10 T=1 MIX_PAGES=50 PAUSE=0 (between
#   changes) HERALD=(binary, default: built into the work folder)
#   CLIENT_CPUS=0 SERVER_CPUS=1 (taskset; the churner runs unpinned)
set -eu
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-10} SITE=${SITE:-.cache/sites/python} PORT=${PORT:-28453} C=${C:-64} M=${M:-10} T=${T:-1}
MIX_PAGES=${MIX_PAGES:-50} PAUSE=${PAUSE:-0}
CLIENT_CPUS=${CLIENT_CPUS:-0} SERVER_CPUS=${SERVER_CPUS:-1}
command -v h2load >/dev/null || { echo "bench-churn: h2load missing (apt install nghttp2-client)" >&2; exit 2; }
[ -d "$SITE" ] || { echo "bench-churn: no site at $SITE (make testsites)" >&2; exit 2; }
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
if [ -z "${HERALD:-}" ]; then HERALD=$work/herald; go build -tags urfave_cli_no_docs -o "$HERALD" ./cmd/herald; fi
go build -o "$work/churn" ./scripts/churn
cp -rL "$SITE" "$work/site"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

# The mix workload (the copy has the same pages; _churn/ is never requested).
U=https://127.0.0.1:$PORT
scripts/bench/lib/workload.sh "$SITE" "$U" "$MIX_PAGES" >"$work/mix"

taskset -c "$SERVER_CPUS" "$HERALD" serve "$work/site" --addr "127.0.0.1:$PORT" --cert "$work/cert.pem" --key "$work/key.pem" \
	>"$work/herald.out" 2>"$work/herald.err" &
hpid=$!
pids+=("$hpid")
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
echo "# $(date -u +%FT%TZ) site=$SITE mix=$(wc -l <"$work/mix") URIs; h2load -c $C -m $M -t $T for $MINUTES min; churning _churn/" >&2

"$work/churn" -dir "$work/site/_churn" -away "$work/away" -for "$((MINUTES * 60 + 5))s" -pause "$PAUSE" >"$work/churn.out" 2>&1 &
pids+=($!)
(while kill -0 "$hpid" 2>/dev/null; do
	echo "$(date +%s) $(awk '/^VmRSS/ {print $2}' "/proc/$hpid/status" 2>/dev/null)"
	sleep 5
done) >"$work/rss" &
pids+=($!)
start=$(date +%s)
taskset -c "$CLIENT_CPUS" h2load -D "$((MINUTES * 60))" -c "$C" -m "$M" -t "$T" -i "$work/mix" >"$work/h2load" 2>&1 || true
wait "${pids[1]}" || true

awk '/^finished in|^requests:|^status codes:/' "$work/h2load"
cat "$work/churn.out"
awk -v start="$start" -v end="$((start + MINUTES * 60))" '
	$2 == "" { next }
	$1 < start + 60 { f += $2; fn++; if ($2 > fm) fm = $2 }
	$1 >= end - 60 && $1 < end { l += $2; ln++; if ($2 > lm) lm = $2 }
	END { printf "RSS first minute: mean %.1f MiB, max %.1f MiB (%d samples); last minute: mean %.1f MiB, max %.1f MiB (%d samples)\n",
		f / (fn ? fn : 1) / 1024, fm / 1024, fn, l / (ln ? ln : 1) / 1024, lm / 1024, ln }' "$work/rss"
failed=$(awk '/^requests:/ { f = $10 } /^status codes:/ { o = $5 + $7 + $9 } END { print f + o }' "$work/h2load")
echo "failed requests (h2load failed + 3xx/4xx/5xx): $failed"
if grep -q . "$work/herald.err"; then echo "herald's stderr (last lines):"; tail -n 5 "$work/herald.err"; fi
start_term=$(date +%s%N)
kill -TERM "$hpid"
for _ in $(seq 150); do kill -0 "$hpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$hpid" 2>/dev/null; then echo "herald still running 15 s after SIGTERM"; exit 1; fi
echo "herald stopped $(((($(date +%s%N) - start_term)) / 1000000)) ms after SIGTERM"
[ "$failed" = 0 ]
