# shellcheck shell=bash
# Shared by boothook-sandbox.sh and node-parts-sandbox.sh (sourced, not run): the seeded /etc and the
# recording stubs. Both expect $WORK (the sandbox's work directory) and write calls to $CALLS_LOG.

# seed_etc: copy the seeded files into the sandbox's private /etc and remove every drop-in of our units.
seed_etc() {
  (cd "$WORK/seed/etc" && find . -type f -printf '%P\n') | while IFS= read -r f; do
    mkdir -p "/etc/$(dirname "$f")"
    cp "$WORK/seed/etc/$f" "/etc/$f"
    chmod 0644 "/etc/$f"
  done
  for unit in docker containerd kubelet sandbox-image amazon-ssm-agent; do
    rm -rf "/etc/systemd/system/$unit.service.d"
  done
}

# make_recording_stubs: $WORK/stubs/{systemctl,cloud-init-per,dnf,yum,nodeadm} that only log their argv.
make_recording_stubs() {
  mkdir -p "$WORK/stubs"
  local name
  for name in systemctl cloud-init-per dnf yum nodeadm; do
    cat >"$WORK/stubs/$name" <<EOF
#!/bin/bash
printf '%s\n' "$name \$*" >>"\${CALLS_LOG:?}"
exit 0
EOF
    chmod 0755 "$WORK/stubs/$name"
  done
}

# private_dirs DIR...: each directory becomes an overlay over itself with a tmpfs upper layer (under
# $WORK/ovl), so what the sandbox writes there never reaches the host.
private_dirs() {
  mkdir -p "$WORK/ovl"
  mountpoint -q "$WORK/ovl" || mount -t tmpfs -o mode=0755 sandbox-ovl "$WORK/ovl"
  local dir name
  for dir in "$@"; do
    name="$(echo "$dir" | tr / _)"
    mkdir -p "$WORK/ovl/$name/upper" "$WORK/ovl/$name/work"
    if [ ! -d "$dir" ]; then
      echo "$dir does not exist on this machine" >&2
      exit 93
    fi
    mount -t overlay overlay -o "lowerdir=$dir,upperdir=$WORK/ovl/$name/upper,workdir=$WORK/ovl/$name/work" "$dir"
  done
}
