#!/usr/bin/env bash
# A pristine Debian trixie root for test/deploy/install-chroot.test.ts: `debootstrap --variant=minbase`
# once (about 20-60 s, from the Debian mirror this machine's apt uses), kept as a tarball so every test run extracts
# a clean copy in seconds. Rebuilt when older than 30 days. Prints the tarball's path.
#   test/deploy/trixie-root.sh [CACHE_DIR]
set -euo pipefail
cache="${1:-/var/cache/wildfire-edge-test}"
tarball="$cache/trixie-minbase.tar"
# The Debian mirror this machine's apt already uses (first deb822 URIs: or one-line `deb` source).
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$f"
  done
  [ -f /etc/apt/sources.list ] && awk '$1 == "deb" && $2 !~ /^\[/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list
  return 0
}
mirror="${WFE_DEBIAN_MIRROR:-$(apt_mirror | head -1)}"
[ -n "$mirror" ] || { echo "no Debian mirror found in /etc/apt/sources.list*; set WFE_DEBIAN_MIRROR" >&2; exit 1; }
mkdir -p "$cache" "$cache/debs"
if [ -s "$tarball" ] && [ -z "$(find "$tarball" -mtime +30)" ]; then
  echo "$tarball"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (test/system-deps.txt lists it)" >&2; exit 1; }
work="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
if ! debootstrap --variant=minbase --cache-dir="$cache/debs" trixie "$work/root" "$mirror" >"$work/log" 2>&1; then
  tail -20 "$work/log" >&2
  exit 1
fi
tar -C "$work/root" -cf "$work/root.tar" .
mv "$work/root.tar" "$tarball"
echo "$tarball"
