#!/usr/bin/env bash
# Starts (idempotently) a PostgreSQL cluster of its own for the tests, on loopback, and prints its URL on stdout:
#   DISPATCH_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/postgres
# The cluster lives in DISPATCH_TEST_POSTGRES_DIR (default /tmp/dispatch-test-postgres) and listens on
# DISPATCH_TEST_POSTGRES_PORT (default 55432), so it never touches a system cluster. Trust authentication on
# loopback only: it is a throw-away test database. Installs Debian's postgresql when absent and INSTALL=1.
set -euo pipefail
dir="${DISPATCH_TEST_POSTGRES_DIR:-/tmp/dispatch-test-postgres}"
port="${DISPATCH_TEST_POSTGRES_PORT:-55432}"
url="postgres://postgres@127.0.0.1:${port}/postgres"

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$bin" ] && [ "${INSTALL:-0}" = 1 ]; then
  apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi
if [ -z "$bin" ]; then
  echo "PostgreSQL is not installed (Debian: apt-get install postgresql)" >&2
  exit 3
fi

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  echo "DISPATCH_TEST_POSTGRES_URL=$url"
  exit 0
fi

if [ ! -f "$dir/PG_VERSION" ]; then
  mkdir -p "$dir"
  chown postgres:postgres "$dir"
  as_postgres "$bin/initdb" -D "$dir" -U postgres --auth=trust --no-sync -E UTF8 >&2
fi
# A stale pid file left by a killed cluster would stop pg_ctl from starting it.
if [ -f "$dir/postmaster.pid" ] && ! as_postgres "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  rm -f "$dir/postmaster.pid"
fi
as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
  -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2
echo "DISPATCH_TEST_POSTGRES_URL=$url"
