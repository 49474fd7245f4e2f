#!/usr/bin/env bash
# Browser suite: the board page served by the real agor binary ($AGOR_BINARY) in Debian's
# headless Chromium, driven by puppeteer-core (pinned in package-lock.json; it downloads no
# browser). Run by CTest as the `browser` test. Screenshots go to $AGOR_SCREENSHOT_DIR (default:
# a new temporary folder, printed).
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
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" ]]; then
  echo "run.sh: Chromium not found at $CHROMIUM: install Debian's chromium (scripts/setup.sh --test) or set CHROMIUM" >&2
  exit 2
fi

# Install the pinned packages when node_modules is missing or older than the lock file.
# puppeteer-core never downloads a browser; the variables keep it so should that change.
export PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROME_DOWNLOAD=1
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

if [[ -z "${AGOR_SCREENSHOT_DIR:-}" ]]; then
  AGOR_SCREENSHOT_DIR="$(mktemp -d "${TMPDIR:-/tmp}/agor-screens-XXXXXX")"
  export AGOR_SCREENSHOT_DIR
fi
mkdir -p "$AGOR_SCREENSHOT_DIR"
echo "run.sh: screenshots in $AGOR_SCREENSHOT_DIR"

exec node --test --test-concurrency=1 "$@" *.test.mjs
