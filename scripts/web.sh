#!/usr/bin/env bash
# Build the dashboards (web/ -> web/dist): the typed API client generated from the API's own OpenAPI
# document first, so a changed route fails the build (tsc), not a page. Needs Node.js 20+ and npm (the CDK
# app needs them too); packages come from the npm registry as package-lock.json pins them, nothing else is
# downloaded. Idempotent and quick when nothing changed (npm ci only when the lock file is newer).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
command -v npm >/dev/null || { echo "make web: npm is missing (Node.js 20+ is needed for the web app and the CDK app)" >&2; exit 2; }
"$PY" -m propfirm.cli api --openapi > web/openapi.json
cd web
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build >/dev/null
echo "make web: built web/dist ($(du -sh dist | cut -f1))"
