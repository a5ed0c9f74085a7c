#!/usr/bin/env bash
# The whole test suite in one command: deps → build → typecheck → lint → unit → integration → e2e.
# Stops at the first failing step with a non-zero exit. The last line is always `N passed, N failed`
# once the test steps have started (summed over unit, integration and e2e).
#
# The test steps run what `npm run test:<suite>` means — node --test over
# build/node/test/<suite>/**/*.test.js — but list the files themselves: Node 20's `node --test` does not
# expand globs (a quoted '**' pattern is taken as a literal path: "Could not find ..."), and a suite
# with no test files yet counts as 0 passed instead of failing.
#
# TEST_TIMEOUT_MS (default 300000) bounds every test file: on Node 20 `--test-timeout` also applies to
# each file's subprocess, so a hung test or a leaked handle (server not closed) fails that file
# ("test timed out", counted as failed) instead of hanging CI forever.
set -euo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
tap_dir=$(mktemp -d)
trap 'rm -rf "$tap_dir"' EXIT

header() { printf '\n==== %s ====\n' "$*"; }

# step NAME CMD...: run a non-test step; stop the script if it fails.
step() {
  local name=$1
  shift
  header "$name: $*"
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -ne 0 ]; then
    printf '\ntest.sh: step "%s" failed (exit %d)\n' "$name" "$rc" >&2
    exit "$rc"
  fi
}

# tap_count FILE KEY: the number on the top-level `# KEY N` summary line of a TAP file (0 if none).
tap_count() {
  local n
  n=$(grep -E "^# $2 [0-9]+\$" "$1" 2>/dev/null | tail -n 1 | awk '{print $3}') || true
  echo "${n:-0}"
}

# suite NAME: run build/node/test/NAME/**/*.test.js with node --test; add its counts; stop on failure.
suite() {
  local name=$1 dir=build/node/test/$1
  header "test:$name"
  local files=()
  if [ -d "$dir" ]; then mapfile -t files < <(find "$dir" -type f -name '*.test.js' | sort); fi
  if [ "${#files[@]}" -eq 0 ]; then
    echo "no test files in $dir: 0 passed, 0 failed"
    return 0
  fi
  local tap=$tap_dir/$name.tap rc=0
  # spec for people (stdout), TAP to a file for counting.
  node --test --test-concurrency=1 --test-timeout="${TEST_TIMEOUT_MS:-300000}" \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    "${files[@]}" || rc=$?
  local p f c
  p=$(tap_count "$tap" pass)
  f=$(tap_count "$tap" fail)
  c=$(tap_count "$tap" cancelled)
  f=$((f + c))
  # A runner that died before writing its summary still failed.
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  echo "test:$name: $p passed, $f failed"
  if [ "$rc" -ne 0 ]; then
    printf '\ntest.sh: test:%s failed (exit %d)\n' "$name" "$rc" >&2
    echo "$passed passed, $failed failed"
    exit "$rc"
  fi
}

step install-deps bash scripts/install-deps.sh --test
step build node scripts/build.mjs
step typecheck npm run --silent typecheck
step lint npx biome check .
suite unit
suite integration
suite e2e

header summary
echo "$passed passed, $failed failed"
