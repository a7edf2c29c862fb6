#!/bin/bash
# How each real client speaks to a proxy given WITHOUT a scheme (Bottlerocket's https-proxy form,
# e.g. HTTPS_PROXY=proxy.corp.example:3128): plain HTTP (a CONNECT request line) or TLS.
# Start it as:  unshare --net --mount --pid --fork --kill-child --mount-proc bash scheme-probe.sh WORK GOBIN
#
# WORK holds env (KEY=VALUE lines) and clients (lines "NAME URL"). Inside a new network namespace
# with only loopback, the proxy host of HTTPS_PROXY resolves to 127.0.0.1 (private /etc/hosts), where
# a recording proxy logs the first line each client sends (and answers 502). Each client fetches its
# own URL once. Output: WORK/proxy.log (JSON lines: method, target) and WORK/rc-NAME.
set -euo pipefail
WORK="$1"
GOBIN="$2"
PY=/usr/bin/python3
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=sandbox-lib.sh
. "$HERE/sandbox-lib.sh"

ip link set lo up
proxy="$(grep -E '^(HTTPS_PROXY|https_proxy)=' "$WORK/env" | head -1 | cut -d= -f2-)"
hostport="${proxy#*://}"
hostport="${hostport%%/*}"
host="${hostport%:*}"
port="${hostport##*:}"
printf '127.0.0.1 localhost\n127.0.0.1 %s\n' "$host" >"$WORK/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$WORK/resolv.conf"
mount --bind "$WORK/hosts" /etc/hosts
mount --bind "$WORK/resolv.conf" /etc/resolv.conf

: >"$WORK/proxy.log"
start_stub "$WORK/proxy.out" proxy --ready "$WORK/proxy.ready" --bind 127.0.0.1 --port "$port" --log "$WORK/proxy.log" --lifetime 60

mapfile -t envvars <"$WORK/env"
while read -r name url; do
  set +e
  case "$name" in
    go) env -i "${envvars[@]}" timeout 20 "$GOBIN" fetch "$url" >"$WORK/out-$name" 2>&1 ;;
    curl) env -i PATH=/usr/bin:/bin HOME="$WORK" "${envvars[@]}" timeout 20 curl -q -sS -o /dev/null --max-time 10 "$url" >"$WORK/out-$name" 2>&1 ;;
    python) env -i PATH=/usr/bin:/bin "${envvars[@]}" timeout 20 "$PY" "$HERE/urllib_fetch.py" "$url" >"$WORK/out-$name" 2>&1 ;;
    *) echo "unknown client $name" >&2; exit 2 ;;
  esac
  echo $? >"$WORK/rc-$name"
  set -e
done <"$WORK/clients"
