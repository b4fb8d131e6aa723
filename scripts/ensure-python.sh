#!/usr/bin/env bash
# Make sure PYTHON (>= 3.11) can create virtual environments; on Debian, as root,
# install python3-venv when it is missing.
set -euo pipefail
python=${1:-python3}
if ! command -v "$python" >/dev/null; then
  echo "error: $python not found; habeas needs Python 3.11 or newer" >&2; exit 1
fi
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "error: $python is $("$python" --version 2>&1); habeas needs 3.11 or newer" >&2; exit 1; }
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
  else
    echo "error: $python cannot create virtual environments; install python3-venv" >&2; exit 1
  fi
fi
