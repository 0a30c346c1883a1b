#!/usr/bin/env bash
# Generate the site CA, the broker's server certificate and per-node client certificates.
#
#   deploy/mosquitto/make-certs.sh --out DIR --broker-host NAME [--broker-ip IP] [--days N] [NODE...]
#
# DIR receives ca.crt/ca.key, server.crt/server.key (SAN: NAME, and IP when given) and
# NODE.crt/NODE.key for each NODE (CN = NODE, for mutual TLS with use_identity_as_username).
# Keys are EC P-256, mode 0600. Existing files are kept (run it again to add nodes).
# Private keys never belong in git: the script refuses to write into a git work tree.
# Copy ca.crt to every node (mqtt.ca); server.* to the broker; keep ca.key offline.
set -euo pipefail

OUT=""
HOST=""
IP=""
DAYS=825
NODES=()

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="${2:?--out needs a directory}"; shift ;;
    --broker-host) HOST="${2:?--broker-host needs a name}"; shift ;;
    --broker-ip) IP="${2:?--broker-ip needs an address}"; shift ;;
    --days) DAYS="${2:?--days needs a number}"; shift ;;
    -h|--help) usage 0 ;;
    -*) echo "unknown option: $1" >&2; usage 2 ;;
    *) NODES+=("$1") ;;
  esac
  shift
done

[ -n "$OUT" ] || { echo "error: --out DIR is required" >&2; usage 2; }
[ -n "$HOST" ] || { echo "error: --broker-host NAME is required (the name nodes use in mqtt.url)" >&2; usage 2; }
for n in "${NODES[@]}"; do
  [[ "$n" =~ ^[a-z0-9_-]+$ ]] || { echo "error: node ids match [a-z0-9_-]+: '$n'" >&2; exit 2; }
done

# Check the nearest existing ancestor, so a refused run leaves nothing behind.
probe="$OUT"
while [ ! -d "$probe" ]; do probe="$(dirname "$probe")"; done
if git -C "$probe" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "error: $OUT is inside a git work tree; private keys must never be committed. Choose a directory outside it." >&2
  exit 1
fi
mkdir -p "$OUT"
umask 077
cd "$OUT"

newkey() { openssl ecparam -name prime256v1 -genkey -noout -out "$1"; chmod 600 "$1"; }

# sign NAME SUBJECT EXTENSIONS: NAME.key/NAME.crt signed by the CA (skipped when NAME.crt exists).
sign() {
  local name="$1" subject="$2" ext="$3"
  if [ -f "$name.crt" ]; then echo "keeping $OUT/$name.crt"; return 0; fi
  [ -f "$name.key" ] || newkey "$name.key"
  openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr"
  printf '%b' "$ext" >"$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$DAYS" -sha256 -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
  chmod 644 "$name.crt"
  echo "wrote $OUT/$name.crt"
}

if [ ! -f ca.crt ]; then
  newkey ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=wildfire-edge site CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
  chmod 644 ca.crt
  echo "wrote $OUT/ca.crt (keep ca.key offline)"
fi

san="DNS:$HOST"
if [ -n "$IP" ]; then san="$san,IP:$IP"; fi
sign server "/CN=$HOST" "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=$san\n"
for n in "${NODES[@]}"; do
  sign "$n" "/CN=$n" "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
done
