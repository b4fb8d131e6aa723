#!/usr/bin/env bash
# Debian packages habeas needs beyond pip: Pango and HarfBuzz for WeasyPrint's PDF
# invoices (always), and with --browser Debian's Chromium for the browser tests, driven
# through Playwright's Python package (Playwright's own browser download is never used).
set -euo pipefail
need=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libpango-1.0.so.0' || need+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0.so.0' || need+=(libpangoft2-1.0-0)
have_lib 'libharfbuzz-subset.so.0' || need+=(libharfbuzz-subset0)
if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  need+=(chromium fonts-dejavu-core)
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${need[*]}..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  exit 0
fi
echo "error: missing Debian packages: ${need[*]}; as root: apt-get install ${need[*]}" >&2
exit 1
