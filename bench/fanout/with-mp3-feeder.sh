#!/usr/bin/env bash
# MP3 mode of the fan-out bench: the shared harness's feeder only speaks Opus, so this wrapper starts
# an MP3 feeder of its own (ffmpeg, 440 Hz, libmp3lame CBR, `icecast://` as stations send it) on the
# load generator's CPU, then execs the server (so the PID the harness measures is the server's own).
# The feeder retries until the server takes it, and stops when the server is gone.
#   with-mp3-feeder.sh SOURCE_URL SERVER_CMD...
set -euo pipefail
url=$1
shift
server=$$
(
  for _ in $(seq 1 600); do
    kill -0 "$server" 2>/dev/null || exit 0
    taskset -c "${CLIENT_CPU:-1}" ffmpeg -hide_banner -loglevel error -nostdin -re -f lavfi \
      -i sine=frequency=440:sample_rate=44100 -ac 2 -t 900 -c:a libmp3lame -b:a "${MP3_BITRATE:-128k}" \
      -content_type audio/mpeg -f mp3 "$url" </dev/null >/dev/null 2>&1 &
    feeder=$!
    while kill -0 "$feeder" 2>/dev/null; do
      kill -0 "$server" 2>/dev/null || { kill "$feeder" 2>/dev/null; exit 0; }
      sleep 0.5
    done
    sleep 0.3
  done
) </dev/null >/dev/null 2>&1 &
exec "$@"
