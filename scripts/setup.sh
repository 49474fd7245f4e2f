#!/usr/bin/env bash
# Installs the Debian packages agor builds and tests with, only those missing, then the npm
# packages the page's bundle is built from (web/package-lock.json) when web/node_modules is
# missing or older than the lock.
# Usage: scripts/setup.sh [--test]   (--test adds the test-only tools: curl for the suites,
# python3-socketio with its client transports for tests/compat_python, clang with its
# libFuzzer and sanitizer runtimes for the fuzz targets, the PostgreSQL server and redis-server
# that the tests of the PostgreSQL store and of the Redis client start themselves:
# tests/support/postgres_server.h, tests/support/redis_server.h)
# Exit codes: 0 ok, 1 an install failed.
set -euo pipefail

pkgs=(g++ cmake make pkg-config nodejs npm
      libcpp-httplib-dev libwebsocketpp-dev libasio-dev libcli11-dev
      libsqlitecpp-dev libsqlite3-dev nlohmann-json3-dev catch2 libssl-dev libsodium-dev
      libpq-dev libhiredis-dev)
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=(curl clang libclang-rt-dev
        python3 python3-socketio python3-websocket python3-requests
        chromium fonts-noto-color-emoji
        postgresql redis-server)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # npm may come from outside Debian on a developer's machine: a working binary is enough.
    if [[ "$p" == npm && -x "$(command -v npm || true)" ]]; then continue; fi
    if [[ "$p" == nodejs && -x "$(command -v node || true)" ]]; then continue; fi
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq || exit 1
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" || exit 1
fi

# The build bundles the page with these (web/build.mjs refuses a missing or stale install
# rather than running npm itself); the same freshness rule as tests/compat/run.sh.
web="$(cd "$(dirname "${BASH_SOURCE[0]}")/../web" && pwd)"
if [[ ! -d "$web/node_modules" || "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]]; then
  echo "setup: npm ci in web/" >&2
  (cd "$web" && npm ci --no-audit --no-fund) || exit 1
fi
