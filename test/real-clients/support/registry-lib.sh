# shellcheck shell=bash
# Shared by image-cache-sandbox.sh and registry-mirrors-sandbox.sh (sourced, not run): a local registry
# (Debian's docker-registry) standing for the account's ECR registry, containerd (Debian's) to pull with,
# and the push and pull loops. All expect $WORK and $HERE, and sandbox-lib.sh sourced first (snooze).

# start_registry ADDR URL [TLS_DIR]: docker-registry on ADDR (HTTPS with TLS_DIR/{cert,key}.pem when
# given), storing under $WORK/registry, logging to $WORK/registry.log; containerd with its root, state and
# socket under $WORK (no CRI plugin: ctr talks to it). Returns when both answer (URL: the registry's base).
start_registry() {
  local addr="$1" url="$2" tls="${3:-}"
  mkdir -p "$WORK/registry" "$WORK/root" "$WORK/state"
  {
    printf 'version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
      "$WORK/registry" "$addr"
    if [ -n "$tls" ]; then
      printf '  tls:\n    certificate: %s\n    key: %s\n' "$tls/cert.pem" "$tls/key.pem"
    fi
  } >"$WORK/registry.yml"
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
  local _
  for _ in {1..100}; do
    if [ -S "$WORK/containerd.sock" ] && curl -sf "$url/v2/" >/dev/null; then
      return 0
    fi
    snooze 0.1
  done
  echo "the registry or containerd did not start" >&2
  return 1
}

# push_and_pull URL HOSTS_DIR: push $WORK/push ("REPOSITORY TAG" lines) to the registry at URL, then pull
# each line of $WORK/pull with `ctr images pull --hosts-dir HOSTS_DIR`. Output: $WORK/result ("INDEX EXIT"
# a line), $WORK/pull.log, $WORK/images (ctr images ls -q).
push_and_pull() {
  local url="$1" hosts="$2" repository tag image i=0
  while read -r repository tag; do
    /usr/bin/python3 "$HERE/push_image.py" "$url" "$repository" "$tag" "cached $repository:$tag" >/dev/null
  done <"$WORK/push"
  : >"$WORK/result"
  while read -r image; do
    set +e
    ctr --address "$WORK/containerd.sock" images pull --hosts-dir "$hosts" "$image" >>"$WORK/pull.log" 2>&1
    echo "$i $?" >>"$WORK/result"
    set -e
    i=$((i + 1))
  done <"$WORK/pull"
  ctr --address "$WORK/containerd.sock" images ls -q >"$WORK/images"
}
