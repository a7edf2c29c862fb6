#!/bin/bash
# Holds a private network + mount + PID namespace open for a test (others join it with nsenter).
# Start it as:  unshare --net --mount --pid --fork --kill-child --mount-proc bash netns-holder.sh WORK [ADDR/PREFIX...]
#
# Inside: loopback up, each ADDR added to lo (addresses that exist only in this namespace),
# WORK/hosts bind-mounted over /etc/hosts and WORK/resolv.conf over /etc/resolv.conf (DNS on
# 127.0.0.1, where nothing answers), then WORK/ns.ready. It is PID 1 of the namespace: when it is
# killed (or its unshare parent dies, --kill-child), every process of the namespace dies with it.
set -euo pipefail
WORK="$1"
shift
ip link set lo up
for addr in "$@"; do
  ip addr add "$addr" dev lo
done
mount --bind "$WORK/hosts" /etc/hosts
mount --bind "$WORK/resolv.conf" /etc/resolv.conf
touch "$WORK/ns.ready"
exec sleep 600
