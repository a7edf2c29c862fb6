#!/bin/bash
# Runs the user-data scripts of an Amazon Linux node as root in a throw-away sandbox, in the order
# cloud-init runs them, then the ready-signal program they install, the way systemd would start it.
# Start it as:
#   unshare --mount --pid --net --fork --kill-child --mount-proc --propagation private bash node-parts-sandbox.sh WORK
#
# WORK holds:
#   seed/etc/...     files copied into /etc first (/etc/environment, dnf.conf or yum.conf, /etc/hosts)
#   parts/NN-NAME    scripts, run in name order: the boothook first, then the text/x-shellscript parts
#   signal-runs      optional lines "NAME HEALTHZ API PROXY BLOCKED PROGRAM": after the parts, run PROGRAM
#                    (an absolute path: the installed program, or one under WORK) with a stub kubelet
#                    health endpoint on 127.0.0.1:10248 (HEALTHZ=1) or nothing there (0); with the stub
#                    API server (API: the number of Node GETs answered NotReady first; '-': no server);
#                    with the recording proxy stub listening (PROXY=1) or nothing there (0); with the
#                    boothook's no-credentials marker in /run (BLOCKED=1)
#   addresses        optional: addresses (one a line, ADDR/PREFIX) put on lo, e.g. the API server's
#   apiserver        optional "ADDR PORT NODE TOKEN": where the stub API server listens, the node it knows,
#                    the token it accepts (also what the stub token commands print); cert.pem, key.pem
#   proxy            optional "ADDR PORT": where the proxy stub listens
# Inside the new namespaces:
#   - network: loopback only (the proxy named in /etc/environment does not exist here);
#   - /etc, /usr/local/bin and /opt: overlays over the real directories with tmpfs upper layers, so
#     nothing reaches the host;
#   - /usr/bin too is an overlay; /run is an empty tmpfs (a boot); /dev/console is a file (the console stand-in);
#   - PATH starts with recording stubs for systemctl, cloud-init-per, dnf, yum and nodeadm;
#   - kubelet's token commands are stubs: /usr/local/bin/aws (AL2023: aws eks get-token) and
#     /usr/bin/aws-iam-authenticator (AL2) print an ExecCredential with the token of WORK/apiserver;
#   - /opt/aws/bin/cfn-signal and /etc/eks/bootstrap.sh are recording stubs: one JSON line per call
#     with argv and the proxy variables of their environment.
# Output under WORK/out:
#   parts/NAME/{rc,stdout,stderr,calls.log,cfn-signal.log,bootstrap.log}
#   installed.stat ("PATH TYPE MODE" of the signal program and unit) and installed/ (copies)
#   verify.{out,err,rc}     systemd-analyze verify of the signal unit, in place (when installed)
#   runs/NAME/{rc,stdout,stderr,console,cfn-signal.log,healthz.log,apiserver.log,proxy.log,token.log,seconds}
set -euo pipefail
WORK="$1"
PY=/usr/bin/python3
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=sandbox-lib.sh
. "$HERE/sandbox-lib.sh"
SIGNAL_PROGRAM=/usr/local/bin/cdk-private-eks-ready-signal
SIGNAL_UNIT=/etc/systemd/system/cdk-private-eks-ready-signal.service

[ "$$" = 1 ] || { echo "not in a new PID namespace (use unshare --pid --fork)" >&2; exit 90; }

ip link set lo up
if [ "$(ip -o link show | grep -vc ' lo:')" != 0 ]; then
  echo "unexpected network interfaces in the sandbox" >&2
  exit 91
fi
if [ -f "$WORK/addresses" ]; then
  while read -r addr; do
    ip addr add "$addr" dev lo
  done <"$WORK/addresses"
fi

# --- private /etc, /usr/local/bin and /opt -----------------------------------------------------
private_dirs /etc /usr/local/bin /usr/bin /opt

seed_etc
rm -f "$SIGNAL_PROGRAM" "$SIGNAL_UNIT"
mount -t tmpfs -o mode=0755 sandbox-run /run
: >"$WORK/console"
mount --bind "$WORK/console" /dev/console

# --- stubs -------------------------------------------------------------------------------------
mkdir -p "$WORK/stubs" "$WORK/stublog"
make_recording_stubs
# argv and the proxy variables, as JSON; the log path is fixed (systemd starts programs with a clean environment).
recorder() {
  cat <<EOF
#!/bin/bash
exec $PY -c 'import json, os, sys
env = {k: v for k, v in os.environ.items() if k.lower() in ("http_proxy", "https_proxy", "no_proxy")}
with open(sys.argv[1], "a") as f:
    f.write(json.dumps({"argv": sys.argv[2:], "env": env}) + "\n")' "$WORK/stublog/$1.log" "\$@"
EOF
}
mkdir -p /opt/aws/bin /etc/eks
recorder cfn-signal >/opt/aws/bin/cfn-signal
recorder bootstrap >/etc/eks/bootstrap.sh
chmod 0755 /opt/aws/bin/cfn-signal /etc/eks/bootstrap.sh
# kubelet's token commands: log argv, print an ExecCredential (client.authentication.k8s.io/v1beta1).
if [ -f "$WORK/apiserver" ]; then
  read -r _ _ _ TOKEN <"$WORK/apiserver"
  for cmd in /usr/local/bin/aws /usr/bin/aws-iam-authenticator; do
    cat >"$cmd" <<EOF
