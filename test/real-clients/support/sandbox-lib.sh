# shellcheck shell=bash
# Shared by the sandbox scripts (sourced, not run): waiting without a process a poll, starting the stub servers
# (the Go program test/real-clients/go/stubs, whose path support/go-programs.ts puts in $CDK_PRIVATE_EKS_STUBS),
# the seeded /etc and the recording stubs (both expect $WORK, the sandbox's work directory; the stubs write
# calls to $CALLS_LOG).

# snooze SECONDS: sleep without starting a process (a timed read on a pipe that nothing writes to).
snooze() {
  [ -n "${SNOOZE_FD:-}" ] || exec {SNOOZE_FD}<> <(:)
  read -r -t "$1" -u "$SNOOZE_FD" _ || true
}

# wait_for_file FILE: wait up to 10 s for FILE (a stub's ready file), looking every 0.02 s (a stub listens within
# a few milliseconds); 1 if it never came.
wait_for_file() {
  local _
  for _ in {1..500}; do
    [ -e "$1" ] && return 0
    snooze 0.02
  done
  [ -e "$1" ]
}

# start_stub OUT KIND ARGS... [+ KIND ARGS...]: start the stub servers (one process, however many; each spec names
# its own --ready file) in the background, its output in OUT, its PID in STUB_PID (not $!: snooze's process
# substitution resets it), and return when every server listens; exit 92 with the output when one does not
# within 10 s.
start_stub() {
  local out="$1" arg prev="" ready readies=()
  shift
  for arg in "$@"; do
    [ "$prev" != --ready ] || readies+=("$arg")
    prev="$arg"
  done
  rm -f "${readies[@]}"
  "${CDK_PRIVATE_EKS_STUBS:?the stub servers binary (support/go-programs.ts stubsEnvironment)}" "$@" >"$out" 2>&1 &
  # shellcheck disable=SC2034 # for the caller (node-parts-sandbox.sh keeps it to stop the stub)
  STUB_PID=$!
  for ready in "${readies[@]}"; do
    wait_for_file "$ready" || { echo "stub $ready did not start: $(cat "$out")" >&2; exit 92; }
  done
}

# seed_etc: copy the seeded files into the sandbox's private /etc (mode 0644, missing directories made on the
# way: one cp and one chmod for all of them) and remove every drop-in of our units.
seed_etc() {
  (cd "$WORK/seed/etc" && find . -type f -print0 | xargs -0 -r cp --parents -t /etc)
  (cd "$WORK/seed/etc" && find . -type f -print0) | (cd /etc && xargs -0 -r chmod 0644)
  local unit drop_ins=()
  for unit in docker containerd kubelet sandbox-image amazon-ssm-agent; do
    drop_ins+=("/etc/systemd/system/$unit.service.d")
  done
  rm -rf "${drop_ins[@]}"
}

# make_recording_stubs: $WORK/stubs/{systemctl,cloud-init-per,dnf,yum,nodeadm} that only log their argv.
make_recording_stubs() {
  mkdir -p "$WORK/stubs"
  local name
  for name in systemctl cloud-init-per dnf yum nodeadm; do
    # The stub, three lines: `#!/bin/bash`, `printf '%s\n' "NAME $*" >>"${CALLS_LOG:?}"` and `exit 0` (a
    # builtin writes it: no cat a stub).
    # shellcheck disable=SC2016 # $* and ${CALLS_LOG:?} are the stub's own, expanded when it runs
    printf '#!/bin/bash\nprintf '"'%%s\\\\n'"' "%s $*" >>"${CALLS_LOG:?}"\nexit 0\n' "$name" >"$WORK/stubs/$name"
  done
  chmod 0755 "$WORK"/stubs/{systemctl,cloud-init-per,dnf,yum,nodeadm}
}

# private_dirs DIR...: each directory becomes an overlay over itself with a tmpfs upper layer (under
# $WORK/ovl), so what the sandbox writes there never reaches the host.
private_dirs() {
  mkdir -p "$WORK/ovl"
  mountpoint -q "$WORK/ovl" || mount -t tmpfs -o mode=0755 sandbox-ovl "$WORK/ovl"
  local dir name
  for dir in "$@"; do
    name="${dir//\//_}"
    mkdir -p "$WORK/ovl/$name/upper" "$WORK/ovl/$name/work"
    if [ ! -d "$dir" ]; then
      echo "$dir does not exist on this machine" >&2
      exit 93
    fi
    mount -t overlay overlay -o "lowerdir=$dir,upperdir=$WORK/ovl/$name/upper,workdir=$WORK/ovl/$name/work" "$dir"
  done
}
