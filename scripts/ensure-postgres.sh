#!/usr/bin/env bash
# Print a SQLAlchemy URL of a reachable PostgreSQL for the tests, starting the
# local cluster if it is installed but stopped. Messages go to stderr; stdout is
# the URL, or empty (with a loud warning) when no PostgreSQL exists at all.
set -uo pipefail
say() { echo "$@" >&2; }

tcp_url="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
socket_url="postgresql+psycopg:///postgres?host=/var/run/postgresql"

if [ -n "${HABEAS_TEST_PG_URL:-}" ]; then echo "$HABEAS_TEST_PG_URL"; exit 0; fi

if ! command -v pg_ctlcluster >/dev/null && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  say "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  say "NO POSTGRESQL INSTALLED: the PostgreSQL half of the database tests will be SKIPPED"
  say "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  exit 0
fi

# Start every installed cluster that is down (Debian: pg_ctlcluster VERSION main start).
if command -v pg_lsclusters >/dev/null; then
  pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _port status _rest; do
    if [ "$status" != "online" ]; then
      say "starting PostgreSQL $version/$cluster"
      pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start >&2 \
        || pg_ctlcluster "$version" "$cluster" start >&2 || true
    fi
  done
fi

ready() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }
for _ in $(seq 1 30); do
  if ready "postgresql://postgres@127.0.0.1:5432/postgres"; then echo "$tcp_url"; exit 0; fi
  if ready "postgresql:///postgres?host=/var/run/postgresql"; then echo "$socket_url"; exit 0; fi
  # Stock Debian: password auth over TCP, peer auth on the socket. Give the current
  # user a superuser role through the postgres account, then use the socket.
  if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
    runuser -u postgres -- createuser -s "$(id -un)" >/dev/null 2>&1 || true
  fi
  sleep 1
done
say "error: PostgreSQL is installed but not reachable on 127.0.0.1:5432 or its socket"
exit 1
