#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the Slack app's tests and print the URL to export.
#
#   eval "$(.ci/postgres.sh)"          # starts it (installing PostgreSQL with apt-get if missing)
#   pytest tests/bot                   # now also runs every DB test against PostgreSQL
#   .ci/postgres.sh stop               # stops it and removes the cluster
#
# stdout carries only `export GPUCOST_TEST_DATABASE_URL=...`; progress goes to stderr. Works as root
# (the server runs as the `postgres` user, as PostgreSQL refuses to run as root) or as a normal user.
# Settings: PGTEST_DIR (default /tmp/gpucost-pg), PGTEST_PORT (default 55432).
set -euo pipefail

DIR="${PGTEST_DIR:-/tmp/gpucost-pg}"
PORT="${PGTEST_PORT:-55432}"
DB=gpucost_test
ROLE=gpucost
log() { echo "postgres.sh: $*" >&2; }

find_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir; return
  fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  return 1
}

BINDIR="$(find_bindir || true)"
if [ -z "$BINDIR" ]; then
  log "PostgreSQL not found; installing it with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  BINDIR="$(find_bindir)"
fi

# As root, run the server as `postgres` (created by the Debian package; created here if missing).
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/sh postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

if [ "${1:-start}" = stop ]; then
  if [ -f "$DIR/PG_VERSION" ]; then
    as_pg "$BINDIR/pg_ctl" -D "$DIR" -m fast stop >&2 || true
    rm -rf "$DIR"
  fi
  log "stopped"
  exit 0
fi

if [ ! -f "$DIR/PG_VERSION" ]; then
  log "initialising a cluster in $DIR ($BINDIR)"
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  chmod 700 "$DIR"
  as_pg "$BINDIR/initdb" -D "$DIR" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
fi

if ! as_pg "$BINDIR/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  log "starting on 127.0.0.1:$PORT"
  as_pg "$BINDIR/pg_ctl" -D "$DIR" -w -t 60 -l "$DIR/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2
fi

psql_pg() { as_pg "$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname='$ROLE'")" != 1 ]; then
  psql_pg -c "CREATE ROLE $ROLE LOGIN" >&2
fi
if [ "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname='$DB'")" != 1 ]; then
  psql_pg -c "CREATE DATABASE $DB OWNER $ROLE" >&2
fi
log "ready"
echo "export GPUCOST_TEST_DATABASE_URL=postgresql://$ROLE@127.0.0.1:$PORT/$DB"
