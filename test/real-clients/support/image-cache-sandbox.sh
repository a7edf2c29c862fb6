#!/bin/bash
# Pulls images with the real containerd (Debian's ctr and containerd) from a local registry (Debian's
# docker-registry) that stands for the account's ECR registry with its pull through cache repositories.
# Start it as:  unshare --net --mount --pid --fork --kill-child --mount-proc bash image-cache-sandbox.sh WORK
#
# Only loopback exists in the namespace: a pull that went anywhere but the local registry would fail.
# WORK/push holds "REPOSITORY TAG" lines (content pushed first, as ECR would cache it), WORK/pull one
# image reference a line (pulled with `ctr images pull --hosts-dir WORK/certs.d`, whose hosts.toml sends
# the ECR host to the local registry). Output: WORK/result ("INDEX EXIT" a line), WORK/images (ctr images
# ls -q), WORK/registry.log.
set -euo pipefail
WORK="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
PORT=5055

# shellcheck source=sandbox-lib.sh
. "$HERE/sandbox-lib.sh"
# shellcheck source=registry-lib.sh
. "$HERE/registry-lib.sh"

ip link set lo up
start_registry "127.0.0.1:$PORT" "http://127.0.0.1:$PORT"
push_and_pull "http://127.0.0.1:$PORT" "$WORK/certs.d"
