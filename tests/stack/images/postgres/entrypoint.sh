#!/usr/bin/env bash
# Entrypoint of the test PostgreSQL image. Reads the database name, owner and
# password from /run/secrets/postgres_{db,user,password} (one value per file,
# written by the fixture before start), creates that database and owner, then
# runs the server in the foreground, listening on all addresses with
# scram-sha-256 logins.
set -euo pipefail

log() { echo "stack-postgres: $*" >&2; }
secret() {
  local f=/run/secrets/postgres_$1
  if [ ! -s "$f" ]; then
    log "missing $f (the fixture provides it)"
    exit 1
  fi
  cat "$f"
}
POSTGRES_DB=$(secret db)
POSTGRES_USER=$(secret user)
POSTGRES_PASSWORD=$(secret password)
ident='^[a-z_][a-z0-9_]*$'
if ! [[ $POSTGRES_DB =~ $ident && $POSTGRES_USER =~ $ident ]]; then
  log "POSTGRES_DB and POSTGRES_USER must be plain lower-case identifiers"
  exit 1
fi
# A SQL string literal: double every single quote.
password_literal="'${POSTGRES_PASSWORD//\'/\'\'}'"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  runuser -u postgres -- initdb --pgdata="$PGDATA" --username=postgres \
    --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  {
    echo "host all all 0.0.0.0/0 scram-sha-256"
    echo "host all all ::/0 scram-sha-256"
  } >>"$PGDATA/pg_hba.conf"
  # Single-user mode: no server, no socket, nothing echoed to the log.
  runuser -u postgres -- postgres --single -D "$PGDATA" -j postgres >/dev/null <<SQL
CREATE ROLE "$POSTGRES_USER" LOGIN PASSWORD $password_literal;

CREATE DATABASE "$POSTGRES_DB" OWNER "$POSTGRES_USER";

SQL
  log "initialised database $POSTGRES_DB owned by $POSTGRES_USER"
fi
unset POSTGRES_PASSWORD password_literal

exec runuser -u postgres -- postgres -D "$PGDATA" \
  -c listen_addresses='*' -c fsync=off -c full_page_writes=off
