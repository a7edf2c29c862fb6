#!/bin/bash
# The registry mirrors boothook, run twice as root with a private /etc, then containerd (Debian's ctr and
# containerd) pulling images by their upstream names with the hosts.toml files the boothook wrote, from a
# local registry (Debian's docker-registry) that stands for the account's ECR registry: HTTPS on 443 at the
# ECR host name (a private /etc/hosts entry), with a certificate of a test CA added to the private trust store.
# Start it as:  unshare --net --mount --pid --fork --kill-child --mount-proc --propagation private \
#   bash registry-mirrors-sandbox.sh WORK
#
# WORK holds boothook (the script), host (the ECR host name), tls/{ca,cert,key}.pem, push ("REPOSITORY TAG"
# lines: content pushed first, where ECR caches it) and pull (an image reference a line).
# Output: WORK/files-1 and files-2 (checksum, modification time and path of every file the boothook wrote,
# after each run), WORK/written/ (a copy of them), WORK/result ("INDEX EXIT" a line), WORK/images,
# WORK/registry.log, WORK/pull.log.
set -euo pipefail
WORK="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=sandbox-lib.sh
. "$HERE/sandbox-lib.sh"
HOST="$(cat "$WORK/host")"

ip link set lo up
private_dirs /etc

# What the boothook writes lands in /etc (containerd's certs.d, the kubelet's credential provider file).
snapshot() {
  find /etc/containerd/certs.d /etc/eks/image-credential-provider -type f -printf '%T@ %p\n' 2>/dev/null | sort -k2 |
    while read -r mtime file; do echo "$(sha256sum <"$file" | cut -d' ' -f1) $mtime $file"; done
}
bash "$WORK/boothook"
snapshot >"$WORK/files-1"
sleep 1
bash "$WORK/boothook"
snapshot >"$WORK/files-2"
mkdir -p "$WORK/written"
cp -r --parents /etc/containerd/certs.d /etc/eks/image-credential-provider "$WORK/written/"

# The ECR host is the local registry; its CA is trusted like the AMI's roots.
echo "127.0.0.1 $HOST" >>/etc/hosts
cat "$WORK/tls/ca.pem" >>/etc/ssl/certs/ca-certificates.crt
mkdir -p "$WORK/registry" "$WORK/root" "$WORK/state"
cat >"$WORK/registry.yml" <<YAML
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: 127.0.0.1:443
  tls:
    certificate: $WORK/tls/cert.pem
    key: $WORK/tls/key.pem
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
  if [ -S "$WORK/containerd.sock" ] && curl -sf "https://$HOST/v2/" >/dev/null; then
    break
  fi
  sleep 0.1
done

while read -r repository tag; do
  /usr/bin/python3 "$HERE/push_image.py" "https://$HOST" "$repository" "$tag" "cached $repository:$tag" >/dev/null
done <"$WORK/push"

: >"$WORK/result"
i=0
while read -r image; do
  set +e
  ctr --address "$WORK/containerd.sock" images pull --hosts-dir /etc/containerd/certs.d "$image" >>"$WORK/pull.log" 2>&1
  echo "$i $?" >>"$WORK/result"
  set -e
  i=$((i + 1))
done <"$WORK/pull"
ctr --address "$WORK/containerd.sock" images ls -q >"$WORK/images"
