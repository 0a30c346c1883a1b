#!/usr/bin/env bash
# wildfire-edge installer for Raspberry Pi OS 64-bit (trixie first, bookworm too).
#
#   sudo dist/deploy/install.sh [--broker HOST] [--driver rpio|gpiochip|mock|auto] [--node-id ID] [--dist DIR]
#   sudo dist/deploy/install.sh --uninstall [--purge]
#   dist/deploy/install.sh --dry-run [--root DIR] ...   # files into DIR (default: a scratch dir), commands printed
#   --root DIR without --dry-run: files under DIR, commands run as on a live system (tests run it with
#   recording stand-ins for apt-get, systemctl, npm, useradd on PATH).
#
# What it does (idempotent: running it again changes nothing that is already right):
#   0. Checks, before changing anything, the same in a dry run as in a real one: 64-bit OS, a Pi 5
#      pump not on bookworm, a Node.js >= 20 present or packaged by the release.
#   1. Node.js >= 20 (Debian's `nodejs` when the release packages >= 20; otherwise it explains and stops),
#      ffmpeg, and the GPIO tooling for the board (gpiod on a Pi 5; a compiler for rpio on a Pi <= 4).
#   2. A system user `wildfire-edge` in the gpio and video groups.
#   3. dist/ copied to /opt/wildfire-edge, then `npm ci --omit=dev` there (native modules).
#   4. /etc/wildfire-edge/config.yaml with pump.driver chosen for the board — only if it does not exist.
#      It holds placeholders (camera URL) and never pump.pins.confirmed, so check-config refuses it.
#   5. The systemd unit (Type=notify, watchdog, hardening); enabled and started only when
#      `wildfire-edge check-config` passes; otherwise it prints what to edit and the command to run.
#   6. Time synchronisation (systemd-timesyncd, or chrony when installed) with the broker host as a
#      fallback NTP source (a Pi has no real-time clock; docs/topics.md "Time").
#   7. The hardware watchdog: dtparam=watchdog=on in config.txt and systemd's RuntimeWatchdogSec.
#
# The script ships inside dist/ (dist/deploy/install.sh, with the unit and the example config), so
# copying only dist/ to the Pi is enough; in a checkout, deploy/install.sh installs ../dist.
set -euo pipefail

APP=wildfire-edge
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT=""
DRY_RUN=0
UNINSTALL=0
PURGE=0
# dist/deploy/install.sh installs the dist/ it sits in; deploy/install.sh in a checkout, ../dist.
if [ -f "$here/../wildfire-edge.mjs" ]; then DIST="$(cd "$here/.." && pwd)"; else DIST="$here/../dist"; fi
BROKER=""
DRIVER=""
NODE_ID=""
MARK="# added by wildfire-edge install.sh"

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --root) ROOT="${2:?--root needs a directory}"; shift ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    --dist) DIST="${2:?--dist needs a directory}"; shift ;;
    --broker) BROKER="${2:?--broker needs a host name or address}"; shift ;;
    --driver) DRIVER="${2:?--driver needs rpio, gpiochip, mock or auto}"; shift ;;
    --node-id) NODE_ID="${2:?--node-id needs an id}"; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
  shift
done

if [ "$DRY_RUN" -eq 1 ] && [ -z "$ROOT" ]; then
  ROOT="$(mktemp -d)"
  echo "dry run into $ROOT"
fi
ROOT="${ROOT%/}"

# run CMD...: execute, or print it in a dry run (apt, systemctl, useradd, npm never run then).
run() {
  if [ "$DRY_RUN" -eq 1 ]; then
    printf '+ %s\n' "$*"
  else
    "$@"
  fi
}
say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# write_file PATH MODE: stdin → $ROOT/PATH, only when the content differs (idempotent, no mtime churn).
write_file() {
  local dest="$ROOT$1" mode="$2" tmp
  tmp="$(mktemp)"
  cat >"$tmp"
  mkdir -p "$(dirname "$dest")"
  if [ -f "$dest" ] && cmp -s "$tmp" "$dest"; then
    rm -f "$tmp"
    return 0
  fi
  install -m "$mode" "$tmp" "$dest"
  rm -f "$tmp"
  say "wrote $1"
}

