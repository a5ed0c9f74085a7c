#!/usr/bin/env bash
# Fan-out benchmark: onair next to Icecast 2.4 (and the naive Node relay) in one run, using the shared
# harness ../shared/bench/fanout/run-sweep.sh: N listeners on a 64 kbps Opus stream fed by ffmpeg with
# PUT, server pinned to CPU 0, load generator on CPU 1, everything on 127.0.0.1.
# Prints the harness's summary (CPU % per 1000 listeners, RSS per listener, starving listeners,
# time to first byte, join burst).
#
# The server is started as a service file starts it: `node build/node/src/server/main.js`, no V8 flags
# on the command line (the process sets its own; NODE_FLAGS adds some, to compare).
#
#   bash bench/fanout/run.sh                       # N = 100 1000 2000 5000 10000, Ogg (radio players)
#   bash bench/fanout/run.sh --ns "1000 2000" --format webm
#   bash bench/fanout/run.sh --browser             # what phones get, see below
#   NO_ICECAST=1 bash bench/fanout/run.sh          # onair only
#
# --browser: the browser-listener mode: what a listener page holds while it plays. The feed is WebM
# (like a browser host); onair is measured twice, next to Icecast's listeners of the same feed:
#   onair-pkt     `/live.pkt?status=1`, the low-latency rung: the stream carries the status, so the
#                 page closes its status socket while it plays: one socket per listener;
#   onair-webm+ws `/live.webm`, the MSE rung, each listener holding its status WebSocket too
#                 (with-status-sockets.sh keeps one open per listener the server reports).
# WITH_PKT_WS=1 adds `onair-pkt+ws` (`/live.pkt` plus a status socket: the page before the status
# moved into the stream). N defaults to 2000 5000 9900: with two sockets per listener the container's
# 20,000 file descriptors end just below 10,000. The status sockets' own figures (opened, refused,
# messages per socket per second) are in status-sockets-*.jsonl beside the summary.
# --mp3: an MP3 mount (128 kbps CBR from ffmpeg over icecast://, passed through) next to Icecast
# relaying the same MP3 feed at its defaults (64 KiB burst); plain listeners (no Icy-MetaData). The
# harness's own feeder is Opus only, so with-mp3-feeder.sh starts the MP3 feeder beside each server
# and the harness's feeder is pointed at a closed port (it fails at once and is not used).
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
# Logs at warn: a benchmark measures the relay, not the logger. Every listener comes from 127.0.0.1, so
# the per-address status-socket cap (500 by default) is lifted.
cmd="env ONAIR_STREAM_KEY=$key ONAIR_LOG_LEVEL=warn node ${NODE_FLAGS:-} $root/build/node/src/server/main.js --port $port --https-port off --host 127.0.0.1 --data $data --max-status-sockets 20000 --max-status-sockets-per-ip 20000"
source_url=http://source:$key@127.0.0.1:$port/live

browser=0
mp3=0
has_ns=0
out=${TMPDIR:-/tmp}/fanout/$(date +%Y%m%d-%H%M%S)
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --browser) browser=1 ;;
    --mp3) mp3=1 ;;
    --out) out=$2; shift ;;
    --ns) has_ns=1; args+=("$1") ;;
    *) args+=("$1") ;;
  esac
  shift
done
mkdir -p "$out"
args+=(--out "$out")

targets=()
if [ "$mp3" -eq 1 ]; then
  # Icecast as the harness starts it (its template, 64 KiB burst; as nobody when run as root), fed MP3.
  ice=$(mktemp -d /tmp/fanout-ice-mp3.XXXXXX)
  chmod 777 "$ice"
  trap 'rm -rf "$data" "$ice"' EXIT
  sed -e "s#@PORT@#18000#; s#@PASS@#$key#g; s#@LOGDIR@#$ice#g; s#@BURST_ON_CONNECT@#1#; s#@BURST_SIZE@#65535#" \
    "$(dirname "$harness")/icecast.xml.tmpl" >"$ice/icecast.xml"
  chmod 644 "$ice/icecast.xml"
  asuser=""
  [ "$(id -u)" != 0 ] || asuser="setpriv --reuid=nobody --regid=nogroup --clear-groups"
  feed="bash $root/bench/fanout/with-mp3-feeder.sh"
  unused=http://127.0.0.1:9/unused
  [ -n "${NO_ICECAST:-}" ] || targets+=(--target "icecast-mp3|$feed icecast://source:$key@127.0.0.1:18000/live.mp3 $asuser /usr/bin/icecast2 -c $ice/icecast.xml|$unused|http://127.0.0.1:18000/live.mp3")
  targets+=(--target "onair-mp3|$feed icecast://source:$key@127.0.0.1:$port/live $cmd|$unused|http://127.0.0.1:$port/live")
  [ "$has_ns" -eq 1 ] || args=(--ns "1000 2000 5000 10000" "${args[@]}")
  args=(--bitrate 128000 "${args[@]}")
  # Not exec: the trap removes Icecast's folder afterwards.
  bash "$harness" "${targets[@]}" "${args[@]}"
  exit
fi
[ -n "${NO_ICECAST:-}" ] || targets+=(--target icecast)
if [ "$browser" -eq 1 ]; then
  ws=ws://127.0.0.1:$port/ws?mount=live
  # Bare packets (8-byte frame headers, no container) run at 105 % of the Opus bitrate: 0.95 is fair.
  targets+=(--target "onair-pkt|$cmd|$source_url|http://127.0.0.1:$port/live.pkt?status=1|0.95")
  exts=(webm)
  [ -z "${WITH_PKT_WS:-}" ] || exts=(pkt webm)
  for ext in "${exts[@]}"; do
    with="bash $root/bench/fanout/with-status-sockets.sh '$ws' $out/status-sockets-$ext.jsonl"
    targets+=(--target "onair-$ext+ws|$with $cmd|$source_url|http://127.0.0.1:$port/live.$ext|0.95")
  done
  [ "$has_ns" -eq 1 ] || args=(--ns "2000 5000 9900" "${args[@]}")
  args=(--format webm "${args[@]}")
else
  targets+=(--target "onair|$cmd|$source_url|http://127.0.0.1:$port/live")
  [ "$has_ns" -eq 1 ] || args=(--ns "100 1000 2000 5000 10000" "${args[@]}")
fi
[ -z "${WITH_NAIVE:-}" ] || targets+=(--target naive)
exec bash "$harness" "${targets[@]}" "${args[@]}"
