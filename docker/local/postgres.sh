#!/usr/bin/env bash
# PostgreSQL 15 from Debian's package, started the way the postgres:15 image is: on first start the data directory
# is initialised with POSTGRES_USER (superuser, password POSTGRES_PASSWORD) and the database POSTGRES_DB.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
PGDATA=/var/lib/postgresql/data
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [[ ! -s $PGDATA/PG_VERSION ]]; then
  pwfile=$(mktemp)
  printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  runuser -u postgres -- "$BIN/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
fi
# the database, until it exists (a start that failed after initdb tries again)
if [[ ! -f $PGDATA/gridwire-database-created ]]; then
  out=$(echo "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\"" |
    runuser -u postgres -- "$BIN/postgres" --single -D "$PGDATA" -j postgres 2>&1 >/dev/null || true)
  if grep -q ERROR <<<"$out" && ! grep -q "already exists" <<<"$out"; then
    echo "[postgres] cannot create database $POSTGRES_DB: $out" >&2
    exit 1
  fi
  touch "$PGDATA/gridwire-database-created"
  echo "[postgres] initialised $PGDATA (database $POSTGRES_DB, user $POSTGRES_USER)"
fi
exec runuser -u postgres -- "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*'
