#!/usr/bin/env bash
# Compatibility suite: stock @feathersjs/* + socket.io-client (pinned in package-lock.json)
# against the real agor binary ($AGOR_BINARY). Run by CTest as the `compat` test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ -z "${AGOR_BINARY:-}" ]]; then
  echo "run.sh: AGOR_BINARY must name the agor executable" >&2
  exit 2
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "run.sh: node and npm are required (Node >= 20)" >&2
  exit 2
fi

# Install the pinned packages when node_modules is missing or older than the lock file.
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

exec node --test --test-concurrency=1 "$@" *.test.mjs
