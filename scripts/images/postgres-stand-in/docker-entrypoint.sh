#!/bin/sh
# The PostgreSQL stand-in's entrypoint: what the official image's does for a pod that runs it as
# its own user (never root here), with `postgres` as the command. An empty PGDATA is initialised
# once: initdb with the superuser POSTGRES_USER and the password of POSTGRES_PASSWORD_FILE (or
# POSTGRES_PASSWORD), every host allowed with scram-sha-256 (the NetworkPolicies decide who
# reaches it), listening on every address, and the database POSTGRES_DB, made by a server that
# listens on its socket alone meanwhile. A PGDATA that holds a cluster is left as it is.
set -eu

if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  user="${POSTGRES_USER:-postgres}"
  database="${POSTGRES_DB:-$user}"
  password_file="${POSTGRES_PASSWORD_FILE:-}"
  if [ -z "$password_file" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
      echo 'docker-entrypoint.sh: PGDATA is empty and neither POSTGRES_PASSWORD_FILE nor POSTGRES_PASSWORD is set' >&2
      exit 1
    fi
    password_file="$(mktemp)"
    printf '%s' "$POSTGRES_PASSWORD" > "$password_file"
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  initdb --username="$user" --pwfile="$password_file" --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >&2
  [ "$password_file" = "${POSTGRES_PASSWORD_FILE:-}" ] || rm -f "$password_file"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  echo 'host all all all scram-sha-256' >> "$PGDATA/pg_hba.conf"
  if [ "$database" != postgres ]; then
    pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait start >&2
    psql --no-psqlrc --set=ON_ERROR_STOP=1 --username="$user" --dbname=postgres --command="CREATE DATABASE \"$database\"" >&2
    pg_ctl --pgdata="$PGDATA" --mode=fast --wait stop >&2
  fi
  echo 'docker-entrypoint.sh: PostgreSQL initialised; starting it' >&2
fi

exec "$@"
