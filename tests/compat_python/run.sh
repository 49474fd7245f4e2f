#!/usr/bin/env bash
# Compatibility suite: Debian's python3-socketio (Socket.IO v5, with python3-engineio,
# python3-websocket and python3-requests) against the real agor binary ($AGOR_BINARY).
# Run by CTest as the `compat_python` test; extra arguments go to `python3 -m unittest`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ -z "${AGOR_BINARY:-}" ]]; then
  echo "run.sh: AGOR_BINARY must name the agor executable" >&2
  exit 2
fi
# Debian's interpreter, whose dist-packages hold the Debian modules (a pyenv or venv python
# earlier on PATH would not see them).
PYTHON=${COMPAT_PYTHON:-/usr/bin/python3}
if ! "$PYTHON" -c 'import socketio, engineio, websocket, requests' 2>/dev/null; then
  echo "run.sh: $PYTHON lacks python3-socketio, python3-websocket or python3-requests" \
       "(scripts/setup.sh --test installs them)" >&2
  exit 2
fi

# No __pycache__ in the source tree. python-engineio 4.3 never closes its polling client's
# requests.Session: its unclosed-socket ResourceWarnings are noise, not this suite's leaks.
export PYTHONDONTWRITEBYTECODE=1
exec "$PYTHON" -W ignore::ResourceWarning -m unittest discover --start-directory . \
  --pattern 'test_*.py' "$@"
