#!/usr/bin/env bash
# The browser the dashboard tests drive: Debian's chromium (Playwright is given its path; it never downloads
# one). Installed with apt-get when missing and this runs as root (CI's machines); otherwise says how.
set -euo pipefail
BROWSER=${PROPFIRM_CHROMIUM:-/usr/bin/chromium}
if [ -x "$BROWSER" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "make test: installing Debian's chromium for the browser tests" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "make test: no browser at $BROWSER for the dashboard tests: install Debian's chromium (apt-get install chromium)" \
     "or point PROPFIRM_CHROMIUM at one" >&2
exit 2
