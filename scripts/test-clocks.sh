#!/usr/bin/env bash
# The whole suite under other clocks: the machine's date faked with libfaketime (Debian's `faketime`),
# so that a test that reads today's date, a weekday, a daylight-saving change or a month's end is caught.
#
#   scripts/test-clocks.sh                 every named clock below, one suite run each
#   scripts/test-clocks.sh sunday dst      some of them
#   PYTEST_ARGS="tests/unit" scripts/...   a part of the suite
#
# Each clock starts at the instant named and runs on from there (PostgreSQL and Redis keep the real date:
# the suite must not care). The DST and month-end runs start two minutes before the change, so the
# change happens while the tests run. Logs: .propfirm/clocks/<name>.log; exit 1 when any run fails.
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

declare -A CLOCKS=(
  [saturday]="2026-12-05 12:00:00"      # a Saturday: the market is closed, the scripted traders idle
  [sunday]="2026-12-06 21:30:00"        # a Sunday evening, as the week's first trading session nears
  [dst]="2027-03-28 00:58:00"           # Europe's spring change (01:00 UTC), mid-run: Prague days are 23 h
  [month-end]="2026-12-31 23:58:00"     # the last minutes of a month and a year, mid-run
)
ORDER=(saturday sunday dst month-end)
[ "$#" -gt 0 ] && ORDER=("$@")

if ! command -v faketime >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-clocks: installing Debian's faketime" >&2
    apt-get install -y -qq faketime >/dev/null || { apt-get update -qq && apt-get install -y -qq faketime >/dev/null; }
  fi
  command -v faketime >/dev/null 2>&1 || { echo "test-clocks: needs faketime (apt-get install faketime)" >&2; exit 2; }
fi

mkdir -p .propfirm/clocks
status=0
for name in "${ORDER[@]}"; do
  start=${CLOCKS[$name]:-}
  [ -n "$start" ] || { echo "test-clocks: unknown clock '$name' (known: ${!CLOCKS[*]})" >&2; exit 2; }
  log=.propfirm/clocks/$name.log
  began=$(date +%s)
  # the monotonic clock stays real: timeouts and rates measure real time; only the date is moved
  TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1 faketime "$start" \
    "$PY" -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-} >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - began ))
  echo "clock $name (from $start UTC): $(tail -n 1 "$log") [exit $rc, ${took} s] log: $log"
  [ "$rc" = 0 ] || status=1
done
exit $status
