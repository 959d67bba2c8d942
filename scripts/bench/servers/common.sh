# common.sh - sourced by servers/NAME.sh. Contract of every server script:
#   NAME.sh DIR PORT [CERT KEY]  serves DIR over HTTP/2 + TLS on 127.0.0.1:PORT, in the FOREGROUND
#   (it execs the server, so its PID is the server's PID; it prints "pid N" first).
# Environment: RUN (config/log dir, default $BENCH_DATA/run/NAME), CPUS (taskset list, default 1),
#   WORKERS (worker processes/threads where the server has the knob, default 1),
#   PUSH_PAGE=/index.html and PUSH="/a.css /b.js" (server push for PUSH_PAGE, where supported).
set -eu
. "$(dirname "${BASH_SOURCE[0]}")/../lib/env.sh"
NAME=$(basename "$0" .sh)
DIR=$(realpath "$1") PORT=$2
CERT=$(realpath "${3:-$BENCH_DATA/tls/cert.pem}") KEY=$(realpath "${4:-$BENCH_DATA/tls/key.pem}")
RUN=${RUN:-$BENCH_DATA/run/$NAME} CPUS=${CPUS:-1} WORKERS=${WORKERS:-1}
PUSH_PAGE=${PUSH_PAGE:-} PUSH=${PUSH:-}
mkdir -p "$RUN/log" "$RUN/tmp"
start() { echo "pid $$"; exec taskset -c "$CPUS" "$@" >>"$RUN/log/stdout.log" 2>>"$RUN/log/stderr.log"; }
