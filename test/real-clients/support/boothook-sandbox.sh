#!/bin/bash
# Runs a boothook N times as root in a throw-away sandbox, the way cloud-init runs it on every boot.
# Start it as:  unshare --mount --pid --net --fork --mount-proc bash boothook-sandbox.sh WORK [RUNS [UNITS]]
#
# WORK must hold: boothook (the script cloud-init writes) and seed/etc/ (files copied into /etc
# first: /etc/environment and the package manager's configuration, /etc/dnf/dnf.conf or /etc/yum.conf).
# Optional: imds-region (the region the stub IMDS reports, default us-east-1) and extra-stubs/
# (more programs put first on PATH, e.g. a stub `aws` CLI; they may log next to CALLS_LOG).
# Inside the new namespaces:
#   - network: only loopback, plus 169.254.169.254/32 on lo with a stub IMDSv2 server on port 80;
#   - /etc: an overlay over the real /etc whose upper layer is a tmpfs, so nothing reaches the host;
#     seeded from seed/etc, with no drop-ins for any unit an Amazon Linux node's boothook configures;
#   - PATH starts with recording stubs for systemctl, cloud-init-per, dnf, yum and nodeadm (and WORK/extra-stubs).
# After each run i, WORK/run<i>/ holds: rc, stdout, stderr, calls.log (stub calls), imds.log (IMDS
# requests made during the run), console (what the run wrote to /dev/console), run-files/ (every file
# under /run after the run: each run starts with an empty /run, as after a reboot), stat.txt (every changed path under /etc: type, mode, size, inode,
# mtime, owner uid), etc/ (a copy of those paths) and tmp-left.txt (files left in TMPDIR).
# With UNITS ("containerd kubelet ..."), WORK/verify/{out,err,rc} hold the output of one systemd-analyze verify
# of those units with their drop-ins, run in place after the last run.
set -euo pipefail
WORK="$1"
RUNS="${2:-2}"
VERIFY_UNITS="${3:-}"
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=sandbox-lib.sh
. "$HERE/sandbox-lib.sh"

[ "$$" = 1 ] || { echo "not in a new PID namespace (use unshare --pid --fork)" >&2; exit 90; }

# --- network: loopback and the IMDS address, nothing else --------------------------------------
ip link set lo up
ip addr add 169.254.169.254/32 dev lo
if [ "$(ip -o link show | grep -vc ' lo:')" != 0 ]; then
  echo "unexpected network interfaces in the sandbox" >&2
  exit 91
fi

# --- a private /etc ----------------------------------------------------------------------------
mkdir -p "$WORK/ovl"
mount -t tmpfs -o mode=0755 sandbox-etc "$WORK/ovl"
mkdir -p "$WORK/ovl/upper" "$WORK/ovl/work"
if ! mount -t overlay overlay -o "lowerdir=/etc,upperdir=$WORK/ovl/upper,workdir=$WORK/ovl/work" /etc 2>"$WORK/overlay.err"; then
  # Fallback where overlayfs is not allowed: a full copy of /etc on the tmpfs (changes are then
  # found by comparing with the seeded state, recorded in run0).
  echo "overlay failed ($(cat "$WORK/overlay.err")); using a tmpfs copy of /etc" >&2
  cp -a /etc/. "$WORK/ovl/upper/"
  mount --bind "$WORK/ovl/upper" /etc
  echo copy >"$WORK/etc-mode"
else
  echo overlay >"$WORK/etc-mode"
fi

# Seed: a known /etc/environment and package manager configuration; no drop-ins of our units.
seed_etc

# --- recording stubs ---------------------------------------------------------------------------
make_recording_stubs
if [ -d "$WORK/extra-stubs" ]; then
  for f in "$WORK/extra-stubs"/*; do
    install -m 0755 "$f" "$WORK/stubs/$(basename "$f")"
  done
fi

# --- stub IMDSv2 -------------------------------------------------------------------------------
: >"$WORK/imds.log"
start_stub "$WORK/imds.out" imds --ready "$WORK/imds.ready" --bind 169.254.169.254 --port 80 --log "$WORK/imds.log" \
  --lifetime 120 --region "$(cat "$WORK/imds-region" 2>/dev/null || echo us-east-1)"

# snapshot DEST: DEST/stat.txt (one line a path under the upper layer, in find's order: the reader keys them by
# path) and DEST/etc/, a copy of the upper layer (modes, owners and times kept): three processes a snapshot.
snapshot() {
  local dest="$1" upper="$WORK/ovl/upper"
  mkdir -p "$dest/etc"
  find "$upper" -mindepth 1 ! -path "$upper/.wh*" -printf '%P %y %m %s %i %T@ %U\n' >"$dest/stat.txt"
  cp -a "$upper/." "$dest/etc/"
}

snapshot "$WORK/run0"

# The console stand-in: writes to /dev/console land in a file of this sandbox, never on the host's console.
: >"$WORK/console"
mount --bind "$WORK/console" /dev/console

chmod 0700 "$WORK/boothook"
for ((i = 1; i <= RUNS; i++)); do
  out="$WORK/run$i"
  mkdir -p "$out/run-files" "$WORK/tmp$i"
  : >"$out/calls.log"
  mapfile -t imds_before <"$WORK/imds.log"
  # A boot: /run starts empty (a tmpfs), /etc keeps what earlier boots wrote. Each boot lets go of the /run
  # before it (the host's, where it is a mount point, then the last boot's tmpfs).
  umount -l /run 2>/dev/null || true
  mount -t tmpfs -o mode=0755 sandbox-run /run
  : >"$WORK/console"
  set +e
  timeout 60 env -i \
    PATH="$WORK/stubs:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    HOME=/root LANG=C.UTF-8 TMPDIR="$WORK/tmp$i" INSTANCE_ID=i-0123456789abcdef0 CALLS_LOG="$out/calls.log" \
    "$WORK/boothook" >"$out/stdout" 2>"$out/stderr"
  echo $? >"$out/rc"
  set -e
  # The IMDS log lines this run added (read by bash: no process).
  mapfile -t -s "${#imds_before[@]}" imds_new <"$WORK/imds.log"
  if [ "${#imds_new[@]}" -gt 0 ]; then printf '%s\n' "${imds_new[@]}"; fi >"$out/imds.log"
  cp "$WORK/console" "$out/console"
  cp -a /run/. "$out/run-files/"
  find "$WORK/tmp$i" -mindepth 1 -printf '%P\n' >"$out/tmp-left.txt"
  snapshot "$out"
done

# --- systemd's own parser on the drop-ins, in place ----------------------------------------------
# A minimal unit file for each unit (the AMI's real ones are not here), then one systemd-analyze verify of
# them all with debug logging: its dump of each unit ("-> Unit NAME:" and the unit's lines) shows the
# Environment= values after unquoting and % expansion, and it names the drop-in file in any complaint.
# Done after the last snapshot.
if [ -n "$VERIFY_UNITS" ]; then
  mkdir -p "$WORK/verify"
  unit_files=()
  for unit in $VERIFY_UNITS; do
    f="/etc/systemd/system/$unit.service"
    [ -e "$f" ] || printf '[Unit]\nDescription=stand-in for %s\n[Service]\nType=oneshot\nExecStart=/bin/true\n' "$unit" >"$f"
    unit_files+=("$f")
  done
  set +e
  SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_COLOR=0 timeout 60 systemd-analyze verify "${unit_files[@]}" \
    >"$WORK/verify/out" 2>"$WORK/verify/err"
  echo $? >"$WORK/verify/rc"
  set -e
fi
