#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser test (playwright-core drives /usr/bin/chromium; it
# downloads no browser of its own). Idempotent and silent when chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  run_as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run_as_root=(sudo -n)
else
  echo "install-chromium: /usr/bin/chromium is missing and installing it needs root; run 'sudo apt-get install -y chromium' and retry." >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: /usr/bin/chromium is missing and this machine has no apt-get; install chromium with your package manager so /usr/bin/chromium exists." >&2
  exit 1
fi

echo "install-chromium: installing Debian's chromium (apt-get) for the dashboard's browser test"
export DEBIAN_FRONTEND=noninteractive
"${run_as_root[@]}" apt-get update -qq
"${run_as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
if [ ! -x /usr/bin/chromium ]; then
  echo "install-chromium: apt-get finished but /usr/bin/chromium is still missing; check 'apt-cache policy chromium'." >&2
  exit 1
fi
