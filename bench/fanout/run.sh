#!/usr/bin/env bash
# Fan-out benchmark: onair next to Icecast 2.4 (and the naive Node relay) in one run, using the shared
# harness ../shared/bench/fanout/run-sweep.sh: N listeners on a 64 kbps Opus stream fed by ffmpeg with
# PUT, server pinned to CPU 0, load generator on CPU 1, everything on 127.0.0.1.
# Prints the harness's summary (CPU % per 1000 listeners, RSS per listener, starving listeners,
# time to first byte, join burst).
#
#   bash bench/fanout/run.sh                       # N = 100 1000 2000 5000 10000, Ogg
#   bash bench/fanout/run.sh --ns "1000 2000" --format webm
#   NO_ICECAST=1 bash bench/fanout/run.sh          # onair only
#   NODE_FLAGS= bash bench/fanout/run.sh           # without the V8 flag npm start uses
# Extra options go to run-sweep.sh. Output: ${TMPDIR:-/tmp}/fanout/<timestamp>/summary.md
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
harness=${FANOUT_HARNESS:-$root/../shared/bench/fanout/run-sweep.sh}
[ -x "$harness" ] || [ -f "$harness" ] || {
  echo "fanout: harness not found at $harness (set FANOUT_HARNESS)" >&2
  exit 1
}
command -v icecast2 >/dev/null || { [ -n "${NO_ICECAST:-}" ] || {
  echo "fanout: installing icecast2 (the reference)"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends icecast2 >/dev/null
}; }
command -v gcc >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gcc >/dev/null
bash scripts/install-deps.sh --test >/dev/null
node scripts/build.mjs

key=fanout-bench-key-0123
port=18200
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
# Logs at warn: a benchmark measures the relay, not the logger.
# The V8 flag npm start and bin/onair.js use (see bin/onair.js); NODE_FLAGS overrides it.
node_flags=${NODE_FLAGS---max-semi-space-size=1 --optimize-for-size}
cmd="env ONAIR_STREAM_KEY=$key ONAIR_LOG_LEVEL=warn node $node_flags $root/build/node/src/server/main.js --port $port --https-port off --host 127.0.0.1 --data $data"
targets=()
[ -n "${NO_ICECAST:-}" ] || targets+=(--target icecast)
targets+=(--target "onair|$cmd|http://source:$key@127.0.0.1:$port/live|http://127.0.0.1:$port/live")
[ -z "${WITH_NAIVE:-}" ] || targets+=(--target naive)

has_ns=0
for a in "$@"; do [ "$a" = "--ns" ] && has_ns=1; done
ns=()
[ "$has_ns" -eq 1 ] || ns=(--ns "100 1000 2000 5000 10000")
exec bash "$harness" "${ns[@]}" "${targets[@]}" "$@"
