#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests: Debian's `postgresql` package (installed with apt-get where it is
# missing), a new cluster in a temporary folder, listening on 127.0.0.1 on a free port.
#
#   bash scripts/postgres.sh install        # apt-get install postgresql unless its binaries are there
#   bash scripts/postgres.sh start          # prints "<data folder> <url>" on its last line
#   bash scripts/postgres.sh stop <folder>  # stops that server and removes its folder
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to the package's `postgres` user.
set -euo pipefail

say() { echo "postgres: $*" >&2; }

binaries() {
  local folder
  if command -v pg_config >/dev/null 2>&1; then
    folder="$(pg_config --bindir)"
    if [ -x "$folder/initdb" ] && [ -x "$folder/pg_ctl" ]; then echo "$folder"; return 0; fi
  fi
  for folder in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$folder/initdb" ] && [ -x "$folder/pg_ctl" ]; then echo "$folder"; return 0; fi
  done
  return 1
}

install() {
  if binaries >/dev/null; then return 0; fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      say "PostgreSQL is not installed and this user cannot install it; run 'apt-get install postgresql' as root."
      exit 1
    fi
  fi
  say "installing Debian's postgresql package (apt-get)"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
  binaries >/dev/null || { say "apt-get installed postgresql but initdb and pg_ctl are not to be found."; exit 1; }
}

# Runs a command as the cluster's owner: ourselves, or `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e "const s = require('node:net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

start() {
  local bin folder port
  bin="$(binaries)" || { say "PostgreSQL is not installed; run 'bash scripts/postgres.sh install'."; exit 1; }
  folder="$(mktemp -d "${TMPDIR:-/tmp}/tokenflow-postgres.XXXXXX")"
  chmod 755 "$folder"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$folder"; fi
  as_owner "$bin/initdb" -D "$folder/data" -U tokenflow -A trust --no-sync -E UTF8 >"$folder/initdb.log" 2>&1 \
    || { cat "$folder/initdb.log" >&2; say "initdb failed (log above)."; exit 1; }
  # Tests need no durability: without fsync a CREATE DATABASE per test costs milliseconds.
  for attempt in 1 2 3; do
    port="$(free_port)"
    if as_owner "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -t 60 \
      -o "-p $port -k $folder -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null; then
      echo "$folder postgres://tokenflow@127.0.0.1:$port/postgres"
      return 0
    fi
  done
  cat "$folder/server.log" >&2 || true
  say "the server did not start (log above)."
  exit 1
}

stop() {
  local folder="${1:?folder}" bin
  bin="$(binaries)" || true
  if [ -n "$bin" ] && [ -d "$folder/data" ]; then
    as_owner "$bin/pg_ctl" -D "$folder/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$folder"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop "${2:-}" ;;
  *) say "usage: bash scripts/postgres.sh install|start|stop <folder>"; exit 2 ;;
esac
