#!/usr/bin/env bash
# The programs the real-client tests run (test/real-clients/): install the missing Debian packages when
# this runs as root with apt-get (as on this project's machines and in CI), else name them and fail.
# Installed: nothing is done. kubectl comes with the machine image (Debian's package is too old).
set -euo pipefail

missing=()
need() { # need PACKAGE CHECK-COMMAND...
  local package="$1"
  shift
  "$@" >/dev/null 2>&1 || missing+=("$package")
}
need shellcheck command -v shellcheck
need cloud-init test -d /usr/lib/python3/dist-packages/cloudinit
need golang-go command -v go
# squid-openssl: Squid built with OpenSSL (ssl_bump, for the TLS-inspection proof); it replaces Debian's squid.
need squid-openssl sh -c 'test -x /usr/lib/squid/security_file_certgen && squid -v | grep -q -- --with-openssl'
need iproute2 command -v ip
need util-linux command -v unshare
need mount command -v mount
need systemd command -v systemd-analyze
need curl command -v curl
need openssl command -v openssl
need p11-kit command -v trust
need python3 test -x /usr/bin/python3
need python3-yaml /usr/bin/python3 -c 'import yaml'
need python3-botocore /usr/bin/python3 -c 'import botocore'
need awscli test -x /usr/bin/aws
need ca-certificates test -d /etc/ssl/certs
# containerd (ctr) and docker-registry: pulls of the pull through cache's image names (pull-through-cache.test.ts).
need containerd command -v ctr
need docker-registry command -v docker-registry

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing the Debian packages the real-client tests use: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "the real-client tests need these Debian packages: ${missing[*]}" >&2
    echo "install them (as root: apt-get install ${missing[*]}) and run the tests again" >&2
    exit 1
  fi
fi
command -v kubectl >/dev/null || { echo "kubectl is missing: it ships with this project's machine image" >&2; exit 1; }
