#!/usr/bin/env bash
# The whole suite with one core kept busy by another process, as on CI's shared 2-core machines: a test
# that waits on time instead of on a condition fails here. Log: .propfirm/busy.log; the exit status is
# the suite's.
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
mkdir -p .propfirm
"$PY" -c 'while True: pass' &   # a busy loop at the suite's own priority
burner=$!
trap 'kill $burner 2>/dev/null' EXIT
began=$(date +%s)
"$PY" -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-} >.propfirm/busy.log 2>&1
rc=$?
echo "one core busy: $(tail -n 1 .propfirm/busy.log) [exit $rc, $(( $(date +%s) - began )) s] log: .propfirm/busy.log"
exit $rc
