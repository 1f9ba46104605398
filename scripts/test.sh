#!/usr/bin/env bash
# What `npm test` runs: set-up check, type check, then every *.test.ts under src/ and test/ with Node's
# built-in runner, one file at a time.
#
#   npm test                              # everything
#   npm test -- src/storage test/foo      # files or folders, and/or substrings of test file paths
#   npm test -- budget --test-name-pattern=cap   # arguments starting with -- go to node
#
# A filtered run skips the type check. TOKENFLOW_TEST_FILE_TIMEOUT_MS bounds each file (default 15 minutes:
# workflow tests start a Temporal server and drive many activities on a small shared machine).
# TOKENFLOW_SKIP_SETUP=1 skips the set-up check (and the PostgreSQL and Chromium installs).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ -z "${TOKENFLOW_SKIP_SETUP:-}" ]; then
  # The sources run through tsx, so lib/ is not needed here.
  bash scripts/setup.sh --no-build || exit 1
  bash scripts/install-chromium.sh || exit 1
  bash scripts/postgres.sh install || exit 1
fi

node_options=()
filters=()
for argument in "$@"; do
  case "$argument" in
    --*) node_options+=("$argument") ;;
    *) filters+=("$argument") ;;
  esac
done

mapfile -t all_files < <(find src test -name '*.test.ts' -not -path '*/node_modules/*' 2>/dev/null | LC_ALL=C sort)

files=()
if [ "${#filters[@]}" -eq 0 ]; then
  files=("${all_files[@]}")
else
  for file in "${all_files[@]}"; do
    for filter in "${filters[@]}"; do
      filter="${filter#./}"
      if [[ "$file" == "${filter%/}" || "$file" == "${filter%/}/"* || "$file" == *"$filter"* ]]; then
        files+=("$file")
        break
      fi
    done
  done
fi

if [ "${#files[@]}" -eq 0 ]; then
  echo "test: no test file matches '${filters[*]:-}'; test files are the *.test.ts under src/ and test/." >&2
  exit 1
fi

typecheck_status=0
if [ "${#filters[@]}" -eq 0 ]; then
  echo "# type check: npx tsc -p tsconfig.json --noEmit"
  npx tsc -p tsconfig.json --noEmit
  typecheck_status=$?
  if [ "$typecheck_status" -ne 0 ]; then
    echo "test: the type check failed (errors above); running the tests anyway." >&2
  fi
else
  echo "# filtered run (${#files[@]} file(s)): type check skipped"
fi

# The ledger's tests run on SQLite and on a real PostgreSQL: a throw-away server on a free local port, removed
# when the tests end. TOKENFLOW_TEST_POSTGRES_URL points at a server of your own instead.
if [ -z "${TOKENFLOW_TEST_POSTGRES_URL:-}" ]; then
  postgres_line="$(bash scripts/postgres.sh start | tail -n 1)" || {
    echo "test: could not start PostgreSQL (above); the ledger's tests need it." >&2
    exit 1
  }
  postgres_folder="${postgres_line%% *}"
  trap 'bash scripts/postgres.sh stop "$postgres_folder"' EXIT
  export TOKENFLOW_TEST_POSTGRES_URL="${postgres_line#* }"
fi

timeout_ms="${TOKENFLOW_TEST_FILE_TIMEOUT_MS:-900000}"
node --import tsx --test --test-concurrency=1 --test-timeout="$timeout_ms" "${node_options[@]}" "${files[@]}"
test_status=$?

if [ "$test_status" -ne 0 ]; then
  exit "$test_status"
fi
if [ "$typecheck_status" -ne 0 ]; then
  echo "test: tests passed but the type check failed." >&2
  exit 1
fi
exit 0
