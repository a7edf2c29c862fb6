#!/bin/bash
# The preflight handler against loopback stand-ins (support/preflight_lab.py), in a network namespace with
# namespace-local addresses and a private /etc/hosts and /etc/resolv.conf (DNS goes to 127.0.0.1, where
# nothing answers: a name not in WORK/hosts does not resolve).
# Start it as:  unshare --net --mount --pid --fork --kill-child --mount-proc --propagation private \
#   bash preflight-sandbox.sh WORK HANDLER_DIR STUB_DIR
set -euo pipefail
WORK="$1"
HANDLER_DIR="$2"
STUB_DIR="$3"
HERE="$(cd "$(dirname "$0")" && pwd)"

ip link set lo up
for address in 10.99.0.10 10.99.0.11 10.99.0.20 10.99.0.21 10.99.0.30 10.99.0.31; do
  ip addr add "$address/32" dev lo
done
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$WORK/resolv.conf"
mount --bind "$WORK/hosts" /etc/hosts
mount --bind "$WORK/resolv.conf" /etc/resolv.conf
/usr/bin/python3 "$HERE/preflight_lab.py" "$HANDLER_DIR" "$STUB_DIR" "$WORK"
