# server.sh - sourced helpers to run one server under test at a time.
# srv_start SERVER DIR PORT: SERVER is a name in servers/ or the path of any script honouring
#   servers/common.sh's contract (DIR PORT [CERT KEY], runs in the foreground). Sets SRV_PID.
# srv_hwm: peak RSS in KiB (VmHWM) of SRV_PID plus its child processes (nginx workers).
# srv_stop: SIGTERM to SRV_PID, wait for it (SIGKILL after 10 s).
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
srv_start() {
  local cmd=$1; [ -x "$cmd" ] || cmd=$BENCH/servers/$1.sh
  SRV_PORT=$3
  "$cmd" "$2" "$3" >/dev/null &
  SRV_PID=$!
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$3") 2>/dev/null; then sleep 0.2; return 0; fi
    kill -0 "$SRV_PID" 2>/dev/null || { echo "server $1 exited; see its log dir" >&2; return 1; }
    sleep 0.1
  done
  echo "server $1 did not listen on $3" >&2; return 1
}
srv_hwm() {
  local p kb=0 v
  for p in "$SRV_PID" $(ps -o pid= --ppid "$SRV_PID"); do
    v=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null) && kb=$((kb + ${v:-0}))
  done
  echo "$kb"
}
srv_stop() {
  kill -TERM "$SRV_PID" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SRV_PID" 2>/dev/null || true
  wait "$SRV_PID" 2>/dev/null || true
}