# ensure_line FILE LINE: append LINE (after a marker comment) unless an identical line exists.
ensure_line() {
  local file="$ROOT$1" line="$2"
  mkdir -p "$(dirname "$file")"
  touch "$file"
  if ! grep -qxF "$line" "$file"; then
    printf '%s\n%s\n' "$MARK" "$line" >>"$file"
    say "added '$line' to $1"
  fi
}

# remove_marked FILE: drop every line we added (the marker and the line after it).
remove_marked() {
  local file="$ROOT$1"
  [ -f "$file" ] || return 0
  awk -v m="$MARK" '$0 == m { skip = 1; next } skip { skip = 0; next } { print }' "$file" >"$file.wfe-tmp"
  cat "$file.wfe-tmp" >"$file"
  rm -f "$file.wfe-tmp"
}

boot_config() {
  if [ -d "$ROOT/boot/firmware" ]; then echo /boot/firmware/config.txt; else echo /boot/config.txt; fi
}

board_model() {
  if [ -r "$ROOT/proc/device-tree/model" ]; then tr -d '\0' <"$ROOT/proc/device-tree/model"; fi
}

# Driver per docs/pump.md "GPIO drivers": rpio on Pi <= 4 (/dev/gpiomem), gpiochip on Pi 5 (RP1).
choose_driver() {
  local model="$1"
  if [ -n "$DRIVER" ]; then echo "$DRIVER"; return; fi
  case "$model" in
    *"Raspberry Pi 5"*|*"Compute Module 5"*) echo gpiochip ;;  # also matches the Pi 500
    *"Raspberry Pi"*) echo rpio ;;
    *) echo "" ;;
  esac
}

os_codename() {
  if [ -r "$ROOT/etc/os-release" ]; then
    # shellcheck disable=SC1091
    (. "$ROOT/etc/os-release" && echo "${VERSION_CODENAME:-unknown}")
  else
    echo unknown
  fi
}

node_major() {
  local v
  v="$(node --version 2>/dev/null || true)"   # v20.19.2 → 20
  v="${v#v}"
  v="${v%%.*}"
  if [[ "$v" =~ ^[0-9]+$ ]]; then echo "$v"; else echo 0; fi
}

# Major version of the Node.js the release would install (apt-cache policy), or "" when unknown.
packaged_node_major() {
  local candidate major
  candidate="$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}' || true)"
  candidate="${candidate#*:}"   # epoch
  major="${candidate%%.*}"
  if [[ "$major" =~ ^[0-9]+$ ]]; then echo "$major"; fi
}

NODE_NEEDED=0
# Preflight: a Node.js >= 20 is on PATH, or the release packages one (or we cannot tell yet, and the
# real run checks again after installing). Bookworm packages 18: explain instead.
check_node() {
  if [ "$(node_major)" -ge 20 ]; then return 0; fi
  NODE_NEEDED=1
  local major
  major="$(packaged_node_major)"
  if [ -n "$major" ] && [ "$major" -lt 20 ]; then
    die "this release packages Node.js $major; wildfire-edge needs >= 20.
  Install Node.js 20 or newer first (for example from https://deb.nodesource.com or the official
  linux-arm64 tarball from https://nodejs.org), check that 'node --version' shows v20 or later,
  then run this script again."
  fi
}

ensure_node() {
  [ "$NODE_NEEDED" -eq 1 ] || return 0
  run apt-get install -y --no-install-recommends nodejs npm
  if [ "$DRY_RUN" -eq 0 ] && [ "$(node_major)" -lt 20 ]; then
    die "Node.js >= 20 is still not available after installing Debian's nodejs; install it as described above."
  fi
}

install_packages() {
  local driver="$1"
  run apt-get update
  ensure_node
  local pkgs=(ffmpeg)
  case "$driver" in
    gpiochip) pkgs+=(gpiod) ;;          # gpioset --interactive (libgpiod v2, trixie)
    rpio) pkgs+=(build-essential python3) ;;  # rpio compiles with node-gyp at npm ci
  esac
  run apt-get install -y --no-install-recommends "${pkgs[@]}"
}

ensure_user() {
  if [ "$DRY_RUN" -eq 1 ] || ! getent group gpio >/dev/null; then
    run groupadd --system -f gpio
  fi
  if [ "$DRY_RUN" -eq 1 ] || ! id -u "$APP" >/dev/null 2>&1; then
    run useradd --system --user-group --home-dir "/var/lib/$APP" --no-create-home --shell /usr/sbin/nologin "$APP"
  fi
  run usermod -a -G gpio,video "$APP"
}

