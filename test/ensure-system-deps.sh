#!/usr/bin/env bash
# pretest: make sure the system packages listed in test/system-deps.txt are installed.
# Idempotent and quiet: does nothing when everything is present; installs with apt-get when it can
# (root or passwordless sudo); otherwise prints exactly what to install and fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mapfile -t pkgs < <(grep -v '^\s*#' "$here/system-deps.txt" | awk 'NF{print $1}')
missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "wildfire-edge tests need system packages: ${missing[*]}" >&2
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo_cmd="sudo -n"; else
    echo "Cannot install them (not root, no passwordless sudo). Install with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found. Install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq >/dev/null
if ! $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  echo "apt-get install failed. Run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installed: ${missing[*]}" >&2
