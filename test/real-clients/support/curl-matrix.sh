#!/bin/bash
# Asks the real curl, for a list of URLs, whether each goes direct or through the proxy.
# Start it as:  unshare --net --mount --pid --fork --kill-child --mount-proc bash curl-matrix.sh WORK
#
# WORK holds env (KEY=VALUE lines: the proxy variables exactly as generated) and urls (one a line).
# Inside a new network namespace with only loopback up, each proxy host of the environment is made
# to point at a recording proxy inside the namespace (an IPv4 address is added to lo, a name is
# mapped to 127.0.0.1 in a private /etc/hosts), and DNS goes to 127.0.0.1, where nothing answers.
# So a direct attempt fails at once inside the namespace (no route, no DNS) and never leaves the
# machine, and a proxied one is recorded (the proxy answers 502). Output: WORK/result, "EXIT HTTP_CODE
# CONNECT_CODE" per URL (curl's -w), and WORK/proxy.log, a JSON line per request the proxy saw.
set -euo pipefail
WORK="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=sandbox-lib.sh
. "$HERE/sandbox-lib.sh"

ip link set lo up

# Private name resolution for this mount namespace only.
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$WORK/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$WORK/resolv.conf"

# The proxies named by the environment: scheme://[user:password@]host:port.
mapfile -t proxies < <(grep -E '^(http|https|HTTP|HTTPS)_(proxy|PROXY)=' "$WORK/env" | cut -d= -f2- | sort -u)
ports=()
for p in "${proxies[@]}"; do
  hostport="${p#*://}"
  hostport="${hostport%%/*}"
  hostport="${hostport##*@}" # without user:password@ (an authenticating proxy)
  host="${hostport%:*}"
  port="${hostport##*:}"
  if [[ "$host" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    ip addr add "$host/32" dev lo 2>/dev/null || true
  else
    printf '127.0.0.1 %s\n' "$host" >>"$WORK/hosts"
  fi
  ports+=("$port")
done
mount --bind "$WORK/hosts" /etc/hosts
mount --bind "$WORK/resolv.conf" /etc/resolv.conf

: >"$WORK/proxy.log"
# One recording proxy a port, all in one stub servers process.
specs=()
for port in $(printf '%s\n' "${ports[@]}" | sort -u); do
  [ "${#specs[@]}" = 0 ] || specs+=(+)
  specs+=(proxy --ready "$WORK/proxy-$port.ready" --bind 0.0.0.0 --port "$port" --log "$WORK/proxy.log" --lifetime 120)
done
start_stub "$WORK/proxy.out" "${specs[@]}"

mapfile -t envvars <"$WORK/env"
mapfile -t urls <"$WORK/urls"
# One curl for every URL (it reads the environment once, as it would for one): bodies to /dev/null, and after
# each transfer a line "EXIT HTTP_CODE CONNECT_CODE". Each transfer ends before the next starts, so the proxy
# logs the proxied ones in the order of the URLs; curl-matrix's caller pairs the two.
args=()
for url in "${urls[@]}"; do
  args+=(-o /dev/null "$url")
done
set +e
env -i PATH=/usr/bin:/bin HOME="$WORK" "${envvars[@]}" \
  curl -q -sS --connect-timeout 3 --max-time 5 -w '%{exitcode} %{http_code} %{http_connect}\n' "${args[@]}" \
  >"$WORK/result" 2>>"$WORK/curl.err"
set -e