check_dist() {
  [ -f "$DIST/$APP.mjs" ] || die "no $DIST/$APP.mjs: run 'npm run build' first (or pass --dist DIR)"
  [ -f "$DIST/package.json" ] || die "no $DIST/package.json: the build writes it beside the bundle"
}

install_app() {
  # Upgrade: stop the service before its files and native modules are replaced under it.
  if [ -f "$ROOT/etc/systemd/system/$APP.service" ]; then run systemctl stop "$APP.service"; fi
  mkdir -p "$ROOT/opt/$APP"
  # Replace the application files but keep node_modules (npm ci below reconciles it).
  find "$ROOT/opt/$APP" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
  (cd "$DIST" && tar --exclude=./node_modules -cf - .) | (cd "$ROOT/opt/$APP" && tar -xf -)
  install -m 0644 "$here/config.example.yaml" "$ROOT/opt/$APP/config.example.yaml"
  # The JSON Schema editors validate the config with (its modeline points here).
  if [ -f "$here/config.schema.json" ]; then install -m 0644 "$here/config.schema.json" "$ROOT/opt/$APP/config.schema.json"; fi
  if [ -f "$here/../README.md" ]; then install -m 0644 "$here/../README.md" "$ROOT/opt/$APP/README.md"; fi
  say "copied $DIST to /opt/$APP"
  run npm ci --omit=dev --no-audit --no-fund --prefix "$ROOT/opt/$APP"
}

write_config() {
  local driver="$1" node_id="$2" roles mqtt_block pump_block
  if [ -f "$ROOT/etc/$APP/config.yaml" ]; then
    say "keeping existing /etc/$APP/config.yaml"
    return 0
  fi
  if [ -n "$driver" ]; then
    roles="[camera, consensus, pump]"
    pump_block="pump:
  driver: $driver            # chosen for this board by install.sh
  # pins (BCM) and timings: see /opt/$APP/config.example.yaml and the README."
    if [ "$driver" != mock ]; then
      # Never written as true here: only the owner, after checking the wiring, may (issue 12).
      pump_block="$pump_block
  # The service refuses to start until you have checked every output pin and its polarity
  # (activeLow) against your wiring and set pins: {confirmed: true}, with the pins listed."
    fi
  else
    roles="[camera, consensus]"
    pump_block="# Not a Raspberry Pi: no pump role. On a Pi, add 'pump' to roles and set pump.driver."
  fi
  if [ -n "$BROKER" ]; then
    mqtt_block="mqtt:
  url: mqtts://$BROKER:8883
  username: $node_id
  password: change-me        # as created with mosquitto_passwd on the broker
  ca: /etc/$APP/ca.crt       # copy the site CA here (deploy/mosquitto/make-certs.sh)"
  else
    mqtt_block="# mqtt: no url = embedded broker on 127.0.0.1 (single Pi)."
  fi
  write_file "/etc/$APP/config.yaml" 0640 <<EOF
# yaml-language-server: \$schema=/opt/$APP/config.schema.json
# wildfire-edge configuration written by install.sh. Reference: /opt/$APP/config.example.yaml
# Check it with: sudo $APP check-config /etc/$APP/config.yaml
version: 1
node:
  id: $node_id
roles: $roles
$mqtt_block
cameras:
  - id: cam1
    url: rtsp://CHANGE-ME/stream   # your camera's RTSP URL
    fps: 2
$pump_block
EOF
  run chown "root:$APP" "$ROOT/etc/$APP/config.yaml"
}

# The `wildfire-edge` command on PATH (check-config, eval, ...): the installed bundle, system Node.
install_cli() {
  local node_path
  node_path="$(command -v node || echo /usr/bin/node)"
  write_file "/usr/local/bin/$APP" 0755 <<EOF
#!/bin/sh
# wildfire-edge command, written by install.sh: the installed bundle with the system Node.js.
exec $node_path /opt/$APP/$APP.mjs "\$@"
EOF
}

