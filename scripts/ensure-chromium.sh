#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (/usr/bin/chromium) through Playwright's
# Python package; Playwright's own browser download is never used.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  exit 0
fi
echo "error: /usr/bin/chromium is missing; as root: apt-get install chromium" >&2
exit 1
