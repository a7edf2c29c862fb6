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

ip link set lo up
mkdir -p "$WORK/registry" "$WORK/root" "$WORK/state"
cat >"$WORK/registry.yml" <<YAML
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: 127.0.0.1:$PORT
YAML
cat >"$WORK/containerd.toml" <<TOML
version = 2
root = "$WORK/root"
state = "$WORK/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$WORK/containerd.sock"
TOML

docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
containerd --config "$WORK/containerd.toml" >"$WORK/containerd.log" 2>&1 &
for _ in $(seq 100); do
  if [ -S "$WORK/containerd.sock" ] && curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null; then
    break
  fi
  sleep 0.1
done

while read -r repository tag; do
  /usr/bin/python3 "$HERE/push_image.py" "http://127.0.0.1:$PORT" "$repository" "$tag" "cached $repository:$tag" >/dev/null
done <"$WORK/push"

: >"$WORK/result"
i=0
while read -r image; do
  set +e
  ctr --address "$WORK/containerd.sock" images pull --hosts-dir "$WORK/certs.d" "$image" >>"$WORK/pull.log" 2>&1
  echo "$i $?" >>"$WORK/result"
  set -e
  i=$((i + 1))
done <"$WORK/pull"
ctr --address "$WORK/containerd.sock" images ls -q >"$WORK/images"
