#!/usr/bin/env bash
# The whole suite under other clocks: the machine's date faked with libfaketime (LD_PRELOAD), so that a
# test that reads today's date, a weekday, a daylight-saving change or a month's end is caught.
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

# libfaketime as the PyPI package `libfaketime` builds it (a dev dependency): Debian's 0.9.10 fails Python's
# time.sleep (EINVAL from clock_nanosleep) when the monotonic clock is left real.
LIBFAKETIME=$("$PY" -c 'import libfaketime, pathlib; print(next(pathlib.Path(libfaketime.__file__).parent.rglob("libfaketime.so.1")))') \
  || { echo "test-clocks: the libfaketime package is missing (make venv installs it)" >&2; exit 2; }

mkdir -p .propfirm/clocks
status=0
for name in "${ORDER[@]}"; do
  start=${CLOCKS[$name]:-}
  [ -n "$start" ] || { echo "test-clocks: unknown clock '$name' (known: ${!CLOCKS[*]})" >&2; exit 2; }
  log=.propfirm/clocks/$name.log
  began=$(date +%s)
  # An offset from now, not a start instant: every process the suite starts (propfirm dev, sim, the
  # poller) then shares one faked clock, as they would share the machine's. The monotonic clock stays
  # real: timeouts and rates measure real time; only the date moves.
  offset=$(( $(date -u -d "$start" +%s) - began ))
  [ "$offset" -ge 0 ] && offset="+$offset"
  # FAKETIME_FORCE_MONOTONIC_FIX=0: libfaketime's wrapper of pthread_cond_timedwait (on by default) slows
  # every hand-over of Python's GIL tenfold, and the local stack's threads with it; the monotonic clock is
  # real here, so the fix has nothing to fix
  TZ=UTC LD_PRELOAD="$LIBFAKETIME" FAKETIME="${offset}s" FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0 \
    "$PY" -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-} >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - began ))
  echo "clock $name (from $start UTC): $(tail -n 1 "$log") [exit $rc, ${took} s] log: $log"
  [ "$rc" = 0 ] || status=1
done
exit $status
