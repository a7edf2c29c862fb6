/**
 * Pure renderers of a TLS-inspecting proxy's CA bundle for Amazon Linux nodes: the system trust store, from a
 * boothook part of its own. Text in, text out. (Bottlerocket's `settings.pki`: bottlerocket.ts.)
 *
 * Amazon Linux 2023 and Amazon Linux 2 keep the system trust store with p11-kit's `update-ca-trust`: a PEM
 * file in `/etc/pki/ca-trust/source/anchors/` is added to the shipped roots, and `update-ca-trust extract`
 * rewrites `/etc/pki/tls/certs/ca-bundle.crt` (and the OpenSSL, Java and directory forms), which curl, dnf
 * and yum (libcurl/OpenSSL), Python's `ssl` and every Go program (crypto/x509 reads
 * `/etc/pki/tls/certs/ca-bundle.crt` first on Linux) read: containerd, kubelet and its ECR credential
 * provider, nodeadm, the SSM agent. The bundle is added to the public roots, never replaces them.
 *
 * When it runs: cloud-init runs boothooks early in `cloud-init.service`, on every boot. On Amazon Linux 2023,
 * `nodeadm-config.service` runs before it (amazon-eks-ami
 * `templates/al2023/runtime/rootfs/etc/systemd/system/nodeadm-config.service`: `Before=cloud-init.service`)
 * and calls EC2 `DescribeInstances` for the node's private DNS name (`nodeadm/internal/api/status.go`,
 * `GetInstanceDetails`, unless the `InstanceIdNodeName` feature gate is on); nodeadm's NodeConfig has no
 * trust-store field (`nodeadm/api/v1alpha1/nodeconfig_types.go` holds only the cluster CA). That one call
 * cannot trust the bundle: it must reach EC2 through the EC2 interface endpoint, which is in NO_PROXY and
 * validated against the public roots (see `caBundleEc2Warning`). `nodeadm-run.service` (kubelet,
 * containerd) starts `After=cloud-final.service`, with the trust store already extracted. On Amazon Linux 2
 * bootstrap.sh runs after the boothooks. The only unit running when the boothook writes the anchor is the
 * SSM agent: it is restarted (without blocking the boot) when the anchor changes.
 */
import type { UserDataPart } from './family';

/** The anchor file our boothook writes. */
export const CA_ANCHOR = '/etc/pki/ca-trust/source/anchors/cdk-private-eks-proxy-ca.pem';

/** The first comment line of the CA boothook, which tells it from the proxy boothook. */
export const CA_BOOTHOOK_MARKER =
  '# cdk-private-eks: the CA bundle of the TLS-inspecting proxy, in the system trust store.';

/** The here-document delimiter: no line of a canonical PEM can equal it. */
const EOF_MARK = 'CDK_PRIVATE_EKS_CA_BUNDLE';

/**
 * The Amazon Linux boothook that puts `pem` (canonical PEM, see lib/private/ca-bundle.ts) into the system
 * trust store. Idempotent: on a boot where the anchor already holds the bundle it changes nothing and
 * runs nothing.
 *
 * @param pem the canonical bundle
 * @param restartUnits units already running at boothook time, restarted when the anchor changes
 */
export function renderCaTrustBoothook(pem: string, restartUnits: readonly string[]): string {
  if (pem.split('\n').includes(EOF_MARK)) {
    throw new Error('the CA bundle contains the here-document delimiter'); // canonical PEM never does
  }
  return [
    '#!/bin/bash',
    CA_BOOTHOOK_MARKER,
    '# Runs on every boot (cloud-init boothook): writes the anchor and runs update-ca-trust only when it changes.',
    'set -euo pipefail',
    'umask 022',
    `anchor=${CA_ANCHOR}`,
    'tmp="$(mktemp)"',
    `cat >"$tmp" <<'${EOF_MARK}'`,
    pem.replace(/\n$/, ''),
    EOF_MARK,
    'if [ -f "$anchor" ] && cmp -s "$tmp" "$anchor"; then',
    '  rm -f "$tmp"',
    '  exit 0',
    'fi',
    'mkdir -p "$(dirname "$anchor")"',
    'chmod 0644 "$tmp"',
    'mv -f "$tmp" "$anchor"',
    '# Added to the shipped roots: rewrites /etc/pki/tls/certs/ca-bundle.crt and the other extracted forms.',
    'update-ca-trust extract',
    ...restartUnits.map((u) => `systemctl try-restart --no-block ${u}.service`),
    '',
  ].join('\n');
}

/** The boothook part (placed before the proxy boothook, so that everything it restarts trusts the bundle). */
export function caTrustBoothookPart(pem: string, restartUnits: readonly string[]): UserDataPart {
  return {
    contentType: 'text/cloud-boothook; charset="us-ascii"',
    body: renderCaTrustBoothook(pem, restartUnits),
  };
}

/**
 * The warning for Amazon Linux 2023 nodes with a CA bundle whose VPC has no EC2 endpoint: nodeadm's first
 * EC2 call goes through the proxy before the boothook installs the bundle (see the file comment).
 */
export function caBundleEc2Warning(): string {
  return (
    'proxy.caBundle is installed by a boothook, but nodeadm-config.service runs before cloud-init ' +
    '(amazon-eks-ami nodeadm-config.service: Before=cloud-init.service) and calls EC2 DescribeInstances, ' +
    'which through a TLS-inspecting proxy fails with an unknown authority and keeps the node from joining; ' +
    "nodeadm's NodeConfig has no trust-store setting. Add EndpointService.EC2 to the cluster's endpoints (it is in " +
    "EndpointPresets.minimal()) so that the call bypasses the proxy, or exempt the EC2 API from the proxy's TLS inspection."
  );
}
