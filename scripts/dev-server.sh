#!/usr/bin/env bash
# Starts, stops or reports the local Temporal dev server (SQLite file, Web UI, tokenflow's search attributes).
#
#   bash scripts/dev-server.sh [start|stop|status|search-attributes]
#
# Environment: TOKENFLOW_DATA_DIR (default ./data), TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233),
# TEMPORAL_IP (127.0.0.1), TEMPORAL_START_TIMEOUT seconds (90), TEMPORAL_DEV_ARGS (extra start-dev flags).
# `start` is idempotent: a server already answering on the port is reused and left running.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
temporal="$root/tools/bin/temporal"
data_dir="${TOKENFLOW_DATA_DIR:-$root/data}"
mkdir -p "$data_dir"
data_dir="$(cd "$data_dir" && pwd)"
ip="${TEMPORAL_IP:-127.0.0.1}"
port="${TEMPORAL_PORT:-7233}"
ui_port="${TEMPORAL_UI_PORT:-8233}"
address="$ip:$port"
pid_file="$data_dir/temporal.pid"
log_file="$data_dir/temporal.log"
db_file="$data_dir/temporal.db"
timeout_seconds="${TEMPORAL_START_TIMEOUT:-90}"

say() { echo "dev-server: $*"; }
fail() { echo "dev-server: $*" >&2; exit 1; }

# The single source of truth is src/config/search-attributes.ts; read it through tsx, or the compiled copy
# when only the build is present. Prints NAME=TYPE lines.
search_attributes() {
  local source="$root/src/config/search-attributes.ts" compiled="$root/lib/src/config/search-attributes.js"
  local program='const { SEARCH_ATTRIBUTES } = require(process.argv[1]);
for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) console.log(`${name}=${type}`);'
  if [ -d "$root/node_modules/tsx" ]; then
    (cd "$root" && node --import tsx -e "$program" "$source")
  elif [ -f "$compiled" ]; then
    node -e "$program" "$compiled"
  else
    fail "cannot read $source: run 'bash scripts/setup.sh' first (it installs tsx and builds lib/)."
  fi
}

healthy() {
  "$temporal" operator cluster health --address "$address" --command-timeout 3s >/dev/null 2>&1
}

port_open() {
  (exec 3<>"/dev/tcp/$ip/$port") >/dev/null 2>&1
}

our_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid="$(cat "$pid_file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# A server started elsewhere (another checkout, `temporal server start-dev` by hand) may lack our attributes;
# register the missing ones so that workflows setting them do not fail.
ensure_search_attributes() {
  local existing line name type attributes
  attributes="$(search_attributes)"
  existing="$("$temporal" operator search-attribute list --address "$address" --command-timeout 10s 2>/dev/null || true)"
  while IFS= read -r line; do
    name="${line%%=*}"
    type="${line#*=}"
    # A name listed with another type makes `create` fail with the server's explanation, which is wanted.
    if ! grep -Eq "^[[:space:]]*$name[[:space:]]+$type[[:space:]]*$" <<<"$existing"; then
      say "registering search attribute $name ($type)"
      "$temporal" operator search-attribute create --address "$address" --command-timeout 30s \
        --name "$name" --type "$type" >/dev/null
    fi
  done <<<"$attributes"
}

ensure_cli() {
  if [ ! -x "$temporal" ]; then
    bash "$root/scripts/install-temporal.sh"
  fi
  [ -x "$temporal" ] || fail "the Temporal CLI is missing at $temporal; run 'bash scripts/install-temporal.sh'."
}

start() {
  ensure_cli
  # Two callers starting at once (parallel test files) must not race for the port.
  exec 9>"$data_dir/temporal.start.lock"
  flock -w "$timeout_seconds" 9 || fail "another start is holding $data_dir/temporal.start.lock; try again."

  if healthy; then
    ensure_search_attributes
    say "reusing the Temporal server already running at $address (its UI, if started here: http://$ip:$ui_port)"
    return 0
  fi
  if port_open; then
    fail "port $port answers but is not a healthy Temporal server; stop what uses it or set TEMPORAL_PORT."
  fi

  local arguments=(server start-dev --db-filename "$db_file" --ip "$ip" --port "$port" --ui-port "$ui_port" --log-level warn)
  # Read into a variable first: a failure inside `< <(...)` would not stop the script.
  local attributes line
  attributes="$(search_attributes)"
  [ -n "$attributes" ] || fail "src/config/search-attributes.ts lists no search attributes."
  while IFS= read -r line; do
    arguments+=(--search-attribute "$line")
  done <<<"$attributes"
  if [ -n "${TEMPORAL_DEV_ARGS:-}" ]; then
    # Word splitting is intended: extra flags come as one string.
    # shellcheck disable=SC2206
    arguments+=(${TEMPORAL_DEV_ARGS})
  fi

  # setsid detaches the server from this session so it outlives the script; 9>&- keeps the start lock out of it.
  echo "--- $(date -u +%Y-%m-%dT%H:%M:%SZ) starting: temporal ${arguments[*]}" >>"$log_file"
  setsid "$temporal" "${arguments[@]}" >>"$log_file" 2>&1 </dev/null 9>&- &
  local pid=$!
  echo "$pid" >"$pid_file"

  local waited=0
  until healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pid_file"
      tail -n 20 "$log_file" >&2 || true
      fail "the Temporal server exited during start-up; the lines above come from $log_file."
    fi
    if [ "$waited" -ge "$((timeout_seconds * 4))" ]; then
      kill "$pid" 2>/dev/null || true
      rm -f "$pid_file"
      fail "the Temporal server did not become healthy within ${timeout_seconds}s; see $log_file."
    fi
    sleep 0.25
    waited=$((waited + 1))
  done
  say "started the Temporal server (pid $pid) at $address, UI http://$ip:$ui_port, state in $db_file"
}

stop() {
  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$pid_file"
    if healthy; then
      say "a Temporal server answers at $address but was not started by this script (no $pid_file); leaving it running."
    else
      say "not running"
    fi
    return 0
  fi
  kill "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge 40 ]; then
      say "pid $pid did not stop within 10s; sending SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.25
    waited=$((waited + 1))
  done
  rm -f "$pid_file"
  say "stopped the Temporal server (pid $pid)"
}

status() {
  local pid=""
  pid="$(our_pid || true)"
  if [ -x "$temporal" ] && healthy; then
    if [ -n "$pid" ]; then
      say "running (pid $pid) at $address, UI http://$ip:$ui_port, state in $db_file"
    else
      say "a Temporal server answers at $address (not started by this script)"
    fi
    return 0
  fi
  if [ -n "$pid" ]; then
    say "pid $pid is alive but $address is not healthy yet; see $log_file"
  else
    say "not running"
  fi
  return 1
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  search-attributes) search_attributes ;;
  *) fail "unknown command '$1'; use start, stop, status or search-attributes." ;;
esac
