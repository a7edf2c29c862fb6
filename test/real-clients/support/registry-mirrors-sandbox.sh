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
# shellcheck source=registry-lib.sh
. "$HERE/registry-lib.sh"
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
start_registry 127.0.0.1:443 "https://$HOST" "$WORK/tls"
push_and_pull "https://$HOST" /etc/containerd/certs.d
