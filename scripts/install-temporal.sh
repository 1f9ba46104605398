#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + UI) into tools/bin, reusing what is already there. Silent when
# nothing is to do.
# Newer tags than v1.5.1 carry `replace` directives that `go install` refuses.
# A built binary is kept in a per-user cache too, so a fresh clone on the same machine skips the 2-minute build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${TEMPORAL_CLI_VERSION:-v1.5.1}"
target="$root/tools/bin/temporal"
cache_dir="${TOKENFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tokenflow}"
cached="$cache_dir/temporal-$version"

if [ -x "$target" ]; then
  exit 0
fi
mkdir -p "$root/tools/bin"
if [ -z "${TOKENFLOW_BUILD_TEMPORAL:-}" ] && command -v temporal >/dev/null 2>&1; then
  ln -sf "$(command -v temporal)" "$target"
  echo "temporal: linked $(command -v temporal)"
  exit 0
fi
if [ -z "${TOKENFLOW_BUILD_TEMPORAL:-}" ] && [ -x "$cached" ] && "$cached" --version >/dev/null 2>&1; then
  ln -f "$cached" "$target" 2>/dev/null || cp "$cached" "$target"
  echo "temporal: reused the cached build $cached"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "temporal: Go is needed to build the Temporal CLI (or put a 'temporal' binary on the PATH)." >&2
  exit 1
fi
echo "temporal: building github.com/temporalio/cli/cmd/temporal@$version (about 2 minutes)"
GOBIN="$root/tools/bin" go install "github.com/temporalio/cli/cmd/temporal@$version"
"$target" --version
if mkdir -p "$cache_dir" 2>/dev/null; then
  ln -f "$target" "$cached.partial" 2>/dev/null || cp "$target" "$cached.partial" || true
  mv -f "$cached.partial" "$cached" 2>/dev/null || true
fi
