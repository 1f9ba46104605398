#!/usr/bin/env bash
# Brings a checkout to the state the README's commands need: npm packages (with better-sqlite3's native
# build), the Temporal CLI, the local model, and the compiled lib/. Idempotent and silent when nothing is to do.
#
#   bash scripts/setup.sh [--no-build]
#
# --no-build skips `npm run build` (the test command runs the sources through tsx and needs no lib/).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

build=1
for argument in "$@"; do
  case "$argument" in
    --no-build) build=0 ;;
    *) echo "setup: unknown option '$argument'; the only option is --no-build." >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*"; }

# True when node_modules holds every package of package-lock.json at its locked version. npm's own record
# of what it installed (node_modules/.package-lock.json) is compared entry by entry; optional packages may be
# absent (they are the other platforms' binaries).
dependencies_current() {
  [ -d node_modules ] || return 1
  if [ ! -f package-lock.json ]; then
    [ -f node_modules/.package-lock.json ] && [ ! package.json -nt node_modules/.package-lock.json ]
    return
  fi
  node - <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const read = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
let installed;
try {
  installed = read('node_modules/.package-lock.json').packages ?? {};
} catch {
  process.exit(1);
}
const locked = read('package-lock.json').packages ?? {};
for (const [location, entry] of Object.entries(locked)) {
  if (location === '' || entry.link) continue;
  const present = installed[location];
  const optional = entry.optional === true || entry.devOptional === true;
  if (!present || !fs.existsSync(path.join(location, 'package.json'))) {
    if (optional) continue;
    process.exit(1);
  }
  if (entry.version && present.version !== entry.version) process.exit(1);
}
EOF
}

better_sqlite_loads() {
  node -e "require('better-sqlite3')(':memory:').close()" >/dev/null 2>&1
}

# 1. npm packages
if ! dependencies_current; then
  if [ -f package-lock.json ]; then
    say "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund
  else
    say "installing npm packages (npm install; no package-lock.json)"
    npm install --no-audit --no-fund
  fi
fi

# 2. better-sqlite3 is a native addon; npm here may skip install scripts, which leaves it unbuilt.
if ! better_sqlite_loads; then
  say "building better-sqlite3's native module (npm rebuild better-sqlite3)"
  npm rebuild better-sqlite3
  if ! better_sqlite_loads; then
    node -e "require('better-sqlite3')(':memory:')" || true
    echo "setup: better-sqlite3 still does not load; install python3, make and g++ and run 'npm rebuild better-sqlite3'." >&2
    exit 1
  fi
fi

# 3. Temporal CLI (dev server and UI)
bash scripts/install-temporal.sh

# 4. The local model, when the project ships a fetch script for it.
# Its "reusing ..." line is dropped so that a set-up with nothing to do prints nothing.
if [ -f scripts/fetch-model.sh ]; then
  bash scripts/fetch-model.sh | { grep -v '^fetch-model: reusing ' || true; }
fi

# 5. Compiled output for the `tokenflow` bin, rebuilt only when a source is newer than the last build.
stamp="lib/.build-stamp"
if [ "$build" = 1 ]; then
  if [ ! -f "$stamp" ] || [ -n "$(find src test bench scripts tsconfig.json package.json package-lock.json \
    -newer "$stamp" \( -name '*.ts' -o -name '*.json' \) -print -quit 2>/dev/null)" ]; then
    say "compiling TypeScript (npm run build)"
    mkdir -p lib
    # Stamped with the time the build started, so a file saved during the build still counts as newer.
    touch "$stamp.next"
    npm run --silent build
    mv "$stamp.next" "$stamp"
  fi
fi
