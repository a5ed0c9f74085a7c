#!/usr/bin/env bash
# Browser-listener mode of the fan-out bench: starts status-sockets.js on the load generator's CPU,
# following the server's listener count with one status WebSocket per listener, then execs the server
# (so the PID the harness measures is the server's own, and its CPU and RSS include the sockets).
#   with-status-sockets.sh WS_URL OUT_FILE SERVER_CMD...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ws_url=$1 out=$2
shift 2
taskset -c "${CLIENT_CPU:-1}" node "$here/../../build/node/bench/fanout/status-sockets.js" \
  --url "$ws_url" --out "$out" --max-seconds 300 </dev/null >/dev/null 2>&1 &
exec "$@"
