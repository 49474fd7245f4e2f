#!/usr/bin/env bash
# Installs the Debian packages agor builds and tests with, only those missing.
# Usage: scripts/setup.sh [--test]   (--test adds the test-only tools: node/npm and curl for
# the suites, python3-socketio with its client transports for tests/compat_python, clang with
# its libFuzzer and sanitizer runtimes for the fuzz targets)
# Exit codes: 0 ok, 1 an install failed.
set -euo pipefail

pkgs=(g++ cmake make pkg-config
      libcpp-httplib-dev libwebsocketpp-dev libasio-dev libcli11-dev
      libsqlitecpp-dev libsqlite3-dev nlohmann-json3-dev catch2 libssl-dev libsodium-dev)
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=(nodejs npm curl clang libclang-rt-dev
        python3 python3-socketio python3-websocket python3-requests
        chromium fonts-noto-color-emoji)
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
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