install_unit() {
  write_file "/etc/systemd/system/$APP.service" 0644 <"$here/$APP.service"
  # The unit runs /usr/bin/node (Debian, NodeSource). A Node elsewhere gets a drop-in; one inside a
  # home directory cannot work, because the hardened unit hides /home and /root (ProtectHome=yes).
  local node_path dropin="/etc/systemd/system/$APP.service.d/node.conf"
  node_path="$(command -v node || true)"
  case "$node_path" in
    ""|/usr/bin/node) rm -f "$ROOT$dropin" ;;
    /home/*|/root/*) die "Node.js at $node_path is inside a home directory, which the service cannot see (ProtectHome=yes). Install Node.js system-wide (Debian's nodejs or NodeSource)." ;;
    *)
      write_file "$dropin" 0644 <<EOF
[Service]
ExecStart=
ExecStart=$node_path /opt/$APP/$APP.mjs run --config /etc/$APP/config.yaml
EOF
      ;;
  esac
  run systemctl daemon-reload
}

# check_config: the installed command's own check-config on the installed config, without the
# environment overrides the unit does not have (src/config/env.ts; an MQTT_URL in this shell must
# not make the check pass). Passes only on its "OK" line.
# Prints its output either way. Runs in a dry run too (it only reads), so both decide alike.
CHECK_OUTPUT=""
check_config() {
  local node_path code=0
  node_path="$(command -v node || true)"
  if [ -z "$node_path" ]; then
    CHECK_OUTPUT="Node.js is not installed, so the config could not be checked"
    return 1
  fi
  CHECK_OUTPUT="$(env -u MQTT_URL -u MQTT_USERNAME -u MQTT_PASSWORD -u NODE_ID -u LOG_LEVEL -u WFE_ROLES -u HTTP_HOST -u HTTP_PORT \
    "$node_path" "$ROOT/opt/$APP/$APP.mjs" check-config "$ROOT/etc/$APP/config.yaml" 2>&1)" || code=$?
  [ "$code" -eq 0 ] && [[ "$CHECK_OUTPUT" == OK* ]]
}

# Enable and (re)start the unit only on a config that passes check-config (issue 12): a fresh config
# holds placeholders and unconfirmed pump pins, and a node must never drive relays on those.
enable_if_valid() {
  local cfg="/etc/$APP/config.yaml"
  if check_config; then
    say "check-config: $CHECK_OUTPUT"
    run systemctl enable "$APP.service"
    run systemctl restart "$APP.service"
    return 0
  fi
  if [[ "$CHECK_OUTPUT" == *ERR_MODULE_NOT_FOUND* ]]; then
    printf '%s\n' "$CHECK_OUTPUT" | grep -m1 'Cannot find package' | sed 's/^/    /' || true
    say "installed, but NOT enabled or started: check-config could not run, the app's native modules are not in /opt/$APP (npm ci there failed, or this is a dry run, which does not install them)."
    say "next: sudo npm ci --omit=dev --prefix /opt/$APP, then run this installer again (it checks the config and enables the service once the check passes)"
    return 0
  fi
  printf '%s\n' "$CHECK_OUTPUT" | sed 's/^/    /'
  say "installed, but NOT enabled or started: $cfg does not pass check-config (above)."
  say "next: edit the settings named above (sudoedit $cfg; reference: /opt/$APP/config.example.yaml, pins and relay polarity: hw/README.md). Then run:"
  printf '    sudo %s check-config %s && sudo systemctl enable --now %s\n' "$APP" "$cfg" "$APP"
  printf '    (or run this installer again: it enables and starts the service once the check passes)\n'
}

setup_time_sync() {
  local fallback="0.debian.pool.ntp.org 1.debian.pool.ntp.org 2.debian.pool.ntp.org"
  if [ -d "$ROOT/etc/chrony" ]; then
    if [ -n "$BROKER" ]; then
      write_file "/etc/chrony/conf.d/$APP.conf" 0644 <<EOF
# wildfire-edge: the site broker as an additional time source (sites without internet).
server $BROKER iburst
EOF
    fi
    run systemctl enable --now chrony
  else
    # timesyncd tries FallbackNTP= in order when no NTP= (or DHCP) server is set: internet pools
    # first, then the broker host, so a site without internet still gets the time from the LAN.
    write_file "/etc/systemd/timesyncd.conf.d/$APP.conf" 0644 <<EOF
[Time]
FallbackNTP=$fallback${BROKER:+ $BROKER}
EOF
    run systemctl enable --now systemd-timesyncd
    run timedatectl set-ntp true
  fi
}

setup_watchdog() {
  local driver="$1" cfg
  cfg="$(boot_config)"
  ensure_line "$cfg" "dtparam=watchdog=on"
  # Pi 5: a GPIO line released by a dead process reverts to its default (relays drop out).
  if [ "$driver" = gpiochip ]; then ensure_line "$cfg" "dtparam=strict_gpiod"; fi
  # systemd feeds the hardware watchdog; the Pi's BCM watchdog allows at most ~15 s.
  write_file "/etc/systemd/system.conf.d/$APP-watchdog.conf" 0644 <<EOF
[Manager]
RuntimeWatchdogSec=15
RebootWatchdogSec=2min
EOF
}

uninstall() {
  say "uninstalling $APP"
  run systemctl disable --now "$APP.service"
  rm -rf "$ROOT/etc/systemd/system/$APP.service.d"
  rm -f "$ROOT/etc/systemd/system/$APP.service" \
    "$ROOT/etc/systemd/timesyncd.conf.d/$APP.conf" \
    "$ROOT/etc/chrony/conf.d/$APP.conf" \
    "$ROOT/etc/systemd/system.conf.d/$APP-watchdog.conf" \
    "$ROOT/usr/local/bin/$APP"
  rm -rf "$ROOT/opt/$APP"
  remove_marked "$(boot_config)"
  run systemctl daemon-reload
  if [ "$PURGE" -eq 1 ]; then
    rm -rf "$ROOT/etc/${APP:?}" "$ROOT/var/lib/${APP:?}"
    run userdel "$APP"
    say "purged config, state and the $APP user"
  else
    say "kept /etc/$APP (config) and /var/lib/$APP (state); --purge removes them"
  fi
}

# Every refusal that depends on the target machine, before anything changes; a dry run goes through
# exactly the same checks (only the root check differs: a dry run writes into a scratch root).
preflight() {
  local arch codename
  if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then die "run as root (sudo $0)"; fi
  arch="$(uname -m)"
  case "$arch" in
    aarch64|x86_64) ;;
    *) die "64-bit OS required (onnxruntime-node has no $arch build): install Raspberry Pi OS 64-bit" ;;
  esac
  codename="$(os_codename)"
  case "$codename" in
    trixie|bookworm) ;;
    *) say "warning: tested on Raspberry Pi OS trixie and bookworm; this is '$codename'" ;;
  esac
  MODEL="$(board_model)"
  DRIVER_CFG="$(choose_driver "$MODEL")"
  # The hardware the driver will drive: `auto` picks at start what choose_driver picks here.
  HW_DRIVER="$DRIVER_CFG"
  if [ "$DRIVER_CFG" = auto ]; then HW_DRIVER="$(DRIVER='' choose_driver "$MODEL")"; fi
  NODE_ID_CHOSEN="${NODE_ID:-$(hostname | tr '[:upper:]' '[:lower:]' | sed 's/[^a-z0-9_-]/-/g')}"
  say "board: ${MODEL:-unknown (not a Raspberry Pi)}; pump driver: ${DRIVER_CFG:-none}; node id: $NODE_ID_CHOSEN"
  if [ "$HW_DRIVER" = gpiochip ] && [ "$codename" = bookworm ]; then
    # The gpiochip driver needs libgpiod 2's `gpioset --interactive`; bookworm ships libgpiod 1.6,
    # so the pump part would refuse to start.
    die "a Pi 5 pump needs Raspberry Pi OS trixie: bookworm's gpiod (libgpiod 1.6) has no 'gpioset --interactive', which the gpiochip driver uses.
  Flash Raspberry Pi OS 64-bit trixie. (A camera-only node on bookworm: install with --driver mock, then take 'pump' out of roles.)"
  fi
  check_node
  check_dist
}

main() {
  if [ "$UNINSTALL" -eq 1 ]; then
    if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then die "run as root (sudo $0)"; fi
    uninstall
    return
  fi
  preflight

  install_packages "$HW_DRIVER"
  ensure_user
  install_app
  install_cli
  write_config "$DRIVER_CFG" "$NODE_ID_CHOSEN"
  install_unit
  setup_time_sync
  setup_watchdog "$HW_DRIVER"
  enable_if_valid
  say "a reboot is needed once for the hardware watchdog (dtparam=watchdog=on)"
}

main "$@"
