#!/usr/bin/env bash
# Crash loop (not part of CI): kill -9 the daemon at random moments while several clients
# write, restart it, and check after each restart that every acknowledged write (a 201 with its
# id) is stored and that the event log has no gap (seq consecutive, one event per stored board).
#
# Usage: scripts/crash_loop.sh [iterations=50] [writers=4] [agor binary=build/agor]
# Needs curl. Exit codes: 0 every check passed, 1 a check failed (its details on stderr),
# 2 the daemon did not start.
set -euo pipefail

iterations=${1:-50}
writers=${2:-4}
agor=${3:-build/agor}
work=$(mktemp -d /tmp/agor-crash-loop.XXXXXX)
db=$work/agor.db
acked=$work/acked   # ids of the boards whose create answered 201
daemon=""
trap '[[ -n $daemon ]] && kill -9 "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null; rm -rf "$work"' EXIT

# Starts the daemon on a free port; sets $daemon and $url.
start() {
  "$agor" serve --port 0 --db "$db" >"$work/out" 2>>"$work/err" &
  daemon=$!
  for _ in $(seq 300); do
    url=$(grep -o 'http://[0-9.:]*' "$work/out" 2>/dev/null || true)
    [[ -n $url ]] && return 0
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.05
  done
  echo "crash_loop: the daemon did not start; its stderr:" >&2
  tail -20 "$work/err" >&2
  exit 2
}

# One writer: creates boards until the daemon dies, recording each acknowledged id.
writer() {
  local n=0 answer
  while answer=$(curl -s --max-time 5 -w '\n%{http_code}' -X POST "$url/boards" \
                   -H 'content-type: application/json' -d "{\"name\":\"w$1-$n\"}"); do
    [[ ${answer##*$'\n'} == 201 ]] || continue
    grep -o '"board_id":"[^"]*"' <<<"$answer" | head -1 | cut -d'"' -f4 >>"$acked.$1"
    n=$((n + 1))
  done
}

# All values of `field` in a service's records, page by page (sorted by `sort`).
collect() {
  local service=$1 field=$2 sort=$3 skip=0 page
  while :; do
    page=$(curl -sf "$url/$service?\$limit=1000&\$skip=$skip&\$sort%5B$sort%5D=1")
    local values
    values=$(grep -o "\"$field\":[^,}]*" <<<"$page" | cut -d: -f2 | tr -d '"' || true)
    [[ -z $values ]] && break
    echo "$values"
    skip=$((skip + 1000))
  done
}

# Checks the database against what was acknowledged; prints a summary line.
check() {
  cat "$acked".* 2>/dev/null | sort -u >"$acked"
  collect boards board_id board_id | sort -u >"$work/stored"
  collect events seq seq >"$work/seqs"
  local lost events first last
  lost=$(comm -23 "$acked" "$work/stored" | wc -l)
  events=$(wc -l <"$work/seqs")
  first=$(head -1 "$work/seqs"); last=$(tail -1 "$work/seqs")
  if ((lost > 0)); then
    echo "crash_loop: $lost acknowledged boards missing, e.g.:" >&2
    comm -23 "$acked" "$work/stored" | head -5 >&2
    return 1
  fi
  if ((events > 0 && last - first + 1 != events)); then
    echo "crash_loop: event log has a gap: $events events from seq $first to $last" >&2
    return 1
  fi
  if ((events != $(wc -l <"$work/stored"))); then
    echo "crash_loop: $events events but $(wc -l <"$work/stored") boards" >&2
    return 1
  fi
  echo "acknowledged $(wc -l <"$acked"), stored $(wc -l <"$work/stored"), seq ${first:-0}..${last:-0}"
}

start
for i in $(seq "$iterations"); do
  pids=()
  for w in $(seq "$writers"); do writer "$w" & pids+=($!); done
  sleep "$((RANDOM % 3)).$((RANDOM % 9 + 1))"  # a random moment, 0.1 to 2.9 s in
  kill -9 "$daemon"
  wait "$daemon" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  start
  summary=$(check) || exit 1
  echo "iteration $i: $summary"
done
echo "crash_loop: $iterations kills, no acknowledged write lost, no gap in the event log"