#!/bin/bash
printf '%s\\n' "\$*" >>"$WORK/stublog/token.log"
printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{},"status":{"expirationTimestamp":"2030-01-01T00:00:00Z","token":"%s"}}\\n' '$TOKEN'
EOF
    chmod 0755 "$cmd"
  done
fi

collect_stub_logs() {
  local dest="$1"
  for log in cfn-signal bootstrap token; do
    if [ -f "$WORK/stublog/$log.log" ]; then
      mv "$WORK/stublog/$log.log" "$dest/$log.log"
    else
      : >"$dest/$log.log"
    fi
  done
}

NODE_PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# --- the user-data scripts, in order -----------------------------------------------------------
mkdir -p "$WORK/out/parts"
for part in $(cd "$WORK/parts" && ls | LC_ALL=C sort); do
  out="$WORK/out/parts/$part"
  mkdir -p "$out" "$WORK/tmp-$part"
  : >"$out/calls.log"
  chmod 0700 "$WORK/parts/$part"
  set +e
  timeout 60 env -i PATH="$WORK/stubs:$NODE_PATH" HOME=/root LANG=C.UTF-8 TMPDIR="$WORK/tmp-$part" CALLS_LOG="$out/calls.log" \
    "$WORK/parts/$part" >"$out/stdout" 2>"$out/stderr"
  echo $? >"$out/rc"
  set -e
  collect_stub_logs "$out"
done

# --- what the signal part installed ------------------------------------------------------------
mkdir -p "$WORK/out/installed"
: >"$WORK/out/installed.stat"
for f in "$SIGNAL_PROGRAM" "$SIGNAL_UNIT"; do
  if [ -e "$f" ]; then
    stat -c '%n %F %a' "$f" >>"$WORK/out/installed.stat"
    cp "$f" "$WORK/out/installed/$(basename "$f")"
  fi
done
if [ -f "$SIGNAL_UNIT" ]; then
  set +e
  SYSTEMD_LOG_COLOR=0 timeout 60 systemd-analyze verify "$SIGNAL_UNIT" >"$WORK/out/verify.out" 2>"$WORK/out/verify.err"
  echo $? >"$WORK/out/verify.rc"
  set -e
fi

# --- the signal program, as systemd starts it (ExecStart=, clean environment) ------------------
if [ -f "$WORK/signal-runs" ]; then
  while read -r name healthz api proxy blocked program; do
    out="$WORK/out/runs/$name"
    mkdir -p "$out"
    : >"$out/healthz.log"
    : >"$out/apiserver.log"
    : >"$out/proxy.log"
    : >"$WORK/console"
    # This run's stub servers, all in one process (sandbox-lib.sh start_stub), each logging to $out.
    specs=()
    add_stub() {
      [ "${#specs[@]}" = 0 ] || specs+=(+)
      specs+=("$1" --ready "$WORK/$1.ready" "${@:2}" --log "$out/$1.log" --lifetime 120)
    }
    if [ "$healthz" = 1 ]; then
      add_stub healthz --bind 127.0.0.1 --port 10248
    fi
    if [ "$api" != - ]; then
      read -r a_addr a_port a_node a_token <"$WORK/apiserver"
      add_stub apiserver --bind "$a_addr" --port "$a_port" --node "$a_node" --token "$a_token" --ready-after "$api" \
        --cert "$WORK/cert.pem" --key "$WORK/key.pem"
    fi
    if [ "$proxy" = 1 ]; then
      read -r p_addr p_port <"$WORK/proxy"
      add_stub proxy --bind "$p_addr" --port "$p_port"
    fi
    stub_pid=
    if [ "${#specs[@]}" -gt 0 ]; then
      start_stub "$WORK/stubs.out" "${specs[@]}"
      stub_pid=$STUB_PID
    fi
    rm -rf /run/cdk-private-eks
    if [ "$blocked" = 1 ]; then
      mkdir -p /run/cdk-private-eks
      echo "cannot read the proxy credentials from Secrets Manager (test)" >/run/cdk-private-eks/proxy-credentials-missing
    fi
    start=$EPOCHREALTIME
    set +e
    timeout 90 env -i PATH="$NODE_PATH" LANG=C.UTF-8 "$program" >"$out/stdout" 2>"$out/stderr" </dev/null
    echo $? >"$out/rc"
    set -e
    # Seconds with two decimals, from bash's clock in microseconds (no date or awk processes).
    us=$((${EPOCHREALTIME//[!0-9]/} - ${start//[!0-9]/}))
    printf '%d.%02d\n' $((us / 1000000)) $((us % 1000000 / 10000)) >"$out/seconds"
    cp "$WORK/console" "$out/console"
    if [ -n "$stub_pid" ]; then
      kill "$stub_pid" 2>/dev/null || true
      wait "$stub_pid" 2>/dev/null || true
    fi
    collect_stub_logs "$out"
  done <"$WORK/signal-runs"
fi
